"""Chapter 1 — scalability is multi-dimensional: the scalability envelope.

"How big can a Kubernetes cluster be?" used to have a one-number answer: *5,000 nodes*.
SIG Scalability's "scalability 2.0" replaced it with an **envelope**: a set of thresholds,
one per dimension (#nodes, #namespaces, #pods, #pods/node, #services, #backends/service, …),
that a cluster must stay inside *all at once* for the project's SLOs to hold. The thresholds
are published in the community repository (``sig-scalability/configs-and-limits/
thresholds.md``); the SLOs in ``sig-scalability/slos/slos.md``.

This module models both ways of answering the question, behind the course's one interface:

* **naive** — "one number (#nodes)": look only at the node count and call the cluster
  supported if it has at most 5,000 nodes;
* **improved** — "the envelope": check every threshold in :data:`THRESHOLDS`, including the
  *derived* quantities, which is where the dimensions interact:

  - pods per cluster = nodes × pods per node, so 4,000 nodes at 50 pods/node (200,000 pods)
    are outside the envelope although both 4,000 nodes and 50 pods/node look harmless;
  - the pods-per-node threshold is ``min(110, 10 × cores)``: a small node is limited by its
    cores, a big one by the kubelet's 110;
  - pods per namespace and services per namespace are computed here as totals divided by the
    number of namespaces, i.e. **assuming an even spread**. That is the optimistic case: a
    real cluster is skewed and its busiest namespace is worse than the average.

Why the envelope is not a box. Each threshold was measured with the *other* dimensions
inside their limits (thresholds.md says so explicitly). Pushing two dimensions to their limits
together is not covered: the limits interact, and the supported region is a curved shape
inside the box of single-dimension limits — e.g. the number of pods a node may run falls as
``150,000 / nodes`` once the cluster is large (see :func:`max_pods_per_node`). Being inside
every threshold is therefore necessary, not a guarantee; being outside any one is a reason to
expect SLO violations (slow API calls, slow pod startup) even though nothing fails outright.

Defaults (:class:`ClusterDimensions`) describe a plausible mid-size cluster; the ranges go
well beyond the thresholds so the lab can show clusters *outside* the envelope.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import Dimensions, dimension, shared
from kscale_lab.model import Model, Outcome, Version, metric

__all__ = [
    "PODS_PER_CORE",
    "SOURCE",
    "THRESHOLDS",
    "ClusterDimensions",
    "EnvelopeModel",
    "EnvelopeOutcome",
    "Threshold",
    "ThresholdCheck",
    "assess",
    "max_nodes",
    "max_pods_per_node",
        "pods_per_node_limit",
    "thresholds_table",
]

SOURCE = "kubernetes/community sig-scalability/configs-and-limits/thresholds.md"
PODS_PER_CORE = 10      # the "10 × cores" half of the pods-per-node threshold
MAX_PODS_PER_NODE = 110  # the kubelet's default --max-pods, the other half


@dataclass(frozen=True)
class ClusterDimensions(Dimensions):
    """The shape of a cluster, as the envelope's dimensions see it.

    The defaults are a plausible mid-size cluster (1,000 nodes, 30,000 pods), comfortably
    inside every threshold. Upper bounds are generous — 15,000 nodes, 500 pods per node — so
    the lab can show clusters outside the envelope.
    """

    nodes: int = shared("nodes", 1000)
    pods_per_node: int = shared("pods_per_node", 30, help="On average")
    cores_per_node: int = dimension(16, lo=1, hi=256, unit="cores",
                                    help="CPU cores per node; the pods/node threshold is "
                                         "min(110, 10 × cores)")
    namespaces: int = shared("namespaces", 200,
                             help="Pods and services are assumed spread evenly over them")
    services: int = shared("services", 2000)
    backends_per_service: int = shared("backends_per_service", 20)
    deployments_per_namespace: int = dimension(10, lo=0, hi=10_000,
                                               unit="deployments/namespace",
                                               help="Deployments in each namespace")

    @property
    def pods(self) -> int:
        """Pods in the cluster: ``nodes × pods_per_node`` — the first interaction."""
        return self.nodes * self.pods_per_node


def pods_per_node_limit(cores_per_node: float) -> float:
    """The pods-per-node threshold, ``min(110, 10 × cores)`` (thresholds.md).

    110 is the kubelet's default ``--max-pods``; ``10 × cores`` keeps small nodes from being
    packed beyond what their CPUs can run while the kubelet, the container runtime and the
    network plugin keep up.
    """
    return min(MAX_PODS_PER_NODE, PODS_PER_CORE * cores_per_node)


@dataclass(frozen=True)
class Threshold:
    """One row of the published envelope.

    ``name`` is the key used in code and exercises (``"pods_per_namespace"``); ``label`` is
    the human name; ``limit`` the published number (for pods per node, the 110 half of
    ``min(110, 10 × cores)``; :meth:`limit_for` gives the limit for a given cluster);
    ``value`` computes the quantity from a cluster's dimensions; ``derived`` says whether the
    quantity is computed from several dimensions (that is where they interact).
    """

    name: str
    label: str
    limit: float
    unit: str
    value: Callable[[ClusterDimensions], float] = field(repr=False, compare=False)
    derived: bool = False
    note: str = ""
    source: str = SOURCE

    def limit_for(self, dims: ClusterDimensions) -> float:
        """The threshold for this cluster (only pods per node depends on the cluster)."""
        if self.name == "pods_per_node":
            return pods_per_node_limit(dims.cores_per_node)
        return self.limit


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("nodes", "nodes", 5_000, "nodes", lambda d: d.nodes),
    Threshold("namespaces", "namespaces", 10_000, "namespaces", lambda d: d.namespaces),
    Threshold("pods", "pods", 150_000, "pods", lambda d: d.nodes * d.pods_per_node,
              derived=True, note="nodes × pods per node"),
    Threshold("pods_per_namespace", "pods per namespace", 3_000, "pods/namespace",
              lambda d: d.nodes * d.pods_per_node / d.namespaces, derived=True,
              note="pods ÷ namespaces, assuming an even spread"),
    Threshold("pods_per_node", "pods per node", MAX_PODS_PER_NODE, "pods/node",
              lambda d: d.pods_per_node,
              note="limit is min(110, 10 × cores per node)"),
    Threshold("services", "services", 10_000, "services", lambda d: d.services),
    Threshold("services_per_namespace", "services per namespace", 5_000, "services/namespace",
              lambda d: d.services / d.namespaces, derived=True,
              note="services ÷ namespaces, assuming an even spread"),
    Threshold("endpoints_per_service", "endpoints per service", 250, "endpoints/service",
              lambda d: d.backends_per_service),
    Threshold("deployments_per_namespace", "deployments per namespace", 2_000,
              "deployments/namespace", lambda d: d.deployments_per_namespace),
)
"""The published envelope (kubernetes/community, sig-scalability thresholds.md), as data."""

THRESHOLD_NAMES: tuple[str, ...] = tuple(t.name for t in THRESHOLDS)


def threshold(name: str) -> Threshold:
    """The :class:`Threshold` called ``name``; ``ValueError`` listing the names otherwise."""
    for t in THRESHOLDS:
        if t.name == name:
            return t
    raise ValueError(f"unknown threshold {name!r}; thresholds: {', '.join(THRESHOLD_NAMES)}")


def thresholds_table() -> list[dict[str, str]]:
    """The thresholds as rows of strings (dimension, threshold, unit, how computed, source)."""
    rows = []
    for t in THRESHOLDS:
        limit = "min(110, 10 × cores)" if t.name == "pods_per_node" else f"{t.limit:,.0f}"
        rows.append({"dimension": t.label, "threshold": limit, "unit": t.unit,
                     "computed as": t.note if t.derived else "given",
                     "source": "thresholds.md"})
    return rows


@dataclass(frozen=True)
class ThresholdCheck:
    """One threshold applied to one cluster: ``ratio = value / limit``; inside iff ≤ 1.

    A threshold is an "up to": a cluster exactly at the limit (ratio 1) is inside.
    """

    name: str
    label: str
    value: float
    limit: float
    unit: str

    @property
    def ratio(self) -> float:
        return self.value / self.limit

    @property
    def inside(self) -> bool:
        return self.value <= self.limit


def assess(dims: ClusterDimensions, names: tuple[str, ...] | None = None) -> list[ThresholdCheck]:
    """Check a cluster against the thresholds (all of them, or only ``names``), in table order."""
    wanted = THRESHOLD_NAMES if names is None else names
    for n in wanted:
        threshold(n)
    return [ThresholdCheck(t.name, t.label, float(t.value(dims)), float(t.limit_for(dims)), t.unit)
            for t in THRESHOLDS if t.name in wanted]


def max_nodes(dims: ClusterDimensions, names: tuple[str, ...] | None = None) -> int:
    """The largest node count the given thresholds allow, every other dimension held fixed.

    With only ``("nodes",)`` that is always 5,000. With the whole envelope it is also capped
    by ``150,000 / pods_per_node`` (pods per cluster) and ``3,000 × namespaces /
    pods_per_node`` (pods per namespace). If a threshold that does not depend on #nodes is
    already exceeded, no node count brings the cluster inside: the answer is 0.
    """
    checks = assess(dims, names)
    caps = []
    for c in checks:
        if c.name == "nodes":
            caps.append(c.limit)
        elif c.name in ("pods", "pods_per_namespace"):
            per_node = c.value / dims.nodes          # these grow linearly with #nodes
            caps.append(math.inf if per_node == 0 else c.limit / per_node)
        elif not c.inside:
            return 0
    return int(math.floor(min(caps) + 1e-9)) if caps else ClusterDimensions.spec("nodes").hi


def max_pods_per_node(nodes: Any, cores_per_node: float = 16,
                      namespaces: float = 200) -> np.ndarray:
    """Largest pods per node the envelope allows at each node count (vectorised over ``nodes``).

    ``min(110, 10 × cores, 150,000 / nodes, 3,000 × namespaces / nodes)``, and 0 beyond
    5,000 nodes. The curve bends down as the cluster grows: the envelope is not a box.
    """
    n = np.asarray(nodes, dtype=float)
    cap = np.minimum.reduce([
        np.full_like(n, pods_per_node_limit(cores_per_node)),
        threshold("pods").limit / n,
        threshold("pods_per_namespace").limit * namespaces / n,
    ])
    return np.where(n <= threshold("nodes").limit, cap, 0.0)


@dataclass(frozen=True)
class EnvelopeOutcome(Outcome):
    """A verdict on one cluster: which thresholds were checked and how close each one is."""

    dimensions_checked: int = metric(help="Thresholds the verdict looked at")
    within_envelope: bool = metric(help="Whether the verdict calls the cluster supported")
    violations: int = metric(help="Checked thresholds the cluster exceeds")
    worst_ratio: float = metric(unit="× threshold",
                                help="Largest value/threshold among the checked thresholds")
    max_nodes: int = metric(unit="nodes",
                            help="Largest #nodes the verdict allows, other dimensions fixed")
    worst_dimension: str = ""
    checks: tuple[ThresholdCheck, ...] = ()


def _verdict(dims: ClusterDimensions, names: tuple[str, ...] | None) -> EnvelopeOutcome:
    checks = tuple(assess(dims, names))
    worst = max(checks, key=lambda c: c.ratio)
    return EnvelopeOutcome(
        dimensions_checked=len(checks),
        within_envelope=all(c.inside for c in checks),
        violations=sum(not c.inside for c in checks),
        worst_ratio=worst.ratio,
        max_nodes=max_nodes(dims, names),
        worst_dimension=worst.name,
        checks=checks,
        load=ApiLoad(),         # a verdict on limits, not a client of the control plane
    )


class EnvelopeModel(Model):
    """Is this cluster supported? One number (#nodes) versus the whole envelope."""

    key = "envelope"
    chapter = 1
    title = "Scalability is multi-dimensional"
    dimensions = ClusterDimensions
    versions = (Version("naive", "one number (#nodes)"), Version("improved", "the envelope"))
    figure_class = "kscale_lab.figures.envelope:EnvelopeFigure"

    def run(self, dims: ClusterDimensions, version: Version) -> EnvelopeOutcome:
        """Scalability 1.0 (naive): supported iff ``nodes ≤ 5,000``, every other dimension
        ignored. Scalability 2.0 (improved): supported iff *every* threshold holds."""
        return _verdict(dims, ("nodes",) if version.is_naive else None)



def _percent(ratio: float) -> str:
    """``0.8`` → ``'80%'``; small ratios keep a significant digit (``'0.5%'``, ``'<0.1%'``)."""
    if ratio == 0:
        return "0"
    if ratio < 0.001:
        return "<0.1%"
    return f"{ratio * 100:.2g}%" if ratio < 0.1 else f"{ratio * 100:.0f}%"
