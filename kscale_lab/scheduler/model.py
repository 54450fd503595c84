"""Chapter 5's model: scheduling throughput and latency, 1.11 vs 1.12–1.14, at any size.

``SchedulerModel`` evaluates the operation-count formulas of :mod:`~kscale_lab.scheduler.cost`
(checked against the real schedulers on small clusters), converts them to the real
scheduler's time with the calibrated unit cost, and puts the pods through the scheduling
queue of :mod:`~kscale_lab.scheduler.queue` at the given arrival rate. That takes a
millisecond at 5,000 nodes, which is what keeps the widgets instant; the real schedulers run
in the chapter, the tests and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import Dimensions, dimension, shared
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.scheduler import cost
from kscale_lab.scheduler.queue import POD_STARTUP_SLO_S, p99_latency_s

#: The talk's numbers (slide "Scheduling performance"), in pods/s.
TALK = {"naive_2000": 90.0, "naive_5000": 30.0, "naive_5000_anti_affinity": 5 / 60}


@dataclass(frozen=True)
class SchedulerDimensions(Dimensions):
    """Pod churn and #nodes (the dimensions that suffer), and the scheduler's setting."""

    nodes: int = shared("nodes", 5000)
    pods_per_node: int = shared("pods_per_node", 30, help="Here: pods already running")
    anti_affinity_fraction: float = dimension(
        0.0, lo=0.0, hi=1.0, step=0.01, label="anti-affinity fraction",
        help="Fraction of deployments (running and new) whose replicas require anti-affinity "
             "on kubernetes.io/hostname")
    percentage_of_nodes_to_score: int = dimension(
        0, lo=0, hi=100, unit="%", label="percentageOfNodesToScore",
        help="Improved scheduler only: stop filtering once this share of the nodes is "
             "feasible; 0 = adaptive (50 - nodes/125 %, at least 5 %, at least 100 nodes)")
    arrival_rate: int = dimension(50, lo=1, hi=1000, unit="pods/s", log=True,
                                    label="pod arrival rate",
                                    help="Pod churn: new pods per second entering the "
                                         "scheduling queue")


@dataclass(frozen=True)
class SchedulerOutcome(Outcome):
    """One scheduler version at one point of the dimensions."""

    pods_per_s: float = metric(unit="pods/s", help="Throughput of the real (Go) scheduler: "
                                                  "the cost model calibrated on ~90 pods/s "
                                                  "at 2,000 nodes (1.11)")
    mean_cycle_s: float = metric(unit="s", help="Mean time of one scheduling cycle")
    node_infos_copied_per_pod: float = metric(unit="NodeInfos",
                                              help="NodeInfos copied into the snapshot")
    filter_checks_per_pod: float = metric(unit="nodes", help="Nodes filtered per pod")
    affinity_checks_per_pod: float = metric(unit="checks",
                                            help="Anti-affinity pair checks and lookups")
    score_evals_per_pod: float = metric(unit="nodes", help="Nodes scored per pod")
    scheduler_utilisation: float = metric(help="Arrival rate × mean cycle (≥ 1: the queue "
                                               "grows without bound)")
    p99_scheduling_latency_s: float | None = metric(
        unit="s", help="p99 of queueing + scheduling time (null: grows without bound)",
        none="unbounded")
    meets_pod_startup_slo: bool = metric(help="p99 scheduling latency within the 5 s pod "
                                              "startup SLO")
    curve: dict | None = field(default=None, repr=False)
    """Throughput (pods/s) over :data:`CURVE_NODES` at the same other dimensions."""
    ops_plain: Any = field(default=None, repr=False)      # cost.Ops, pods without affinity
    ops_affinity: Any = field(default=None, repr=False)   # cost.Ops, pods with affinity


#: The node counts of the throughput curve drawn in the chapter's figure.
CURVE_NODES = np.unique(np.geomspace(10, 15_000, 48).round().astype(int))


def outcome(version: str, d: SchedulerDimensions) -> SchedulerOutcome:
    """Evaluate one version at ``d`` with the cost model and the queue."""
    args = (version, d.nodes, d.pods_per_node, d.anti_affinity_fraction,
            d.percentage_of_nodes_to_score)
    plain = cost.ops_per_pod(*args, pod_has_anti_affinity=False)
    aff = cost.ops_per_pod(*args, pod_has_anti_affinity=True)
    f = d.anti_affinity_fraction
    mean = plain.mix(aff, f)
    t_plain, t_aff = cost.cycle_s(plain), cost.cycle_s(aff)
    mean_s = (1 - f) * t_plain + f * t_aff
    p99, rho = p99_latency_s(d.arrival_rate, t_plain, t_aff, f)
    pods_per_s = 1.0 / mean_s
    bound_per_s = min(pods_per_s, float(d.arrival_rate))
    return SchedulerOutcome(
        pods_per_s=pods_per_s, mean_cycle_s=mean_s,
        node_infos_copied_per_pod=mean.node_infos_copied,
        filter_checks_per_pod=mean.filter_checks, affinity_checks_per_pod=mean.affinity_checks,
        score_evals_per_pod=mean.score_evals, scheduler_utilisation=rho,
        p99_scheduling_latency_s=p99,
        meets_pod_startup_slo=p99 is not None and p99 <= POD_STARTUP_SLO_S,
        ops_plain=plain, ops_affinity=aff,
        curve={"nodes": CURVE_NODES,
               "pods_per_s": throughput_curve(version, CURVE_NODES, d.pods_per_node,
                                              d.anti_affinity_fraction,
                                              d.percentage_of_nodes_to_score)},
        # each pod placed is one binding (CREATE pods/binding) and one "Scheduled" Event
        load=ApiLoad({"CREATE": 2 * bound_per_s}))


def throughput_curve(version: Version | str, nodes: np.ndarray, pods_per_node: int,
                     anti_affinity_fraction: float, percentage: int = 0) -> np.ndarray:
    """The calibrated pods/s over an array of node counts (for sweeps and figures)."""
    version = side_of(version)
    out = []
    for n in nodes:
        args = (version, int(n), pods_per_node, anti_affinity_fraction, percentage)
        plain = cost.cycle_s(cost.ops_per_pod(*args, pod_has_anti_affinity=False))
        aff = cost.cycle_s(cost.ops_per_pod(*args, pod_has_anti_affinity=True))
        f = anti_affinity_fraction
        out.append(1.0 / ((1 - f) * plain + f * aff))
    return np.array(out)


class SchedulerModel(Model):
    """Scheduling throughput: filter and score every node (1.11) vs a percentage, with
    topology-pair affinity and an incremental snapshot (1.12–1.14)."""

    key = "scheduler"
    chapter = 5
    title = "Scheduling throughput"
    dimensions = SchedulerDimensions
    versions = (Version("naive", "1.11 scheduler"), Version("improved", "1.12–1.14 scheduler"))
    figure_class = "kscale_lab.figures.scheduler:SchedulerFigure"

    def run(self, dims: SchedulerDimensions, version: Version) -> SchedulerOutcome:
        return outcome(version.side, dims)
