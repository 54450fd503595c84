"""From operation counts to the real scheduler's time: the cost model and its calibration.

Our Python is not Go, so the lab's scheduler is never timed to predict Kubernetes. Instead:

1. :func:`ops_per_pod` gives the operations one scheduling cycle of a release performs —
   snapshot entries walked, NodeInfos cloned, nodes filtered, anti-affinity checks, nodes
   scored — *as formulas* of the cluster's dimensions. They are what the lab's real
   scheduler (:class:`~kscale_lab.scheduler.scheduler.KubeScheduler`) counts
   (``tests/test_scheduler.py`` checks them against real runs on small clusters), so they
   can be evaluated at 15,000 nodes instantly.
2. Each operation costs some **units** (:data:`WEIGHTS`): filtering a node, scoring it and
   cloning a NodeInfo one unit each; comparing a snapshot entry's generation, and one
   anti-affinity check (a label selector matched against one pod, or one topology
   comparison), 0.05 of a unit. These ratios are assumptions, not fitted.
3. Every cycle also costs :data:`CYCLE_OVERHEAD_S` that does not grow with the cluster, the
   sum of three named parts (the per-pod costs the facts file lists as independent of
   cluster size): :data:`QUEUEING_S` (taking the pod off the scheduling queue, setting up
   the cycle, assuming the pod in the cache), :data:`BINDING_S` (handing its binding API
   call to the background) and :data:`EVENT_RECORDING_S` (recording its "Scheduled" Event).
   All three are illustrative and unverified; only their sum enters the calibration and the
   predictions.
4. One unit's time, :data:`UNIT_S`, is **calibrated on one published point**, the talk's
   ~90 pods/s at 2,000 nodes (:data:`CALIBRATION`), taken as the 1.10 scheduler without
   anti-affinity (1.10 and 1.11 do the same work there). Every other number is a
   *prediction*.

Outside the loop, every pod placed costs one request of the scheduler's client — its binding
(``POST pods/binding``) — which the client's rate limit (``--kube-api-qps``, 50 by default,
burst 100) throttles; :mod:`~kscale_lab.scheduler.queue` puts that limit in the pod's path.

The workload behind the formulas is the one :func:`~kscale_lab.scheduler.cluster.make_cluster`
and :func:`~kscale_lab.scheduler.cluster.make_pods` build: ``N`` nodes running ``ppn`` pods
each (``P = N × ppn``); deployments of ``G`` replicas, a fraction of them with one
anti-affinity term on the hostname (required or preferred) that selects their own replicas;
new pods arrive deployment by deployment, so a new pod with terms meets ``m`` earlier
replicas already placed (0 to G − 1, ``(G − 1)/2`` on average).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from kscale_lab.scheduler.cluster import GROUP_SIZE
from kscale_lab.scheduler.releases import Release, release
from kscale_lab.scheduler.scheduler import (
    DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE,
    MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND,
    MIN_FEASIBLE_NODES_TO_FIND,
)

#: The one published point the model is calibrated on: (release, nodes, pods/node, pods/s):
#: the talk's "~90/s in 2k-node cluster", at SIG Scalability's 30 pods/node, without
#: anti-affinity, with the client rate limit out of the way (90 bindings/s is more than the
#: default 50 allow, so the talk's tests must have raised it).
CALIBRATION = ("1.10", 2000, 30, 90.0)
#: Cost of each operation in units (assumptions: see the module docstring).
WEIGHTS = {"snapshot_walked": 0.05, "node_infos_copied": 1.0, "filter_checks": 1.0,
           "affinity_checks": 0.05, "score_evals": 1.0}
#: Per-cycle costs that do not grow with the cluster, in seconds. Each is illustrative and
#: unverified (no source gives the Go scheduler's split); their sum, :data:`CYCLE_OVERHEAD_S`,
#: is the number the model uses.
#: Queueing: popping the pod off the scheduling queue, setting up the cycle, assuming the pod
#: in the scheduler cache.
QUEUEING_S = 4e-4
#: The binding API call (``POST pods/binding``) handed to the background, and its bookkeeping.
#: Its client rate limit is modelled apart (:data:`KUBE_API_QPS`, in the pod's path).
BINDING_S = 4e-4
#: Recording the pod's "Scheduled" Event into the event broadcaster's queue.
EVENT_RECORDING_S = 2e-4
#: Their sum, 1 ms: about a tenth of the calibration point's cycle (:data:`CALIBRATION`,
#: 1/90 s). :data:`UNIT_S` is calibrated after subtracting it, so the split between the
#: three parts changes no prediction; the sum does, and the chapter shows how the predictions
#: move if it is three times smaller or larger.
CYCLE_OVERHEAD_S = QUEUEING_S + BINDING_S + EVENT_RECORDING_S
#: kube-scheduler's client rate limit: ``clientConnection`` qps 50, burst 100 by default
#: (KubeSchedulerConfiguration). Each pod placed spends one token on its binding.
KUBE_API_QPS = 50
KUBE_API_BURST = 100


@dataclass(frozen=True)
class Ops:
    """Operations of one scheduling cycle (floats, or NumPy arrays over a sweep)."""

    snapshot_walked: Any
    node_infos_copied: Any
    filter_checks: Any
    affinity_checks: Any
    score_evals: Any

    def units(self, weights: dict[str, float] | None = None) -> Any:
        """The cycle's work in units (:data:`WEIGHTS` unless ``weights`` given)."""
        w = WEIGHTS if weights is None else {**WEIGHTS, **weights}
        return sum(w[f.name] * getattr(self, f.name) for f in fields(self))

    def mix(self, other: Ops, fraction: float) -> Ops:
        """``(1 - fraction) × self + fraction × other``."""
        return Ops(*((1 - fraction) * getattr(self, f.name) + fraction * getattr(other, f.name)
                     for f in fields(self)))


