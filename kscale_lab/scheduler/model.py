"""Chapter 5's model: scheduling throughput and latency, release by release, at any size.

``SchedulerModel`` evaluates the operation-count formulas of :mod:`~kscale_lab.scheduler.cost`
(checked against the real scheduler on small clusters) for a release, converts them to the
real scheduler's time with the calibrated unit cost, caps the throughput at the client's rate
limit, and puts the pods through the scheduling queue of :mod:`~kscale_lab.scheduler.queue`
at the given arrival rate. That takes a few milliseconds at 15,000 nodes, which is what keeps
the widgets instant; the real scheduler runs in the chapter, the tests and the benchmark.

**Naive, improved and the** ``version`` **dimension.** The naive side is always the 1.10
scheduler, before every fix the chapter follows; the improved side is the release the
``version`` dimension names (1.14 by default, with every fix the talk names). So
``kscale run scheduler --version 1.12`` compares 1.10 with 1.12, and ``--version 1.10``
shows the same scheduler twice. :func:`outcome_at` gives any release's outcome, for the
capstone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import Dimensions, choice, dimension, shared
from kscale_lab.model import Model, Outcome, Version, metric
from kscale_lab.scheduler import cost
from kscale_lab.scheduler.cluster import KINDS
from kscale_lab.scheduler.queue import (
    POD_STARTUP_SLO_S,
    SLO_MAX_CHURN_PODS_PER_S,
    p99_latency_s,
)
from kscale_lab.scheduler.releases import RECENT, VERSIONS, Release, release

__all__ = ["CURVE_NODES", "NAIVE_RELEASE", "TALK", "SchedulerDimensions", "SchedulerModel",
           "SchedulerOutcome", "outcome_at", "talk_points", "throughput_curve"]

#: The talk's numbers (slide "Scheduling performance"), in pods/s.
TALK = {"naive_2000": 90.0, "naive_5000": 30.0, "naive_5000_anti_affinity": 5 / 60}
#: The naive side of every comparison.
NAIVE_RELEASE = "1.10"
#: Event objects live this long in etcd (``--event-ttl``, 1 h).
EVENT_TTL_S = 3600.0


@dataclass(frozen=True)
class SchedulerDimensions(Dimensions):
    """Pod churn and #nodes (the dimensions that suffer), the workload, and the scheduler's
    release and settings."""

    nodes: int = shared("nodes", 5000)
    pods_per_node: int = shared("pods_per_node", 30, help="Here: pods already running")
    version: str = choice(
        "1.14", choices=VERSIONS, label="Kubernetes version",
        help="Release of the improved side (the naive side is always 1.10): 1.11 precomputes "
             "anti-affinity by node, 1.12 scores 50 % of the nodes and uses topology-pair "
             f"maps, 1.14 adapts the percentage and snapshots by recency; {RECENT} is "
             "modelled as 1.14")
    anti_affinity_fraction: float = dimension(
        0.0, lo=0.0, hi=1.0, step=0.01, label="anti-affinity fraction",
        help="Fraction of deployments (running and new) whose replicas keep apart on "
             "kubernetes.io/hostname with a pod anti-affinity term")
    anti_affinity_kind: str = choice(
        "required", choices=KINDS, label="anti-affinity kind",
        help="required: a filter (nodes of a replica are infeasible); preferred: a score "
             "(they score lower), like kube-dns's term")
    replicas_per_deployment: int = dimension(
        10, lo=1, hi=1000, unit="pods", log=True, label="replicas/deployment",
        help="Replicas per deployment: the pods one anti-affinity term selects (capped at "
             "the nodes when required)")
    percentage_of_nodes_to_score: int = dimension(
        0, lo=0, hi=100, unit="%", label="percentageOfNodesToScore",
        help="From 1.12: stop filtering once this share of the nodes is feasible; 0 = the "
             "release's default (50 % in 1.12-1.13; from 1.14 adaptive, 50 - nodes/125 %, at "
             "least 5 % and 100 nodes)")
    kube_api_qps: int = dimension(
        cost.KUBE_API_QPS, lo=1, hi=1000, unit="requests/s", log=True, label="--kube-api-qps",
        help="The scheduler's client rate limit (burst 100): each pod placed spends one "
             "request on its binding")
    arrival_rate: int = dimension(
        20, lo=1, hi=1000, unit="pods/s", log=True, label="pod arrival rate",
        help="Pod churn: new pods per second entering the scheduling queue (the pod startup "
             "SLO holds only up to 20)")

    @property
    def kind(self) -> str:
        return self.anti_affinity_kind


@dataclass(frozen=True)
class SchedulerOutcome(Outcome):
    """One scheduler release at one point of the dimensions."""

    pods_per_s: float = metric(unit="pods/s", help="Throughput: pods placed and bound per "
                                                  "second with a full queue, the lesser of "
                                                  "the loop's and the client limit's")
    cycle_pods_per_s: float = metric(unit="pods/s", help="What the scheduling loop alone "
                                                        "could place: 1 / mean cycle")
    mean_cycle_s: float = metric(unit="s", help="Mean time of one scheduling cycle (the "
                                               "cost model, calibrated on ~90 pods/s at "
                                               "2,000 nodes)")
    snapshot_walked_per_pod: float = metric(unit="NodeInfos",
                                            help="Snapshot entries walked per cycle")
    node_infos_copied_per_pod: float = metric(unit="NodeInfos",
                                              help="NodeInfos cloned into the snapshot")
    filter_checks_per_pod: float = metric(unit="nodes", help="Nodes filtered per pod")
    affinity_checks_per_pod: float = metric(unit="checks",
                                            help="Anti-affinity pair checks and comparisons")
    score_evals_per_pod: float = metric(unit="nodes", help="Nodes scored per pod")
    scheduler_utilisation: float = metric(help="Arrival rate ÷ throughput (≥ 1: the queue "
                                               "grows without bound)")
    p99_scheduling_latency_s: float | None = metric(
        unit="s", help="p99 of queueing + cycle + wait for a client token (null: grows "
                       "without bound)", none="unbounded")
    meets_pod_startup_slo: bool | None = metric(
        help="p99 scheduling latency within the 5 s pod startup SLO; judged only under the "
             "SLO's condition of churn ≤ 20 pods/s", none="not judged")
    release: str = field(default=NAIVE_RELEASE, repr=False)
    """The release this outcome is of (``"1.10"`` … )."""
    curve: dict | None = field(default=None, repr=False)
    """``{"nodes", "cycle_pods_per_s"}``: the loop's throughput over :data:`CURVE_NODES`."""
    ops_plain: Any = field(default=None, repr=False)      # cost.Ops, pods without terms
    ops_affinity: Any = field(default=None, repr=False)   # cost.Ops, pods with terms (mean)


