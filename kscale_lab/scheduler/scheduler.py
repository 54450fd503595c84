"""The lab's kube-scheduler, one class for every release from 1.10: the release decides the
snapshot, how many nodes are searched, and how anti-affinity is computed.

Each scheduling cycle (``scheduleOne``):

1. **updates the snapshot** of the cache — walking every NodeInfo (before 1.14) or only the
   recently changed ones (1.14, PR #74041), cloning those that changed;
2. builds the **predicate metadata** for anti-affinity, the release's way
   (:func:`~kscale_lab.scheduler.affinity.predicate_metadata`);
3. **filters** nodes: every node before 1.12; from 1.12, only until
   ``numFeasibleNodesToFind`` feasible nodes are found (:func:`feasible_nodes_to_find`),
   starting where the previous cycle stopped so every node gets its turn;
4. **scores** the feasible nodes (with preferred anti-affinity if any term applies) and picks
   the best; ties go to the seeded generator;
5. **assumes** the pod on that node in the cache. (The binding API call and the Event go out
   in the background: they cost the real scheduler a client token each, which the cost
   model in :mod:`~kscale_lab.scheduler.cost` and the queue account for, not this loop.
   That the era's scheduler bound in the background is unverified in the course's sources.)

``NaiveScheduler`` is the 1.10 scheduler and ``ImprovedScheduler`` the 1.14 one, for short.
"""

from __future__ import annotations

import gc
import time

import numpy as np

from kscale_lab.scheduler import affinity
from kscale_lab.scheduler.base import (
    Counts,
    Decision,
    NodeTrace,
    basic_filter,
    score,
)
from kscale_lab.scheduler.cluster import Cache, NodeInfo, Pod, Snapshot
from kscale_lab.scheduler.releases import Release, release

__all__ = ["ImprovedScheduler", "KubeScheduler", "NaiveScheduler", "feasible_nodes_to_find",
           "num_feasible_nodes_to_find"]

DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 50
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(num_all_nodes: int, percentage_of_nodes_to_score: int) -> int:
    """How many feasible nodes a 1.14+ cycle looks for (``numFeasibleNodesToFind``).

    ``percentage_of_nodes_to_score`` 0 means adaptive: ``50 - num_all_nodes // 125`` %, at
    least 5 %. Clusters under ``minFeasibleNodesToFind`` (100) nodes, or 100 %, check all.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND or percentage_of_nodes_to_score >= 100:
        return num_all_nodes
    pct = percentage_of_nodes_to_score
    if pct <= 0:
        pct = DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE - num_all_nodes // 125
        pct = max(pct, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * pct // 100, MIN_FEASIBLE_NODES_TO_FIND)


def feasible_nodes_to_find(version: str | Release, num_all_nodes: int,
                           percentage_of_nodes_to_score: int = 0) -> int:
    """How many feasible nodes a cycle of ``version`` looks for.

    Parameters
    ----------
    version : str or Release
        The release: before 1.12 there is no percentage (every node); 1.12–1.13 use a fixed
        default of 50 %; from 1.14 the default is adaptive.
    num_all_nodes : int
        Nodes in the cluster.
    percentage_of_nodes_to_score : int
        0 for the release's default, else 1–100 (ignored before 1.12).

    Returns
    -------
    int
        Feasible nodes to find before the search stops (at least 100, or every node in a
        cluster of fewer than 100).
    """
    r = release(version)
    if not r.scores_a_percentage:
        return num_all_nodes
    pct = percentage_of_nodes_to_score or r.percentage_default
    return num_feasible_nodes_to_find(num_all_nodes, pct)


class KubeScheduler:
    """A scheduler of one release over a :class:`~kscale_lab.scheduler.cluster.Cache`:
    ``schedule(pods)`` binds each pod or reports it unschedulable, counting its work.

    Parameters
    ----------
    cache : Cache
        The cluster; pods are assumed into it as they are placed.
    version : str or Release
        The release (``"1.10"`` … ``"1.33"``, or any ``"1.N"``).
    seed : int
        Seed of the generator that breaks ties.
    trace : bool
        Keep a per-node trace of each cycle in its :class:`Decision`.
    percentage_of_nodes_to_score : int
        0 (the release's default) or 1–100; ignored before 1.12.
    audit : bool
        After each decision, also score every feasible node (not counted as work) and keep
        how far the chosen node's score is from the best in ``score_regret`` (meant for
        pods without preferred terms, whose scores do not depend on which nodes are
        scored together).
    """

    def __init__(self, cache: Cache, version: str | Release = "1.14", seed: int = 0,
                 trace: bool = False, percentage_of_nodes_to_score: int = 0,
                 audit: bool = False) -> None:
        if not 0 <= percentage_of_nodes_to_score <= 100:
            raise ValueError("percentage_of_nodes_to_score must be a whole number from 0 to "
                             f"100 %; got {percentage_of_nodes_to_score}")
        self.release = release(version)
        self.version = self.release.name
        self.cache = cache
        self.rng = np.random.default_rng(seed)
        self.counts = Counts()
        self.trace = trace
        self.audit = audit
        self.percentage = percentage_of_nodes_to_score
        self.decisions: list[Decision] = []
        #: with ``audit``: per pod, the best score any feasible node offered minus the score
        #: of the node chosen (0: the nodes searched held a best node)
        self.score_regret: list[int] = []
        self.snapshot = Snapshot()
        self.next_start_node_index = 0

    def schedule(self, pods: list[Pod]) -> list[Decision]:
        """Schedule ``pods`` one by one (one scheduling cycle each), assuming as it goes."""
        out = []
        # Python's cyclic garbage collector would walk the whole cluster again and again as
        # snapshots are cloned (nothing here makes cycles): pause it, as ``timeit`` does.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        t0 = time.perf_counter()
        try:
            for pod in pods:
                d = self.schedule_one(pod)
                if d.node is None:
                    self.counts.unschedulable += 1
                else:
                    self.counts.scheduled += 1
                    self.cache.add_pod(pod, d.node)       # assume; the binding follows
                out.append(d)
        finally:
            self.counts.wall_s += time.perf_counter() - t0
            if gc_was_enabled:
                gc.enable()
        self.decisions.extend(out)
        return out

    def update_snapshot(self) -> None:
        if self.release.snapshot == "recency":
            walked, cloned = self.snapshot.update_by_recency(self.cache)
        else:
            walked, cloned = self.snapshot.update_walk_all(self.cache)
        self.counts.snapshot_walked += walked
        self.counts.node_infos_copied += cloned

    def schedule_one(self, pod: Pod) -> Decision:
        """One scheduling cycle for ``pod``."""
        c = self.counts
        self.update_snapshot()
        infos = self.snapshot.node_infos
        n = len(infos)
        want = feasible_nodes_to_find(self.release, n, self.percentage)
        meta = affinity.predicate_metadata(self.release.affinity, pod, infos,
                                           self.snapshot.pods_with_affinity)
        traces: dict[int, NodeTrace] | None = {} if self.trace else None
        feasible = []
        processed = 0
        start = self.next_start_node_index if self.release.scores_a_percentage else 0
        active = meta.active
        for j in range(n):
            info = infos[(start + j) % n]
            processed += 1
            c.filter_checks += 1
            failed = basic_filter(pod, info)
            if failed is None and active and not meta.ok(info):
                failed = "MatchInterPodAffinity"
            if failed is None:
                feasible.append(info)
                if len(feasible) >= want:
                    break
            elif traces is not None:
                traces[info.index] = NodeTrace(info.node.name, failed)
        c.affinity_checks += meta.checks
        self.next_start_node_index = (start + processed) % n if n else 0
        if traces is not None:                 # nodes the search never reached
            for j in range(processed, n):
                info = infos[(start + j) % n]
                traces[info.index] = NodeTrace(info.node.name, "not searched")
        decision = self.select_host(pod, feasible, traces)
        if self.audit and decision.node is not None:
            check = affinity.predicate_metadata("topology-pairs", pod, infos)
            everyone = [info for info in infos if basic_filter(pod, info) is None
                        and check.ok(info)]
            best = max(self._scores(pod, everyone, count=False))
            self.score_regret.append(best - decision.score)
        return decision

    def _scores(self, pod: Pod, feasible: list[NodeInfo], count: bool = True) -> list[int]:
        """Every feasible node's total score."""
        scores = [score(pod, info) for info in feasible]
        extra, checks = affinity.preferred_scores(pod, self.snapshot.node_infos, feasible,
                                                  self.snapshot.pods_with_affinity)
        if count:
            self.counts.score_evals += len(feasible)
            self.counts.affinity_checks += checks
        if extra is not None:
            scores = [a + b for a, b in zip(scores, extra)]
        return scores

    def select_host(self, pod: Pod, feasible: list[NodeInfo],
                    traces: dict[int, NodeTrace] | None = None) -> Decision:
        """Score ``feasible`` and pick the best; ties broken by the seeded generator among
        the tied nodes taken in node order (so the answer does not depend on search order)."""
        if not feasible:
            return Decision(pod.name, None, None, self._trace_tuple(traces))
        scores = self._scores(pod, feasible)
        best = max(scores)
        tied = sorted(info.index for info, s in zip(feasible, scores) if s == best)
        pick = tied[0] if len(tied) == 1 else tied[int(self.rng.integers(len(tied)))]
        if traces is not None:
            for info, s in zip(feasible, scores):
                traces[info.index] = NodeTrace(info.node.name, "fits", s)
        return Decision(pod.name, self.cache.node_infos[pick].node.name, best,
                        self._trace_tuple(traces))

    @staticmethod
    def _trace_tuple(traces: dict[int, NodeTrace] | None) -> tuple[NodeTrace, ...]:
        return tuple(traces[i] for i in sorted(traces)) if traces else ()


class NaiveScheduler(KubeScheduler):
    """``kube-scheduler`` 1.10: before every fix the chapter follows."""

    def __init__(self, cache: Cache, seed: int = 0, trace: bool = False) -> None:
        super().__init__(cache, "1.10", seed=seed, trace=trace)


class ImprovedScheduler(KubeScheduler):
    """``kube-scheduler`` 1.14: with every fix the talk names."""

    def __init__(self, cache: Cache, seed: int = 0, trace: bool = False,
                 percentage_of_nodes_to_score: int = 0, audit: bool = False) -> None:
        super().__init__(cache, "1.14", seed=seed, trace=trace,
                         percentage_of_nodes_to_score=percentage_of_nodes_to_score,
                         audit=audit)
