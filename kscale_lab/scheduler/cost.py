"""From operation counts to the real scheduler's time: the calibrated cost model.

Our Python is not Go, so the lab's scheduler is never timed to predict Kubernetes. Instead:

1. :func:`ops_per_pod` gives the operations one scheduling cycle performs — NodeInfos
   copied, filter checks, affinity checks, score evaluations — *as formulas* of the cluster's
   dimensions. They are the counts the real schedulers in :mod:`~kscale_lab.scheduler.naive`
   and :mod:`~kscale_lab.scheduler.improved` report (``tests/test_scheduler.py`` checks them
   against real runs on small clusters), so they can be evaluated at 5,000 nodes instantly.
2. Each operation has a cost in **units**: copying a NodeInfo, filtering a node and scoring
   a node cost one unit each (:data:`WEIGHTS`); one affinity pair check — a label selector
   matched against one pod's labels — costs :data:`AFFINITY_CHECK_WEIGHT` of a unit. These
   ratios are the model's assumptions, not fitted.
3. One unit's time, :data:`UNIT_S`, is **calibrated on one point of the talk**: ~90 pods/s
   with the 1.11 scheduler in a 2,000-node cluster, no anti-affinity
   (:data:`CALIBRATION`). Every other number — 5,000 nodes, anti-affinity, the improved
   scheduler — is a *prediction*.

The model counts only the work that grows with the cluster. Per-pod costs that do not
(taking the pod off the queue, the binding API call, events) are left out, so throughputs
are upper bounds — which matters most for the improved scheduler, whose per-pod work is small.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from kscale_lab.model import side_of
from kscale_lab.scheduler.cluster import GROUP_SIZE
from kscale_lab.scheduler.improved import num_feasible_nodes_to_find

#: The one published point the cost model is calibrated on: (version, nodes, pods/s).
CALIBRATION = ("naive", 2000, 90.0)
#: Cost of each node-level operation, in units (assumption: all comparable).
WEIGHTS = {"node_infos_copied": 1.0, "filter_checks": 1.0, "score_evals": 1.0}
#: Cost of one affinity pair check in units (assumption: a label-selector match on one pod
#: is ~1/20 of filtering a whole node). The anti-affinity prediction is robust to it: any
#: weight above ~0.01 gives the talk's "< 5 pods/min" at 5,000 nodes.
AFFINITY_CHECK_WEIGHT = 0.05


@dataclass(frozen=True)
class Ops:
    """Operations of one scheduling cycle (one pod)."""

    node_infos_copied: float
    filter_checks: float
    affinity_checks: float
    score_evals: float

    def units(self, affinity_weight: float = AFFINITY_CHECK_WEIGHT) -> float:
        return (WEIGHTS["node_infos_copied"] * self.node_infos_copied
                + WEIGHTS["filter_checks"] * self.filter_checks
                + WEIGHTS["score_evals"] * self.score_evals
                + affinity_weight * self.affinity_checks)

    def mix(self, other: Ops, fraction: float) -> Ops:
        """``(1 - fraction) × self + fraction × other``."""
        f = fraction
        return Ops(*((1 - f) * a + f * b for a, b in zip(
            (self.node_infos_copied, self.filter_checks, self.affinity_checks,
             self.score_evals),
            (other.node_infos_copied, other.filter_checks, other.affinity_checks,
             other.score_evals))))


def pods_with_anti_affinity(nodes: int, pods_per_node: int, fraction: float) -> int:
    """Running pods that carry anti-affinity: whole deployments of :data:`GROUP_SIZE`."""
    total = nodes * pods_per_node
    groups = -(-total // GROUP_SIZE)
    return min(total, round(fraction * groups) * GROUP_SIZE)


def ops_per_pod(version: str, nodes: int, pods_per_node: int, anti_affinity_fraction: float,
                percentage_of_nodes_to_score: int = 0, pod_has_anti_affinity: bool = False
                ) -> Ops:
    """Operations to schedule one pod into a steady cluster where every node fits it.

    naive: copy N NodeInfos, filter N, score N; with anti-affinity, for every node scan the
    P running pods (the pod's own terms) and the A running pods with terms: N × (P + A).
    improved: copy 1 NodeInfo (the one the previous pod changed), filter and score
    K = ``numFeasibleNodesToFind(N)``; with anti-affinity, one pass over the P (and A)
    running pods, then one lookup per filtered node.
    """
    version = side_of(version)
    n = nodes
    p = nodes * pods_per_node
    a = pods_with_anti_affinity(nodes, pods_per_node, anti_affinity_fraction)
    scan = (p if pod_has_anti_affinity else 0) + a
    active = pod_has_anti_affinity or a > 0
    if version == "naive":
        return Ops(n, n, n * scan if active else 0, n)
    if version == "improved":
        k = num_feasible_nodes_to_find(n, percentage_of_nodes_to_score)
        return Ops(1, k, scan + (k if active else 0), k)
    raise ValueError(f"version must be 'naive' or 'improved'; got {version!r}")


def _calibrate() -> float:
    version, nodes, pods_per_s = CALIBRATION
    return 1.0 / (pods_per_s * ops_per_pod(version, nodes, 30, 0.0).units())


#: Seconds per unit of work in the real (Go) scheduler, from :data:`CALIBRATION`.
UNIT_S = _calibrate()


def cycle_s(ops: Ops, unit_s: float = UNIT_S,
            affinity_weight: float = AFFINITY_CHECK_WEIGHT) -> float:
    """The real scheduler's time for one cycle of ``ops``."""
    return ops.units(affinity_weight) * unit_s


@functools.cache
def python_costs(version: str) -> tuple[float, float]:
    """Seconds per node operation and per affinity pair check **of our Python scheduler**
    (``version``), measured once per process on two small real runs: 20 pods without
    anti-affinity into 200 nodes × 30 pods, then 5 pods with it into 60 nodes × 10 pods where
    every pod has it. (The naive inner loop skips the label match for pods in another
    domain; the improved precomputation matches every pod: their pair costs differ.)"""
    from kscale_lab.scheduler import make_cluster, make_pods, run

    r = run(version, make_cluster(200, 30, 0.0), make_pods(20, 0.0), seed=1)
    c = r.counts
    node_s = c.wall_s / (c.node_infos_copied + c.filter_checks + c.score_evals)
    r = run(version, make_cluster(60, 10, 1.0), make_pods(5, 1.0), seed=1)
    c = r.counts
    rest = c.wall_s - node_s * (c.node_infos_copied + c.filter_checks + c.score_evals)
    pair_s = max(rest, 0.0) / max(1, c.affinity_checks)
    return node_s, pair_s


def python_cycle_s(version: str, ops: Ops) -> float:
    """Our Python scheduler's time for one cycle, from :func:`python_costs`."""
    node_s, pair_s = python_costs(version)
    return node_s * (ops.node_infos_copied + ops.filter_checks + ops.score_evals) \
        + pair_s * ops.affinity_checks


def measure_python_pods_per_s(version: str, nodes: int, pods_per_node: int,
                              anti_affinity_fraction: float = 0.0, pods: int = 100,
                              percentage_of_nodes_to_score: int = 0) -> tuple[float, float]:
    """A real run: schedule ``pods`` pods; returns (pods/s of the scheduling, setup seconds)."""
    from kscale_lab.scheduler.cluster import make_cluster, make_pods
    from kscale_lab.scheduler.improved import ImprovedScheduler
    from kscale_lab.scheduler.naive import NaiveScheduler

    t = time.perf_counter()
    cache = make_cluster(nodes, pods_per_node, anti_affinity_fraction)
    batch = make_pods(pods, anti_affinity_fraction)
    setup = time.perf_counter() - t
    if version == "naive":
        s = NaiveScheduler(cache, seed=1)
    else:
        s = ImprovedScheduler(cache, seed=1,
                              percentage_of_nodes_to_score=percentage_of_nodes_to_score)
    s.schedule(batch)
    return s.counts.pods_per_s, setup