#: The node counts of the throughput curve: log-spaced, plus the corners of
#: ``numFeasibleNodesToFind`` (100 and 200 nodes; the adaptive maximum near 3,125; the 5 %
#: floor from 5,625) so the figure draws them where they are, and the talk's 2,000 and 5,000.
CURVE_NODES = np.unique(np.concatenate([
    np.geomspace(1, 15_000, 90).round(), [99, 100, 199, 200, 2000, 3124, 3125, 5000, 5624, 5625]
])).astype(int)


def _args(d: SchedulerDimensions) -> dict:
    return dict(kind=d.kind, replicas=d.replicas_per_deployment,
                percentage_of_nodes_to_score=d.percentage_of_nodes_to_score)


def _replicas(d: SchedulerDimensions) -> int:
    return int(cost.effective_replicas(d.replicas_per_deployment, d.nodes,
                                       d.anti_affinity_fraction, d.kind))


def throughput_curve(version: str | Release, nodes: np.ndarray, d: SchedulerDimensions
                     ) -> np.ndarray:
    """The loop's calibrated pods/s over an array of node counts (for sweeps and figures).

    Parameters
    ----------
    version : str or Release
        The release.
    nodes : array of int
        Node counts.
    d : SchedulerDimensions
        Every other dimension (its ``nodes`` and ``version`` are ignored).

    Returns
    -------
    array of float
        ``1 / mean cycle`` at each node count (pods/s), before the client limit.
    """
    f = d.anti_affinity_fraction
    plain = cost.cycle_s(cost.ops_per_pod(version, nodes, d.pods_per_node, f, **_args(d)))
    aff = cost.cycle_s(cost.ops_per_pod(version, nodes, d.pods_per_node, f, **_args(d),
                                        pod_has_anti_affinity=True))
    return 1.0 / ((1 - f) * plain + f * aff)


