"""The ``Cache`` strategy in closed form: GETs per second, busy seats, 429s, staleness.

Every kubelet reads each pod's objects when it syncs the pod, every ``a`` seconds (the sync
period). A read GETs the object when the cached copy is at least the TTL old — the age counted
from when the last GET's answer arrived, ``s`` seconds after it was sent — so:

* an object **one pod** references is read every ``a`` s and fetched every
  ``R = a × ceil((TTL + s) / a)`` s: the first sync at which the copy is old enough (with the
  TTL a multiple of ``a``, that is ``TTL + a``; with TTL 0, every sync);
* an object **every pod of the node** references (``P`` pods, syncing at scattered moments)
  is read every ``g = a / P`` s on average, and fetched about every ``TTL + a / P`` s (every
  read with TTL 0). The ``a / P`` is exact when the TTL is a multiple of ``a`` (the fetches
  then go round the pods in turn), otherwise an average over where the pods' syncs fall.

**429s.** The kubelets' GETs, from thousands of independent pod syncs, and everyone else's
reads arrive close to a Poisson stream at the read-only pool, ``--max-requests-inflight``
seats, each held ``s``. The pool refuses a request that finds every seat taken, so the share
refused is Erlang's B formula (:func:`~kscale_lab.control_plane.inflight.erlang_b`). A refused
GET leaves the copy stale, and the next read tries again: with refusal probability ``B``, a
copy is fetched after ``X`` extra reads, ``X`` geometric, so the cycle between fetches is
``C = R + g X`` and an object costs ``1 / ((1 − B) R + g B)`` GETs per second. More refusals,
more GETs: :func:`cache_strategy` solves for the ``B`` that the GETs it causes produce.

**Staleness.** A change at a random moment waits for the next fetch: on average
``E[C²] / (2 E[C])`` (a renewal process's mean residual), plus ``s`` for the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kscale_lab.control_plane.inflight import erlang_b

#: A refusal share below this is reported as 0: fewer than one request in a trillion.
NEVER = 1e-12


@dataclass(frozen=True)
class ObjectClass:
    """A kind of object on a node: ``count`` objects, each read every ``read_gap_s`` on
    average and fetched every ``refresh_s`` when no GET is refused."""

    count: int
    read_gap_s: float
    refresh_s: float

    def gets_per_s(self, refused: float) -> float:
        """GET attempts per second for all ``count`` objects, when a share ``refused`` of
        GETs is refused."""
        if self.count == 0:
            return 0.0
        return self.count / ((1 - refused) * self.refresh_s + self.read_gap_s * refused)

    def staleness_s(self, refused: float) -> float:
        """Mean time from a change at a random moment until the next successful fetch."""
        b = refused
        extra = b / (1 - b)                            # E[X]
        extra_sq = b * (1 + b) / (1 - b) ** 2          # E[X²]
        r, g = self.refresh_s, self.read_gap_s
        mean = r + g * extra
        mean_sq = r * r + 2 * r * g * extra + g * g * extra_sq
        return mean_sq / (2 * mean)


def refresh_interval_s(ttl_s: float, read_gap_s: float, get_s: float) -> float:
    """How often one pod's object is fetched: the first sync with a copy at least ``ttl_s``
    old, the age counted from the answer (``get_s`` after the request)."""
    return read_gap_s * max(1, math.ceil((ttl_s + get_s) / read_gap_s - 1e-12))


def object_classes(pods: int, own_per_pod: int, shared: int, ttl_s: float,
                   sync_period_s: float, get_s: float) -> tuple[ObjectClass, ObjectClass]:
    """The node's own objects (one pod each) and its shared objects (every pod)."""
    own = ObjectClass(pods * own_per_pod, sync_period_s,
                      refresh_interval_s(ttl_s, sync_period_s, get_s))
    if pods <= 1:
        common = ObjectClass(shared, sync_period_s, own.refresh_s)
    else:
        gap = sync_period_s / pods
        refresh = gap if ttl_s == 0 else ttl_s + gap
        common = ObjectClass(shared, gap, refresh)
    return own, common


@dataclass(frozen=True)
class PollingLoad:
    """The ``Cache`` strategy across the cluster, in steady state."""

    get_requests_per_s: float
    """The kubelets' GETs per second (refused ones included)."""
    refused_share: float
    """Share of read-only requests refused with 429 (the same for every reader)."""
    busy_seats: float
    """Read-only seats in use on average (the kubelets' and everyone else's)."""
    rejected_per_s: float
    """429s per second, every reader's."""
    kubelet_rejected_per_s: float
    """The kubelets' GETs refused per second."""
    staleness_s: float
    """Mean time from a change until the kubelet holds it (over every object)."""


def cache_strategy(nodes: int, pods: int, own_per_pod: int, shared: int, *, ttl_s: float,
                   sync_period_s: float, get_s: float, seats: int,
                   other_reads_per_s: float = 0.0) -> PollingLoad:
    """Every kubelet polling its objects, and what the read-only pool makes of it.

    Parameters
    ----------
    nodes, pods : int
        Kubelets, and pods per node.
    own_per_pod, shared : int
        Objects each pod alone references; objects every pod of the node references.
    ttl_s : float
        The cache TTL the kubelets use (0: every read fetches).
    sync_period_s : float
        How often a pod's objects are read.
    get_s : float
        How long a read holds its seat (the kubelets' GETs and the other reads).
    seats : int
        ``--max-requests-inflight``.
    other_reads_per_s : float
        Everyone else's read-only requests (not retried when refused).

    Returns
    -------
    PollingLoad
    """
    classes = object_classes(pods, own_per_pod, shared, ttl_s, sync_period_s, get_s)

    def gets(b: float) -> float:
        return nodes * sum(c.gets_per_s(b) for c in classes)

    def excess(b: float) -> float:
        return erlang_b((gets(b) + other_reads_per_s) * get_s, seats) - b

    lo, hi = 0.0, 1.0 - 1e-9            # excess(lo) >= 0 > excess(hi): bisect on B
    if excess(lo) < NEVER:              # the pool (practically) never fills
        b = 0.0
    else:
        for _ in range(50):
            mid = (lo + hi) / 2
            if excess(mid) > 0:
                lo = mid
            else:
                hi = mid
        b = (lo + hi) / 2
    kubelet_gets = gets(b)
    offered = (kubelet_gets + other_reads_per_s) * get_s
    objects = sum(c.count for c in classes)
    stale = (sum(c.count * c.staleness_s(b) for c in classes) / objects + get_s
             if objects else 0.0)
    return PollingLoad(kubelet_gets, b, offered * (1 - b),
                       (kubelet_gets + other_reads_per_s) * b, kubelet_gets * b, stale)