def effective_replicas(replicas: int, nodes: Any, fraction: float, kind: str) -> Any:
    """Replicas per deployment, capped at ``nodes`` when required anti-affinity on the
    hostname must keep them on different nodes (as ``make_cluster`` does)."""
    if kind == "required" and fraction > 0:
        return np.maximum(1, np.minimum(replicas, nodes))
    return replicas + 0 * np.asarray(nodes)


def pods_with_anti_affinity(nodes: Any, pods_per_node: int, fraction: float,
                            replicas: Any = GROUP_SIZE) -> Any:
    """Running pods that carry a term: ``round(fraction × deployments)`` whole deployments."""
    total = np.asarray(nodes) * pods_per_node
    groups = np.ceil(total / replicas)
    return np.minimum(total, np.round(fraction * groups) * replicas)


def nodes_to_find(version: str | Release, nodes: Any, percentage: int = 0) -> Any:
    """``numFeasibleNodesToFind`` of ``version`` over an array of node counts."""
    r = release(version)
    n = np.asarray(nodes)
    if not r.scores_a_percentage:
        return n + 0
    pct = percentage or r.percentage_default
    if pct >= 100:
        return n + 0
    if pct <= 0:
        pct = np.maximum(DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE - n // 125,
                         MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    k = np.maximum(n * pct // 100, MIN_FEASIBLE_NODES_TO_FIND)
    return np.where(n < MIN_FEASIBLE_NODES_TO_FIND, n, k)


def ops_per_pod(version: str | Release, nodes: Any, pods_per_node: int,
                anti_affinity_fraction: float = 0.0, *, kind: str = "required",
                replicas: int = GROUP_SIZE, percentage_of_nodes_to_score: int = 0,
                pod_has_anti_affinity: bool = False, replica_index: Any = None) -> Ops:
    """Operations to schedule one pod into a steady cluster where every node fits it.

    Parameters
    ----------
    version : str or Release
        The release.
    nodes : int or array
        N, nodes in the cluster.
    pods_per_node : int
        Pods already running per node.
    anti_affinity_fraction : float
        Fraction of deployments (running and new) with an anti-affinity term.
    kind : {"required", "preferred"}
        The kind of those terms.
    replicas : int
        G, replicas per deployment.
    percentage_of_nodes_to_score : int
        0 for the release's default.
    pod_has_anti_affinity : bool
        Whether this pod's deployment has a term.
    replica_index : float or array, optional
        m, earlier replicas of its deployment already placed (default: the mean, (G − 1)/2).

    Returns
    -------
    Ops
        Per-pod operations. With ``K`` the nodes to find, ``P`` the running pods, ``A``
        those with terms and ``C`` the nodes filtered:

        * walked: N before 1.14, 2 from 1.14 (the changed NodeInfo, then the first
          unchanged one); cloned: 1 (the node the previous pod went to);
        * filtered C = K, and scored K; a pod with required terms finds ``m`` nodes
          infeasible (those of its earlier replicas), so it filters ``K × N / (N − m)``
          (at most N) and scores at most ``N − m``;
        * anti-affinity, a pod without terms: A (one pass over the existing terms), never a
          per-node scan of them;
        * required, with terms: 1.10 ``A + C × m + C × P``; 1.11 ``P + A + 2 × C × m``;
          1.12+ ``P + A + C``;
        * preferred, with terms: ``P + A + 2 × m × scored`` in every release.
    """
    r = release(version)
    if kind not in ("required", "preferred"):
        raise ValueError(f"kind must be 'required' or 'preferred'; got {kind!r}")
    n = np.asarray(nodes, dtype=float)
    f = anti_affinity_fraction
    p = n * pods_per_node
    g = effective_replicas(replicas, n, f, kind)
    a = pods_with_anti_affinity(n, pods_per_node, f, g)
    k = nodes_to_find(r, n, percentage_of_nodes_to_score).astype(float)
    m = (g - 1) / 2 if replica_index is None else np.asarray(replica_index, dtype=float)
    walked = n if r.snapshot == "walk-all" else np.minimum(2.0, n)
    copied = np.minimum(1.0, n)
    if not pod_has_anti_affinity:
        return Ops(walked, copied, k, a + 0 * n, k)
    if kind == "preferred":
        return Ops(walked, copied, k, p + a + 2 * m * k, k)
    free = np.maximum(n - m, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(free > 0, np.minimum(n, k * n / np.where(free > 0, free, 1)), n)
    scored = np.minimum(k, free)
    if r.affinity == "scan":
        aff = a + c * m + c * p
    elif r.affinity == "by-node":
        aff = p + a + 2 * c * m
    else:
        aff = p + a + c
    return Ops(walked, copied, c, aff, scored)


def _calibrate() -> float:
    version, nodes, pods_per_node, pods_per_s = CALIBRATION
    units = float(ops_per_pod(version, nodes, pods_per_node).units())
    return (1.0 / pods_per_s - CYCLE_OVERHEAD_S) / units


#: Seconds per unit of work in the real (Go) scheduler, from :data:`CALIBRATION`.
UNIT_S = _calibrate()


def cycle_s(ops: Ops, unit_s: float | None = None, weights: dict[str, float] | None = None,
            overhead_s: float = CYCLE_OVERHEAD_S) -> Any:
    """The real scheduler's time for one cycle of ``ops`` (seconds).

    ``unit_s`` defaults to :data:`UNIT_S`; pass ``weights`` or ``overhead_s`` to see how a
    prediction depends on them (``unit_s`` is then recalibrated on the same point, unless
    given).
    """
    if unit_s is None:
        unit_s = UNIT_S
        if weights is not None or overhead_s != CYCLE_OVERHEAD_S:
            version, nodes, pods_per_node, pods_per_s = CALIBRATION
            base = ops_per_pod(version, nodes, pods_per_node).units(weights)
            unit_s = (1.0 / pods_per_s - overhead_s) / float(base)
    return overhead_s + unit_s * ops.units(weights)