def outcome_at(dims: SchedulerDimensions, version: str | Release) -> SchedulerOutcome:
    """The scheduler of Kubernetes ``version`` at ``dims`` (whose own ``version`` is ignored).

    Parameters
    ----------
    dims : SchedulerDimensions
        The cluster, its workload, the scheduler's settings and the churn.
    version : str or Release
        Any release from 1.10: ``"1.12"``, ``"1.13.4"``, ``"v1.14.0"``. Fixes switch on in
        the release they landed (:mod:`~kscale_lab.scheduler.releases`); releases after 1.14
        behave as 1.14 here.

    Returns
    -------
    SchedulerOutcome
        Its metrics, curve and ``load``.
    """
    r = release(version)
    d = dims
    f = d.anti_affinity_fraction
    g = _replicas(d)
    plain = cost.ops_per_pod(r, d.nodes, d.pods_per_node, f, **_args(d))
    per_replica = cost.ops_per_pod(r, d.nodes, d.pods_per_node, f, **_args(d),
                                   pod_has_anti_affinity=True, replica_index=np.arange(g))
    t_plain = float(cost.cycle_s(plain))
    t_aff = np.asarray(cost.cycle_s(per_replica), dtype=float)
    aff = cost.Ops(*(float(np.mean(getattr(per_replica, name))) for name in
                     ("snapshot_walked", "node_infos_copied", "filter_checks",
                      "affinity_checks", "score_evals")))
    mean = plain.mix(aff, f)
    mean_s = (1 - f) * t_plain + f * float(t_aff.mean())
    cycle_rate = 1.0 / mean_s
    rate = min(cycle_rate, float(d.kube_api_qps))
    p99, _ = p99_latency_s(d.arrival_rate, t_plain, t_aff, f, qps=d.kube_api_qps,
                           burst=cost.KUBE_API_BURST, replicas=g)
    judged = d.arrival_rate <= SLO_MAX_CHURN_PODS_PER_S
    bound = min(rate, float(d.arrival_rate))          # pods placed per second, sustained
    return SchedulerOutcome(
        pods_per_s=rate, cycle_pods_per_s=cycle_rate, mean_cycle_s=mean_s,
        snapshot_walked_per_pod=float(mean.snapshot_walked),
        node_infos_copied_per_pod=float(mean.node_infos_copied),
        filter_checks_per_pod=float(mean.filter_checks),
        affinity_checks_per_pod=float(mean.affinity_checks),
        score_evals_per_pod=float(mean.score_evals),
        scheduler_utilisation=d.arrival_rate / rate,
        p99_scheduling_latency_s=p99,
        meets_pod_startup_slo=(p99 is not None and p99 <= POD_STARTUP_SLO_S) if judged else None,
        release=r.name, ops_plain=plain, ops_affinity=aff,
        curve={"nodes": CURVE_NODES, "cycle_pods_per_s": throughput_curve(r, CURVE_NODES, d)},
        load=api_load(bound))


def api_load(bound_pods_per_s: float) -> ApiLoad:
    """What placing ``bound_pods_per_s`` pods a second puts on the apiserver and etcd.

    Each pod placed is one binding (``CREATE pods/binding``, which writes the Pod's
    ``nodeName``) and one "Scheduled" Event (``CREATE events``; the scheduler's events go
    through their own client, and the event broadcaster drops what it cannot send rather
    than slow the scheduler). Events live ``--event-ttl`` (1 h) in etcd, so about
    3,600 × the rate of them are held. etcd's bytes are left out: our sources give no size
    for a Pod or an Event object. The scheduler's informer watches (pods, nodes …) are left
    out too: their number and traffic belong to the watch chapter.
    """
    return ApiLoad({"CREATE": 2 * bound_pods_per_s},
                   etcd_objects=bound_pods_per_s * EVENT_TTL_S)


class SchedulerModel(Model[SchedulerDimensions, SchedulerOutcome]):
    """Scheduling throughput: kube-scheduler 1.10 (filter and score every node, scan every
    pod for anti-affinity) vs the release of the ``version`` dimension."""

    key = "scheduler"
    chapter = 5
    title = "Scheduling throughput"
    dimensions = SchedulerDimensions
    versions = (Version("naive", "1.10 scheduler"), Version("improved", "--version release"))
    figure_class = "kscale_lab.figures.scheduler:SchedulerFigure"

    def run(self, dims: SchedulerDimensions, version: Version) -> SchedulerOutcome:
        return outcome_at(dims, NAIVE_RELEASE if version.is_naive else dims.version)


#: The talk's conditions: 30 pods/node, no anti-affinity unless said, the client limit out
#: of the way (its 90 pods/s is more bindings than the default 50/s allow).
TALK_DIMENSIONS = SchedulerDimensions(pods_per_node=30, kube_api_qps=1000)


@dataclass(frozen=True)
class TalkPoint:
    """One of the talk's numbers beside the model's, and what the model's number is."""

    what: str
    talk: str
    talk_pods_per_s: float
    model_pods_per_s: float
    kind: str                 # "calibration" or "prediction"


def talk_points() -> list[TalkPoint]:
    """The talk's three scheduler numbers beside the 1.10 model under the talk's conditions
    (:data:`TALK_DIMENSIONS`): the first is the calibration point, the others predictions."""
    def rate(nodes: int, fraction: float = 0.0) -> float:
        d = TALK_DIMENSIONS.replace(nodes=nodes, anti_affinity_fraction=fraction)
        return outcome_at(d, NAIVE_RELEASE).pods_per_s

    return [
        TalkPoint("2,000 nodes", "~90 pods/s", TALK["naive_2000"], rate(2000), "calibration"),
        TalkPoint("5,000 nodes", "~30 pods/s", TALK["naive_5000"], rate(5000), "prediction"),
        TalkPoint("5,000 nodes, every deployment with required anti-affinity", "< 5 pods/min",
                  TALK["naive_5000_anti_affinity"], rate(5000, 1.0), "prediction"),
    ]
