"""Network programming latency: from an endpoint change until its rule is in the kernel.

SIG Scalability measures kube-proxy by this latency's percentiles; the lab computes its
distribution in closed form for the three proxiers, so the explorer can show p50 and p99 at
every slider move (:mod:`~kscale_lab.kube_proxy.sync` simulates the same proxiers change by
change, and ``tests/test_kube_proxy.py`` checks that the two agree).

**A batching proxier** (iptables mode). A sync applies every change pending when it starts
and takes ``S`` seconds; a sync starts at most once per ``M`` seconds
(``--iptables-min-sync-period``, measured here from one sync's start to the next); a change
that arrives while the proxier is idle and ``M`` has passed starts a sync at once. So after
a sync starts at time 0 the next one starts at ``G = max(S, M)`` if any change arrived in
``(0, G]``, else at the first change after ``G``. With Poisson changes at rate λ (and
Poisson arrivals seeing time averages):

* a change that arrives in ``(0, G)`` waits ``G - t`` for the next start, then ``S``: its
  latency is uniform on ``(S, S + G)``;
* the first change after an idle gap starts its own sync: latency exactly ``S``. One cycle in
  ``e^(-λG)`` has such a gap, so a fraction ``p0 = e^(-λG) / (λG + e^(-λG))`` of changes
  have latency ``S``.

With ``M = 0`` the mean, ``S + (1 - p0) G / 2``, is the batched-queue formula the lab used
before (:func:`~kscale_lab.kube_proxy.model.batched_lag_s`).

**Partial restore with full resyncs** (KEP-3453). Most syncs are partial (``S_p``); every
full-resync period ``T`` one is full (``S_f``). The changes that meet the full resync — those
that arrive in the ``G`` before it starts, latency uniform on ``(S_f, S_f + G)``, and those
that arrive while it runs, which wait out its rest and then ``max(M - S_f, 0)`` and a partial
sync — are a fraction ``(G + S_f) / T`` of all; the rest see the partial proxier above.

**A proxier that applies each change on its own** (IPVS: one netlink operation of ``c``
seconds per change) is an M/D/1 queue. Its waiting time has Erlang's distribution,
``P(W ≤ t) = (1 - ρ) Σ_{k=0}^{⌊t/c⌋} (λ(kc - t))^k / k! · e^(-λ(kc - t))`` with ``ρ = λc``,
and the latency is ``c + W``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LatencyDistribution", "batched_latency", "md1_latency", "md1_wait_cdf",
           "partial_restore_latency"]


@dataclass(frozen=True)
class LatencyDistribution:
    """A latency made of pieces, each uniform on ``(lo_s, hi_s)`` (a point mass if equal).

    Attributes
    ----------
    pieces : tuple of (weight, lo_s, hi_s)
        Weights sum to 1; times in seconds.
    busy_fraction : float
        Fraction of the time the proxier spends applying changes.
    """

    pieces: tuple[tuple[float, float, float], ...]
    busy_fraction: float

    def __post_init__(self) -> None:
        total = sum(w for w, _, _ in self.pieces)
        if not math.isclose(total, 1.0, rel_tol=1e-9):
            raise ValueError(f"piece weights must sum to 1; got {total}")

    def mean_s(self) -> float:
        """The mean latency in seconds."""
        return sum(w * (lo + hi) / 2 for w, lo, hi in self.pieces)

    def cdf(self, t_s: float) -> float:
        """P(latency ≤ ``t_s``)."""
        out = 0.0
        for w, lo, hi in self.pieces:
            if t_s >= hi:
                out += w
            elif t_s > lo:
                out += w * (t_s - lo) / (hi - lo)
        return out

    def quantile_s(self, q: float) -> float:
        """The latency in seconds below which a fraction ``q`` (0 < q < 1) of changes fall."""
        if not 0 < q < 1:
            raise ValueError(f"q must be a number between 0 and 1 (exclusive); got {q}")
        lo = min(p[1] for p in self.pieces)
        hi = max(p[2] for p in self.pieces)
        if self.cdf(lo) >= q:
            return lo
        for _ in range(100):                       # bisection: the cdf is monotone
            mid = (lo + hi) / 2
            if self.cdf(mid) >= q:
                hi = mid
            else:
                lo = mid
        return hi


def _cycle(sync_s: float, period_s: float, rate_per_s: float) -> tuple[float, float, float]:
    """``(G, p0, mean cycle length)`` of the batching proxier."""
    gap = max(sync_s, period_s)
    idle = math.exp(-rate_per_s * gap)
    p0 = idle / (rate_per_s * gap + idle)
    return gap, p0, gap + idle / rate_per_s


def batched_latency(sync_s: float, period_s: float, rate_per_s: float) -> LatencyDistribution:
    """Latency of a proxier that applies all pending changes per sync (see the module).

    Parameters
    ----------
    sync_s : float
        Duration of one sync, seconds (> 0).
    period_s : float
        Minimum time between two syncs' starts, seconds (≥ 0).
    rate_per_s : float
        Endpoint changes per second reaching this proxier (> 0).

    Returns
    -------
    LatencyDistribution
        A point mass at ``sync_s`` and a uniform piece on ``(sync_s, sync_s + G)``.
    """
    if not sync_s > 0 or not period_s >= 0 or not rate_per_s > 0:
        raise ValueError("sync_s and rate_per_s must be positive and period_s at least 0; "
                         f"got {sync_s}, {rate_per_s}, {period_s}")
    gap, p0, cycle = _cycle(sync_s, period_s, rate_per_s)
    return LatencyDistribution(((p0, sync_s, sync_s), (1 - p0, sync_s, sync_s + gap)),
                               busy_fraction=sync_s / cycle)


def partial_restore_latency(partial_s: float, full_s: float, period_s: float,
                            resync_period_s: float, rate_per_s: float) -> LatencyDistribution:
    """Latency of the KEP-3453 proxier: partial syncs, and a full resync every so often.

    Parameters
    ----------
    partial_s, full_s : float
        Duration of a partial sync and of a full one, seconds.
    period_s : float
        Minimum time between two syncs' starts, seconds.
    resync_period_s : float
        Time between two full resyncs, seconds.
    rate_per_s : float
        Endpoint changes per second.

    Returns
    -------
    LatencyDistribution
        The partial proxier's pieces, and the pieces of the changes that meet a full resync.
    """
    if not resync_period_s > 0:
        raise ValueError(f"resync_period_s must be positive; got {resync_period_s}")
    base = batched_latency(partial_s, period_s, rate_per_s)
    gap = max(partial_s, period_s)
    met = min(1.0, (gap + full_s) / resync_period_s)
    before, during = gap / (gap + full_s), full_s / (gap + full_s)
    after = partial_s + max(period_s - full_s, 0.0)
    pieces = tuple((w * (1 - met), lo, hi) for w, lo, hi in base.pieces)
    pieces += ((met * before, full_s, full_s + gap), (met * during, after, after + full_s))
    busy = min(1.0, base.busy_fraction * (1 - full_s / resync_period_s)
               + full_s / resync_period_s)
    return LatencyDistribution(pieces, busy_fraction=busy)


def md1_wait_cdf(t_s: float, rate_per_s: float, service_s: float) -> float:
    """Erlang's M/D/1 waiting-time distribution, P(W ≤ ``t_s``), for ρ = λc < 1."""
    rho = rate_per_s * service_s
    if t_s < 0:
        return 0.0
    total = 0.0
    for k in range(int(t_s // service_s) + 1):
        x = rate_per_s * (k * service_s - t_s)
        total += x ** k / math.factorial(k) * math.exp(-x)
    return min(1.0, max(0.0, (1 - rho) * total))


def md1_latency(service_s: float, rate_per_s: float) -> LatencyDistribution:
    """Latency of changes applied one at a time, each taking ``service_s`` (M/D/1).

    Returned as pieces: a point mass ``1 - ρ`` at ``service_s`` (no wait) and the waiting
    part tabulated at ``service_s / 8`` steps up to its 99.99th percentile (uniform within
    each step). Refuses ρ ≥ 0.9, where Erlang's alternating sum loses precision.
    """
    rho = rate_per_s * service_s
    if not 0 < rho < 0.9:
        raise ValueError(f"rate_per_s × service_s must be between 0 and 0.9; got {rho:.3g}")
    step = service_s / 8
    pieces = [(1 - rho, service_s, service_s)]
    t, prev = 0.0, 1 - rho
    while prev < 1 - 1e-4 and t < 200 * service_s:
        nxt = md1_wait_cdf(t + step, rate_per_s, service_s)
        if nxt > prev:
            pieces.append((nxt - prev, service_s + t, service_s + t + step))
        prev, t = max(prev, nxt), t + step
    rest = 1 - sum(w for w, _, _ in pieces)
    if rest > 0:
        pieces.append((rest, service_s + t, service_s + t + step))
    return LatencyDistribution(tuple(pieces), busy_fraction=rho)
