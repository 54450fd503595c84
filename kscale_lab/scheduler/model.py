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
from matplotlib.ticker import FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.dimensions import Dimensions, dimension
from kscale_lab.model import Comparison, Model, Outcome, metric
from kscale_lab.scheduler import cost
from kscale_lab.scheduler.queue import POD_STARTUP_SLO_S, p99_latency_s

#: The talk's numbers (slide "Scheduling performance"), in pods/s.
TALK = {"naive_2000": 90.0, "naive_5000": 30.0, "naive_5000_anti_affinity": 5 / 60}


@dataclass(frozen=True)
class SchedulerDimensions(Dimensions):
    """Pod churn and #nodes (the dimensions that suffer), and the scheduler's setting."""

    nodes: int = dimension(5000, lo=10, hi=10000, unit="nodes", log=True, label="nodes",
                           help="Nodes in the cluster (the envelope's limit is 5,000)")
    pods_per_node: int = dimension(30, lo=0, hi=150, unit="pods", label="pods/node running",
                                   help="Pods already running on every node (the envelope's "
                                        "limit is 110)")
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
    python_pods_per_s: float = metric(unit="pods/s", help="Our Python scheduler at these "
                                                         "dimensions (per-operation costs "
                                                         "measured on a small real run; "
                                                         "for information)")
    ops_plain: Any = field(default=None, repr=False)      # cost.Ops, pods without affinity
    ops_affinity: Any = field(default=None, repr=False)   # cost.Ops, pods with affinity


def outcome(version: str, d: SchedulerDimensions, measure_python: bool = True
            ) -> SchedulerOutcome:
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
    py = 1.0 / ((1 - f) * cost.python_cycle_s(version, plain)
                + f * cost.python_cycle_s(version, aff)) \
        if measure_python else float("nan")
    return SchedulerOutcome(
        pods_per_s=1.0 / mean_s, mean_cycle_s=mean_s,
        node_infos_copied_per_pod=mean.node_infos_copied,
        filter_checks_per_pod=mean.filter_checks, affinity_checks_per_pod=mean.affinity_checks,
        score_evals_per_pod=mean.score_evals, scheduler_utilisation=rho,
        p99_scheduling_latency_s=p99,
        meets_pod_startup_slo=p99 is not None and p99 <= POD_STARTUP_SLO_S,
        python_pods_per_s=py, ops_plain=plain, ops_affinity=aff)


def throughput_curve(version: str, nodes: np.ndarray, pods_per_node: int,
                     anti_affinity_fraction: float, percentage: int = 0) -> np.ndarray:
    """The calibrated pods/s over an array of node counts (for sweeps and figures)."""
    out = []
    for n in nodes:
        args = (version, int(n), pods_per_node, anti_affinity_fraction, percentage)
        plain = cost.cycle_s(cost.ops_per_pod(*args, pod_has_anti_affinity=False))
        aff = cost.cycle_s(cost.ops_per_pod(*args, pod_has_anti_affinity=True))
        f = anti_affinity_fraction
        out.append(1.0 / ((1 - f) * plain + f * aff))
    return np.array(out)


def _rate(v: float, _pos: Any = None) -> str:
    if v >= 1:
        return f"{v:,.0f}"
    return f"{v:.2g}"


class SchedulerModel(Model):
    """Scheduling throughput: filter and score every node (1.11) vs a percentage, with
    topology-pair affinity and an incremental snapshot (1.12–1.14)."""

    key = "scheduler"
    chapter = 5
    title = "Scheduling throughput"
    dimensions = SchedulerDimensions
    naive_label = "1.11 scheduler"
    improved_label = "1.12–1.14 scheduler"

    def __init__(self, measure_python: bool = True) -> None:
        self.measure_python = measure_python

    def naive(self, dims: SchedulerDimensions) -> SchedulerOutcome:
        return outcome("naive", dims, self.measure_python)

    def improved(self, dims: SchedulerDimensions) -> SchedulerOutcome:
        return outcome("improved", dims, self.measure_python)

    def plot(self, comparison: Comparison, fig: Any) -> None:
        """Left: throughput against #nodes, both versions, with the talk's points and the
        arrival rate. Right: p99 scheduling latency against the 5 s pod startup SLO."""
        d: SchedulerDimensions = comparison.dimensions  # type: ignore[assignment]
        ax, bx = fig.subplots(1, 2, width_ratios=[2.1, 1])
        nodes = np.unique(np.geomspace(10, 10000, 48).round().astype(int))
        for version in ("naive", "improved"):
            curve = throughput_curve(version, nodes, d.pods_per_node, d.anti_affinity_fraction,
                                     d.percentage_of_nodes_to_score)
            out = getattr(comparison, version)
            ax.plot(nodes, curve, color=style.colour(version),
                    label=getattr(self, f"{version}_label"))
            ax.plot(d.nodes, out.pods_per_s, "o", color=style.colour(version), ms=7)
        ax.plot([2000, 5000], [TALK["naive_2000"], TALK["naive_5000"]], "s", mfc="none",
                mec=style.LIMIT, ms=9, mew=1.5, label="talk (no anti-affinity)")
        ax.plot([5000], [TALK["naive_5000_anti_affinity"]], "v", mfc="none", mec=style.LIMIT,
                ms=9, mew=1.5, label="talk: < 5 pods/min, anti-affinity")
        ax.axhline(d.arrival_rate, color=style.NEUTRAL, ls="--", lw=1)
        ax.text(11, d.arrival_rate * 1.12, f"arrivals {_rate(d.arrival_rate)} pods/s",
                fontsize=8, color=style.NEUTRAL)
        ax.axvline(5000, color=style.LIMIT, lw=0.8, ls=":")
        ax.text(5000, 2e-3, "5,000 ", ha="right", fontsize=8, color=style.LIMIT)
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_locator(NullLocator())
        ax.set_xticks([10, 100, 1000, 10000], ["10", "100", "1,000", "10,000"])
        ax.set_yticks([1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4])
        ax.set_ylim(1e-3, 1e6)
        ax.yaxis.set_major_formatter(FuncFormatter(_rate))
        ax.set_xlabel("nodes")
        ax.set_ylabel("throughput (pods/s)")
        f = d.anti_affinity_fraction
        ax.set_title(f"{d.pods_per_node} pods/node, anti-affinity {f:.0%}", fontsize=10)
        ax.legend(loc="upper right", fontsize=8, ncols=2)
        labels, values = [], []
        for version in ("naive", "improved"):
            values.append(getattr(comparison, version).p99_scheduling_latency_s)
            labels.append(version)
        top = 2e3
        heights = [v if v is not None else top for v in values]
        bars = bx.bar(labels, heights, color=[style.NAIVE, style.IMPROVED],
                      hatch=["//" if v is None else "" for v in values], alpha=0.9)
        bx.bar_label(bars, labels=["unbounded" if v is None else style.human_seconds(v)
                                   for v in values], fontsize=9)
        bx.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
        bx.text(1.45, POD_STARTUP_SLO_S * 1.15, "5 s SLO", ha="right", fontsize=8,
                color=style.LIMIT)
        bx.set_yscale("log")
        bx.yaxis.set_minor_locator(NullLocator())
        ticks = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000]
        bx.set_yticks(ticks, ["1 ms", "10 ms", "0.1 s", "1 s", "10 s", "100 s", "1,000 s"])
        bx.set_ylim(1e-3, top * 10)
        bx.set_ylabel("p99 scheduling latency (s)")
        bx.set_title(f"at {_rate(d.arrival_rate)} pods/s", fontsize=10)
