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
* **improved** — "the envelope": check every threshold in :data:`THRESHOLDS` at the limit
  that applies to *this* cluster (:meth:`Threshold.limit_for`).

Two things make the envelope a shape rather than a box of independent limits.

*Derived quantities.* Some thresholds are about quantities computed from several
dimensions: pods per cluster = nodes × pods per node; pods per namespace and services per
namespace are totals divided by the number of namespaces — computed here **assuming an even
spread**, the optimistic case (a real cluster's busiest namespace is worse than the average).
The pods-per-node threshold is ``min(110, 10 × cores)``.

*Limits that follow the cluster's size.* The published numbers are the limits for the
largest clusters, 5,000 nodes; ``thresholds.md`` says that for smaller clusters the limits
are proportionally lower. It does not say which limits or by what formula, so the course
reads it as follows (this reading is the course's interpretation, not the document's
wording):

- the three **cluster-wide totals** — namespaces (10,000), pods (150,000) and services
  (10,000) — scale linearly with the node count: ``limit × nodes ÷ 5,000``
  (:data:`NODES_MEASURED`); so 150,000 pods on 5,000 nodes is 30 pods per node *on average*
  at every cluster size, and 2,000 services need at least 1,000 nodes;
- above 5,000 nodes they stay at the published value (the cluster is outside on #nodes
  anyway);
- the limits on one node, one namespace or one service — pods per node, pods and services
  per namespace, endpoints per service, deployments per namespace — do not scale: they
  describe one object, not the cluster; and the node threshold is the size itself.

``thresholds.md`` does *not* say that each threshold was measured with every other
dimension inside its limits, and this model assumes no interaction beyond the two above.

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
from kscale_lab.dimensions import DimensionConflict, Dimensions, dimension, shared
from kscale_lab.model import Model, Outcome, Version, metric

__all__ = [
    "NODES_MEASURED",
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
    "min_nodes",
    "node_range",
    "pods_per_node_limit",
    "size_factor",
    "thresholds_table",
]

SOURCE = "kubernetes/community sig-scalability/configs-and-limits/thresholds.md"
PODS_PER_CORE = 10      # the "10 × cores" half of the pods-per-node threshold
MAX_PODS_PER_NODE = 110  # the other half
#: The cluster size the published limits are for (the #nodes threshold); the cluster-wide
#: limits of a smaller cluster are proportionally lower.
NODES_MEASURED = 5_000


def _check_count(name: str, value: float, lo: float = 0) -> None:
    """Refuse a negative (or otherwise impossible) count given to a lower-level function."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) \
            or not math.isfinite(value) or value < lo:
        raise ValueError(f"{name} must be a finite number of at least {lo:g}; got {value!r}")


@dataclass(frozen=True)
class ClusterDimensions(Dimensions):
    """The shape of a cluster, as the envelope's dimensions see it.

    The defaults are a plausible mid-size cluster — 2,000 nodes running 20 pods each
    (40,000 pods), 200 namespaces, 2,000 services — comfortably inside every threshold.
    Upper bounds are generous — 15,000 nodes, 500 pods per node — so the lab can show
    clusters outside the envelope.
    """

    nodes: int = shared("nodes", 2000)
    pods_per_node: int = shared("pods_per_node", 20, help="On average")
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

    def check(self) -> None:
        """A service's endpoints are pods (one per ready pod that its selector matches): a
        service cannot have more of them than the cluster has pods."""
        if self.backends_per_service > self.pods:
            raise DimensionConflict(
                f"backends_per_service ({self.backends_per_service:,}) must be at most the "
                f"cluster's pods, nodes × pods_per_node ({self.nodes:,} × "
                f"{self.pods_per_node:,} = {self.pods:,}): a service's endpoints are pods",
                ("backends_per_service", "nodes", "pods_per_node"))

    @property
    def pods(self) -> int:
        """Pods in the cluster: ``nodes × pods_per_node`` — the first interaction."""
        return self.nodes * self.pods_per_node


def pods_per_node_limit(cores_per_node: float) -> float:
    """The pods-per-node threshold, ``min(110, 10 × cores)`` (thresholds.md).

    ``10 × cores`` keeps small nodes from being packed beyond what their CPUs can run while
    the kubelet, the container runtime and the network plugin keep up; 110 caps big ones.
    """
    _check_count("cores_per_node", cores_per_node, lo=0)
    return min(MAX_PODS_PER_NODE, PODS_PER_CORE * cores_per_node)


def size_factor(nodes: float) -> float:
    """How much of a cluster-wide limit a cluster of ``nodes`` nodes gets:
    ``min(nodes, 5,000) ÷ 5,000`` (the course's reading of "proportionally lower")."""
    _check_count("nodes", nodes, lo=0)
    return min(nodes, NODES_MEASURED) / NODES_MEASURED


@dataclass(frozen=True)
class Threshold:
    """One row of the published envelope.

    ``name`` is the key used in code and exercises (``"pods_per_namespace"``); ``label`` is
    the human name; ``limit`` the published number, for a 5,000-node cluster (for pods per
    node, the 110 half of ``min(110, 10 × cores)``); ``value`` computes the quantity from a
    cluster's dimensions; ``derived`` says whether it is computed from several dimensions;
    ``scales`` whether the limit is proportionally lower for a smaller cluster (a
    cluster-wide total); ``per_node`` whether the value grows in proportion to #nodes (with
    every other dimension fixed). :meth:`limit_for` gives the limit for a given cluster.
    """

    name: str
    label: str
    limit: float
    unit: str
    value: Callable[[ClusterDimensions], float] = field(repr=False, compare=False)
    derived: bool = False
    note: str = ""
    scales: bool = False
    per_node: bool = False
    source: str = SOURCE

    def limit_for(self, dims: ClusterDimensions) -> float:
        """The threshold for this cluster: ``min(110, 10 × cores)`` for pods per node; the
        published limit × :func:`size_factor` for a cluster-wide total; else the published
        limit."""
        if self.name == "pods_per_node":
            return pods_per_node_limit(dims.cores_per_node)
        if self.scales:
            return self.limit * size_factor(dims.nodes)
        return self.limit


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("nodes", "nodes", NODES_MEASURED, "nodes", lambda d: d.nodes, per_node=True),
    Threshold("namespaces", "namespaces", 10_000, "namespaces", lambda d: d.namespaces,
              scales=True),
    Threshold("pods", "pods", 150_000, "pods", lambda d: d.nodes * d.pods_per_node,
              derived=True, note="nodes × pods per node", scales=True, per_node=True),
    Threshold("pods_per_namespace", "pods per namespace", 3_000, "pods/namespace",
              lambda d: d.nodes * d.pods_per_node / d.namespaces, derived=True,
              note="pods ÷ namespaces, assuming an even spread", per_node=True),
    Threshold("pods_per_node", "pods per node", MAX_PODS_PER_NODE, "pods/node",
              lambda d: d.pods_per_node,
              note="limit is min(110, 10 × cores per node)"),
    Threshold("services", "services", 10_000, "services", lambda d: d.services, scales=True),
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
    """The thresholds as rows of strings: dimension, the published threshold (for 5,000
    nodes), the limit for a smaller cluster, unit, how the value is computed, source."""
    rows = []
    for t in THRESHOLDS:
        if t.name == "pods_per_node":
            published = smaller = "min(110, 10 × cores)"
        else:
            published = f"{t.limit:,.0f}"
            smaller = (f"{t.limit / NODES_MEASURED:g} × nodes" if t.scales else
                       "the same")
        rows.append({"dimension": t.label, "threshold at 5,000 nodes": published,
                     "smaller cluster": smaller, "unit": t.unit,
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


def node_range(dims: ClusterDimensions,
               names: tuple[str, ...] | None = None) -> tuple[int, int] | None:
    """The node counts at which the given thresholds all hold, every other dimension fixed:
    ``(fewest, most)``, or ``None`` if no node count does. (Only node counts at which the
    cluster exists count: enough pods for one service's backends.)

    Each threshold holds on an interval of node counts. A value that grows with #nodes
    (``per_node``: nodes, pods, pods per namespace) against a fixed limit gives an upper
    bound (``limit ÷ (value per node)``); against a proportional limit it holds at every
    size up to 5,000 or at none (30 pods per node on average, say). A fixed value against a
    proportional limit gives a *lower* bound: 2,000 services need ``2,000 × 5,000 ÷ 10,000
    = 1,000`` nodes. A fixed value against a fixed limit holds at every size or at none.
    """
    top = int(ClusterDimensions.spec("nodes").hi)
    # the cluster must exist: enough pods for one service's backends
    lo, hi = math.ceil(dims.backends_per_service / dims.pods_per_node), top
    wanted = THRESHOLD_NAMES if names is None else names
    for t in THRESHOLDS:
        if t.name not in wanted:
            continue
        check = ThresholdCheck(t.name, t.label, float(t.value(dims)),
                               float(t.limit_for(dims)), t.unit)
        if t.per_node:
            per_node = check.value / dims.nodes
            if t.scales:
                if per_node * NODES_MEASURED > t.limit:
                    return None                    # too dense at every size
                if per_node > 0:
                    hi = min(hi, math.floor(t.limit / per_node))
            elif per_node > 0:
                hi = min(hi, math.floor(t.limit / per_node))
        elif t.scales:
            if check.value > t.limit:
                return None                        # more than even 5,000 nodes may hold
            lo = max(lo, math.ceil(check.value * NODES_MEASURED / t.limit))
        elif not check.inside:
            return None
    lo, hi = _polish(dims, wanted, max(lo, 1), min(hi, top))
    return (lo, hi) if lo <= hi else None


def _polish(dims: ClusterDimensions, names: tuple[str, ...], lo: int, hi: int) -> tuple[int, int]:
    """Move the bounds of :func:`node_range` onto the exact edge (floating-point division can
    land one node off): the bounds are inside, one node beyond them is not."""
    top = int(ClusterDimensions.spec("nodes").hi)

    def inside(n: int) -> bool:
        return (1 <= n <= top and n * dims.pods_per_node >= dims.backends_per_service
                and all(c.inside for c in assess(_Resized(dims, n), names)))

    if lo > hi:
        return lo, hi
    while lo <= hi and not inside(lo):
        lo += 1
    while lo > 1 and inside(lo - 1):
        lo -= 1
    while hi >= lo and not inside(hi):
        hi -= 1
    while hi < top and inside(hi + 1):
        hi += 1
    return lo, hi


class _Resized:
    """``dims`` with another node count, without re-validating everything (for
    :func:`_polish`, which asks the same question as :func:`assess` at a few sizes)."""

    def __init__(self, dims: ClusterDimensions, nodes: int) -> None:
        self._dims = dims
        self.nodes = nodes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dims, name)


def max_nodes(dims: ClusterDimensions, names: tuple[str, ...] | None = None) -> int:
    """The largest node count the given thresholds allow, every other dimension held fixed
    (0 if no node count does).

    With only ``("nodes",)`` that is always 5,000. With the whole envelope it is also capped
    by ``3,000 × namespaces ÷ pods_per_node`` (pods per namespace); pods per cluster allows
    every size up to 5,000 if the cluster runs at most 30 pods per node on average and none
    otherwise. If a threshold is exceeded at every size, the answer is 0.
    """
    allowed = node_range(dims, names)
    return 0 if allowed is None else allowed[1]


def min_nodes(dims: ClusterDimensions, names: tuple[str, ...] | None = None) -> int:
    """The smallest node count the given thresholds allow, other dimensions fixed (0 if
    none): the proportional limits on namespaces and services need a cluster big enough."""
    allowed = node_range(dims, names)
    return 0 if allowed is None else allowed[0]


def max_pods_per_node(nodes: Any, cores_per_node: float = 16, namespaces: float = 200,
                      services: float = 2000) -> np.ndarray:
    """Largest average pods per node the envelope allows at each node count (vectorised
    over ``nodes``; the other dimensions inside their thresholds).

    ``min(110, 10 × cores, 150,000 × f ÷ nodes, 3,000 × namespaces ÷ nodes)`` with
    ``f = min(nodes, 5,000) ÷ 5,000`` — i.e. at most 30 pods per node on average at every
    size up to 5,000 nodes — and 0 where no density is allowed: beyond 5,000 nodes, or where
    the cluster is too small for its namespaces or services (each limited to
    ``2 × nodes``).
    """
    for name, v in (("cores_per_node", cores_per_node), ("namespaces", namespaces),
                    ("services", services)):
        _check_count(name, v, lo=0)
    n = np.asarray(nodes, dtype=float)
    if n.size and (not np.all(np.isfinite(n)) or n.min() <= 0):
        raise ValueError(f"nodes must be positive and finite; got {nodes!r}")
    factor = np.minimum(n, NODES_MEASURED) / NODES_MEASURED
    cap = np.minimum.reduce([
        np.full_like(n, pods_per_node_limit(cores_per_node)),
        threshold("pods").limit * factor / n,
        threshold("pods_per_namespace").limit * namespaces / n,
    ])
    fits = ((n <= threshold("nodes").limit)
            & (namespaces <= threshold("namespaces").limit * factor)
            & (services <= threshold("services").limit * factor))
    return np.where(fits, cap, 0.0)


@dataclass(frozen=True)
class EnvelopeOutcome(Outcome):
    """A verdict on one cluster: which thresholds were checked and how close each one is."""

    dimensions_checked: int = metric(help="Thresholds the verdict looked at")
    within_envelope: bool = metric(help="Whether the verdict calls the cluster supported")
    violations: int = metric(help="Checked thresholds the cluster exceeds")
    worst_ratio: float = metric(unit="× threshold",
                                help="Largest value/threshold among the checked thresholds")
    min_nodes: int | None = metric(unit="nodes", none="none",
                                   help="Smallest #nodes the verdict allows, other dimensions "
                                        "fixed (none: no node count is supported)")
    max_nodes: int | None = metric(unit="nodes", none="none",
                                   help="Largest #nodes the verdict allows, other dimensions "
                                        "fixed (none: no node count is supported)")
    worst_dimension: str = ""
    checks: tuple[ThresholdCheck, ...] = ()


def _verdict(dims: ClusterDimensions, names: tuple[str, ...] | None) -> EnvelopeOutcome:
    checks = tuple(assess(dims, names))
    worst = max(checks, key=lambda c: c.ratio)
    allowed = node_range(dims, names)
    return EnvelopeOutcome(
        dimensions_checked=len(checks),
        within_envelope=all(c.inside for c in checks),
        violations=sum(not c.inside for c in checks),
        worst_ratio=worst.ratio,
        min_nodes=None if allowed is None else allowed[0],
        max_nodes=None if allowed is None else allowed[1],
        worst_dimension=worst.name,
        checks=checks,
        load=ApiLoad(),         # a verdict on limits, not a client of the control plane
    )


class EnvelopeModel(Model[ClusterDimensions, EnvelopeOutcome]):
    """Is this cluster supported? One number (#nodes) versus the whole envelope."""

    key = "envelope"
    chapter = 1
    title = "Scalability is multi-dimensional"
    dimensions = ClusterDimensions
    versions = (Version("naive", "one number (#nodes)"), Version("improved", "the envelope"))
    figure_class = "kscale_lab.figures.envelope:EnvelopeFigure"

    def run(self, dims: ClusterDimensions, version: Version) -> EnvelopeOutcome:
        """Scalability 1.0 (naive): supported iff ``nodes ≤ 5,000``, every other dimension
        ignored. Scalability 2.0 (improved): supported iff *every* threshold holds, at the
        limits for this cluster's size."""
        return _verdict(dims, ("nodes",) if version.is_naive else None)


def _percent(ratio: float) -> str:
    """``0.8`` → ``'80%'``; small ratios keep a significant digit (``'0.5%'``, ``'<0.1%'``)."""
    if ratio == 0:
        return "0"
    if ratio < 0.001:
        return "<0.1%"
    return f"{ratio * 100:.2g}%" if ratio < 0.1 else f"{ratio * 100:.0f}%"
