"""The 1.12–1.14 scheduler: score a percentage, precompute affinity, snapshot incrementally.

Three fixes, each named after what ``kube-scheduler`` calls it:

* **Incremental snapshot** (1.14, PR #74041). The cache stamps every NodeInfo with a
  *generation* when it changes; a cycle refreshes only the NodeInfos newer than its
  :class:`~kscale_lab.scheduler.cluster.Snapshot` — after binding one pod, one node.
* **``percentageOfNodesToScore``** (1.12). Filtering stops once
  ``numFeasibleNodesToFind`` nodes are feasible, searching from where the previous cycle
  stopped (a rotating start index, so every node gets its turn); only those are scored.
  With the adaptive default (percentage 0) that is ``50 - nodes/125`` % of the nodes, at
  least 5 %, and never fewer than ``minFeasibleNodesToFind`` = 100.
* **Affinity from topology-pair counts** (1.12, PR #62211 and follow-ups). Once per cycle,
  one pass over the existing pods counts, per *(topology key, value)* pair, the pods that
  match the pod's anti-affinity terms, and collects the pairs that existing pods' terms
  forbid to it. Each node is then checked with a lookup of its own pairs: O(1) per node.
"""

from __future__ import annotations

from collections import Counter

from kscale_lab.scheduler.base import BaseScheduler, Decision, NodeTrace, basic_filter, score
from kscale_lab.scheduler.cluster import NodeInfo, Pod, Snapshot

DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 50
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(num_all_nodes: int, percentage_of_nodes_to_score: int) -> int:
    """How many feasible nodes a cycle looks for (``numFeasibleNodesToFind``).

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


class AffinityMetadata:
    """Per-cycle precomputation of required anti-affinity (``predicateMetadata``).

    ``matching``: (key, value) → number of existing pods matching one of the pod's terms in
    that domain; ``forbidden``: (key, value) pairs where an existing pod's term rejects it.
    """

    def __init__(self, pod: Pod, infos: list[NodeInfo], pods_with_affinity: int = 1) -> None:
        self.matching: Counter = Counter()
        self.forbidden: set[tuple[str, str]] = set()
        checks = 0
        if not pod.anti_affinity and not pods_with_affinity:   # nothing to precompute
            infos = []
        for term in pod.anti_affinity:
            key = term.topology_key
            for info in infos:
                domain = info.node.labels.get(key)
                for existing in info.pods:
                    checks += 1
                    if domain is not None and term.matches(existing.labels):
                        self.matching[(key, domain)] += 1
        for info in infos:
            for existing in info.pods_with_affinity:
                for term in existing.anti_affinity:
                    checks += 1
                    domain = info.node.labels.get(term.topology_key)
                    if domain is not None and term.matches(pod.labels):
                        self.forbidden.add((term.topology_key, domain))
        self.precompute_checks = checks
        self.keys = sorted({t.topology_key for t in pod.anti_affinity}
                           | {k for k, _ in self.forbidden})
        self.active = bool(pod.anti_affinity) or checks > 0

    def ok(self, info: NodeInfo) -> bool:
        """One lookup per topology key of the node's domains."""
        labels = info.node.labels
        for key in self.keys:
            pair = (key, labels.get(key))
            if self.matching.get(pair, 0) > 0 or pair in self.forbidden:
                return False
        return True


class ImprovedScheduler(BaseScheduler):
    """``kube-scheduler`` 1.12–1.14 (see the module docstring)."""

    version = "improved"

    def __init__(self, cache, seed: int = 0, trace: bool = False,
                 percentage_of_nodes_to_score: int = 0, audit: bool = False) -> None:
        super().__init__(cache, seed, trace)
        self.audit = audit
        #: with ``audit``: per pod, the best score any feasible node offered minus the score
        #: of the node chosen (0: the subset held a best node). Not counted as work.
        self.score_regret: list[int] = []
        if not 0 <= percentage_of_nodes_to_score <= 100:
            raise ValueError("percentage_of_nodes_to_score must be a whole number from 0 to "
                             f"100 %; got {percentage_of_nodes_to_score}")
        self.percentage = percentage_of_nodes_to_score
        self.snapshot = Snapshot()
        self.next_start_node_index = 0

    def schedule_one(self, pod: Pod) -> Decision:
        c = self.counts
        c.node_infos_copied += self.snapshot.update(self.cache)
        infos = self.snapshot.node_infos
        n = len(infos)
        want = num_feasible_nodes_to_find(n, self.percentage)
        meta = AffinityMetadata(pod, infos, self.snapshot.pods_with_affinity)
        c.affinity_checks += meta.precompute_checks
        traces: dict[int, NodeTrace] | None = {} if self.trace else None
        feasible = []
        processed = 0
        start = self.next_start_node_index
        for j in range(n):
            info = infos[(start + j) % n]
            processed += 1
            c.filter_checks += 1
            failed = basic_filter(pod, info)
            if failed is None and meta.active:
                c.affinity_checks += 1
                if not meta.ok(info):
                    failed = "MatchInterPodAffinity"
            if failed is None:
                feasible.append(info)
                if len(feasible) >= want:
                    break
            elif traces is not None:
                traces[info.index] = NodeTrace(info.node.name, failed)
        self.next_start_node_index = (start + processed) % n if n else 0
        if traces is not None:                 # nodes the search never reached
            for j in range(processed, n):
                info = infos[(start + j) % n]
                traces[info.index] = NodeTrace(info.node.name, "not searched")
        decision = self.select_host(pod, feasible, traces)
        if self.audit and decision.node is not None:
            best = max(score(pod, info) for info in infos
                       if basic_filter(pod, info) is None and meta.ok(info))
            self.score_regret.append(best - decision.score)
        return decision
