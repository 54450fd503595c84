"""Chapter 5 — scheduling throughput: a real mini-scheduler, release by release from 1.10.

* :mod:`.releases` — which release carries which fix (the history as data);
* :mod:`.cluster` — Nodes, Pods, NodeInfo, the scheduler Cache and its Snapshot;
* :mod:`.affinity` — pod anti-affinity as each release computed it;
* :mod:`.scheduler` — :class:`KubeScheduler` (``NaiveScheduler`` = 1.10,
  ``ImprovedScheduler`` = 1.14);
* :mod:`.cost` — operation counts as formulas, and the cost model calibrated on the talk;
* :mod:`.queue` — pod churn: the scheduling queue and the client rate limit (SimPy and
  vectorised);
* :mod:`.model` — :class:`SchedulerModel`, the chapter's model behind the course interface,
  and :func:`outcome_at` for any release.
"""

from kscale_lab.model import Version, side_of
from kscale_lab.scheduler.base import Counts, Decision, RunResult, violations
from kscale_lab.scheduler.cluster import (
    HOSTNAME,
    ZONE,
    AntiAffinityTerm,
    Cache,
    Node,
    NodeInfo,
    Pod,
    Snapshot,
    Taint,
    Toleration,
    make_cluster,
    make_pods,
)
from kscale_lab.scheduler.model import (
    TALK,
    SchedulerDimensions,
    SchedulerModel,
    SchedulerOutcome,
    outcome_at,
    talk_points,
)
from kscale_lab.scheduler.releases import FIXES, VERSIONS, Release, release
from kscale_lab.scheduler.scheduler import (
    ImprovedScheduler,
    KubeScheduler,
    NaiveScheduler,
    feasible_nodes_to_find,
    num_feasible_nodes_to_find,
)

__all__ = [
    "FIXES", "HOSTNAME", "TALK", "VERSIONS", "ZONE", "AntiAffinityTerm", "Cache", "Counts",
    "Decision", "ImprovedScheduler", "KubeScheduler", "NaiveScheduler", "Node", "NodeInfo",
    "Pod", "Release", "RunResult", "SchedulerDimensions", "SchedulerModel",
    "SchedulerOutcome", "Snapshot", "Taint", "Toleration", "feasible_nodes_to_find",
    "make_cluster", "make_pods", "num_feasible_nodes_to_find", "outcome_at", "release",
    "run", "talk_points", "violations",
]

#: What ``run`` reads "naive" and "improved" as.
SIDES = {"naive": "1.10", "improved": "1.14"}


def run(version: Version | Release | str, cache: Cache, pods: list[Pod], *, seed: int = 0,
        percentage_of_nodes_to_score: int = 0, trace: bool = False) -> RunResult:
    """Schedule ``pods`` into ``cache`` with one release; returns decisions and counts.

    ``version``: a release (``"1.12"``, ``"v1.13.4"``, a :class:`Release`), or a side
    (``"naive"`` is 1.10, ``"improved"`` 1.14, as is a :class:`~kscale_lab.model.Version`).
    """
    if isinstance(version, Version) or version in SIDES:
        version = SIDES[side_of(version)]
    s = KubeScheduler(cache, version, seed=seed, trace=trace,
                      percentage_of_nodes_to_score=percentage_of_nodes_to_score)
    decisions = s.schedule(pods)
    return RunResult(s.version, decisions, s.counts, cache)
