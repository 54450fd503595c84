"""The chapter's clusters, the room each dimension has to grow, and releases swept.

Everything the capstone chapter, its lab and its exercises say about particular clusters is
computed here, so the three agree:

* :data:`TOUR` — the reader's tour: a 2,000-node cluster on 1.11, a 5,000-node cluster on
  1.13, and a 5,000-node cluster on today's release pushed to the thresholds;
* :data:`SAME_NODES` — two clusters with the same node count, on the same release, whose
  first bottlenecks are different chapters ("scalability is multi-dimensional");
* :func:`room` — how far one dimension can grow before something breaks;
* :func:`over_releases`, :func:`first_clear_release` and :func:`gains` — one cluster on
  every release: when each bottleneck falls, and which fix bought the most headroom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kscale_lab.capstone.dimensions import CapstoneDimensions
from kscale_lab.capstone.headroom import MECHANISMS
from kscale_lab.capstone.model import CapstoneOutcome, assess
from kscale_lab.dimensions import DimensionConflict
from kscale_lab.versions import RELEASES, TODAY, parse_version

__all__ = ["GROWABLE", "SAME_NODES", "SWEEP_RELEASES", "TOUR", "Room", "first_clear_release",
           "gains", "over_releases", "room"]

#: The reader's tour (``book/09-capstone.md``).
TOUR: dict[str, CapstoneDimensions] = {
    "2,000 nodes on 1.11": CapstoneDimensions(version="1.11", nodes=2000),
    "5,000 nodes on 1.13": CapstoneDimensions(version="1.13", nodes=5000),
    f"5,000 nodes on {TODAY}, at the thresholds": CapstoneDimensions(
        version=TODAY, nodes=5000, pods_per_node=30, services=10_000, backends_per_service=15,
        namespaces=1000),
}
#: Two clusters of 5,000 nodes on today's release: one with many services (the thresholds'
#: 10,000, every pod a backend), one with few services and a busy batch workload (60 pods
#: started a second, three times the SLOs' churn condition).
SAME_NODES: dict[str, CapstoneDimensions] = {
    "many services": TOUR[f"5,000 nodes on {TODAY}, at the thresholds"],
    "busy batch workload": CapstoneDimensions(version=TODAY, nodes=5000, pod_churn=60),
}
#: Releases at which something in the table changes, for sweeps over versions.
SWEEP_RELEASES = ("1.11", "1.12", "1.13", "1.13.5", "1.14", "1.14.2", "1.16", "1.17",
                  "1.19", "1.20", "1.27", "1.29", "1.32", TODAY)
#: The dimensions a cluster can grow along (every one makes some load heavier).
GROWABLE = ("nodes", "pods_per_node", "services", "backends_per_service", "objects_per_pod",
            "pod_churn", "hot_objects_per_node", "images_per_node")


def _outcome(dims: CapstoneDimensions, version: str | None) -> CapstoneOutcome:
    return assess(dims, version or dims.version)


@dataclass(frozen=True)
class Room:
    """How far one dimension of a cluster can grow, every other one fixed.

    ``largest`` is the largest value (from the current one up) at which no mechanism is past
    its limit; ``breaks_at`` the next value, where ``first`` breaks (``None``: nothing breaks
    up to the top of the dimension's range). ``largest`` is ``None`` if the cluster is
    broken already.
    """

    dimension: str
    current: float
    largest: float | None
    breaks_at: float | None
    first: str | None

    @property
    def factor(self) -> float:
        """``largest ÷ current`` (``inf`` if nothing breaks up to the top of the range; 0
        if broken already)."""
        if self.largest is None:
            return 0.0
        if self.breaks_at is None:
            return math.inf
        return self.largest / self.current


def _breaks(dims: CapstoneDimensions, dimension: str, value: float,
            version: str | None) -> str | None:
    """What breaks first with ``dimension`` at ``value`` (``None``: nothing); a cluster the
    chapters' models refuse counts as broken (``"refused"``)."""
    try:
        d = dims.replace(**{dimension: value})
    except DimensionConflict:
        return "refused"
    return _outcome(d, version).first_bottleneck


def room(dims: CapstoneDimensions, dimension: str, version: str | None = None,
         grid: int = 40) -> Room:
    """How far ``dimension`` can grow before a mechanism breaks (on ``version``, default the
    cluster's own release).

    Values from the current one to the top of the dimension's range are tried on a
    geometric grid of ``grid`` points; between the last one that holds and the first that
    breaks, the edge is found by bisection (to the whole unit for whole-number dimensions,
    to 0.1 % otherwise). This assumes nothing that breaks mends between two grid points;
    for every dimension of :data:`GROWABLE` a larger value makes some load heavier, but a
    few limits move in steps (the TTL controller's TTL by cluster size), which a coarse grid
    could step over.

    Returns
    -------
    Room
    """
    spec = CapstoneDimensions.spec(dimension)
    if dimension not in GROWABLE:
        raise ValueError(f"dimension must be one of {', '.join(GROWABLE)}; got {dimension!r}")
    current = getattr(dims, dimension)
    if _breaks(dims, dimension, current, version) is not None:
        return Room(dimension, current, None, current, _breaks(dims, dimension, current,
                                                               version))
    lo_value = max(current, spec.lo, 0.1 if not spec.integer else 1)
    values = np.geomspace(lo_value, spec.hi, grid)
    if spec.integer:
        values = np.unique(np.round(values).astype(int))
    good = current
    for v in values:
        v = int(v) if spec.integer else float(v)
        if v <= good:
            continue
        if _breaks(dims, dimension, v, version) is not None:
            bad = v
            break
        good = v
    else:
        return Room(dimension, current, spec.hi, None, None)
    while (bad - good > 1) if spec.integer else (bad - good > 1e-3 * bad):
        mid = (good + bad) // 2 if spec.integer else (good + bad) / 2
        if spec.step and not spec.integer:
            mid = round(mid / spec.step) * spec.step
            if mid in (good, bad):
                break
        if _breaks(dims, dimension, mid, version) is None:
            good = mid
        else:
            bad = mid
    return Room(dimension, current, good, bad, _breaks(dims, dimension, bad, version))


def over_releases(dims: CapstoneDimensions,
                  releases: tuple[str, ...] = RELEASES) -> dict[str, CapstoneOutcome]:
    """The cluster on each release (its own ``version`` ignored)."""
    return {v: assess(dims, v) for v in releases}


def first_clear_release(dims: CapstoneDimensions, since: str | None = None) -> str | None:
    """The earliest release (from ``since``, default the cluster's own) on which no
    mechanism breaks, or ``None`` if even today's does."""
    start = parse_version(since or dims.version)
    for v in RELEASES:
        if parse_version(v) >= start and assess(dims, v).first_bottleneck is None:
            return v
    return None


def gains(dims: CapstoneDimensions, before: str | None = None,
          after: str = TODAY) -> dict[str, float]:
    """How many times each mechanism's ratio fell from ``before`` (default the cluster's own
    release) to ``after``: ``ratio before ÷ ratio after`` (``inf`` where the limit no longer
    applies; 1 where nothing changed), by model key."""
    a, b = assess(dims, before or dims.version), assess(dims, after)
    out = {}
    for key in MECHANISMS:
        x, y = a.headroom[key], b.headroom[key]
        out[key] = math.inf if y == 0 and x > 0 else (1.0 if x == y else x / y)
    return out
