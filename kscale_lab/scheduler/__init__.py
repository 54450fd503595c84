"""Chapter 5 — scheduling throughput: a real mini-scheduler, naive (1.11) and improved.

* :mod:`.cluster` — Nodes, Pods, NodeInfo, the scheduler Cache and its Snapshot;
* :mod:`.naive` — the 1.11 scheduler; :mod:`.improved` — the 1.12–1.14 scheduler;
* :mod:`.cost` — operation counts as formulas, and the cost model calibrated on the talk;
* :mod:`.queue` — pod churn: the scheduling queue (SimPy and vectorised);
* :mod:`.model` — :class:`SchedulerModel`, the chapter's model behind the course interface.
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
from kscale_lab.scheduler.improved import ImprovedScheduler, num_feasible_nodes_to_find
from kscale_lab.scheduler.model import (
    TALK,
    SchedulerDimensions,
    SchedulerModel,
    SchedulerOutcome,
)
from kscale_lab.scheduler.naive import NaiveScheduler

__all__ = [
    "HOSTNAME", "TALK", "ZONE", "AntiAffinityTerm", "Cache", "Counts", "Decision",
    "ImprovedScheduler", "NaiveScheduler", "Node", "NodeInfo", "Pod", "RunResult",
    "SchedulerDimensions", "SchedulerModel", "SchedulerOutcome", "Snapshot", "Taint",
    "Toleration", "make_cluster", "make_pods", "num_feasible_nodes_to_find", "run",
    "violations",
]


def run(version: Version | str, cache: Cache, pods: list[Pod], *, seed: int = 0,
        percentage_of_nodes_to_score: int = 0, trace: bool = False) -> RunResult:
    """Schedule ``pods`` into ``cache`` with one version; returns decisions and counts."""
    version = side_of(version)
    if version == "naive":
        s = NaiveScheduler(cache, seed=seed, trace=trace)
    elif version == "improved":
        s = ImprovedScheduler(cache, seed=seed, trace=trace,
                              percentage_of_nodes_to_score=percentage_of_nodes_to_score)
    else:
        raise ValueError(f"version must be 'naive' or 'improved'; got {version!r}")
    decisions = s.schedule(pods)
    return RunResult(version, decisions, s.counts, cache)
