"""One kubelet's HTTP/2 connection in closed form: its watches, its queue, its heartbeat.

A kubelet with the ``Watch`` strategy holds one long-running stream per object it watches
(``watches``). The server allows ``max_streams`` per connection. With Go ≤ 1.9 or ≥ 1.12
the client opens another connection when they are all busy; nothing waits. With **Go
1.10–1.11** (:class:`~kscale_lab.control_plane.GoClient` ``GO_1_10_11``) every new request
waits, first come first served, until a stream frees — and streams free only when a watch
ends, 5–10 min after it started (client-go's reflector draws each watch's timeout uniformly
from that range).

**Releases.** Once ``watches ≥ max_streams`` every stream holds a watch, and a stream that
frees is handed at once to the next waiter, which is (nearly always) a reflector whose watch
ended earlier. So each stream renews like a clock whose ticks are 5–10 min apart, all of them
started together when the kubelet started; the expected number of releases by time ``t`` is

    R(t) = max_streams × m(t),   m(t) = sum over k >= 1 of P(T1 + … + Tk <= t),

``m`` being the renewal function of the uniform 300–600 s watch lifetime (computed here on a
1-s grid). From about 10 min on, releases come at ``max_streams / 450 s``.

**The heartbeat's wait.** The ``Q = watches − max_streams`` reflectors without a stream are
always queued ahead of a heartbeat that joins the queue: it is answered at the ``(Q + 1)``-th
release after it joined. Counting releases in a window as Poisson with mean ``R(t) − R(h)``
(many independent clocks), the chance that a heartbeat sent at ``h`` is still waiting at
``t`` is ``P(Poisson(R(t) − R(h)) ≤ Q)``. The heartbeat is sent again ``period_s`` after the
answer (the lease controller's loop, as :class:`~kscale_lab.secrets.kubelet.NodeHeartbeat`
models it), so the expected answers follow one another; between
two of them the node's Lease is not renewed, and whenever that gap passes the grace period
the node lifecycle controller marks the node NotReady (chapter 2's rule; its 5-s check is
left out here).

**Propagation.** A change to an object reaches the kubelet at once while the object's watch
is open, and when the watch opens again (replaying it) while its reflector waits in the
queue. A change at a random moment therefore waits, on average,
``sum(wait² / 2) / (watches × horizon)`` over every reflector's waits. When no reflector
waits, that is exactly 0: no latency of watch delivery is modelled, and the moment a resumed
watch takes to start (the lab apiserver's ``watch_start_s``, 2 ms) is left out — a change in
it is replayed when the watch opens, a mean of (2 ms)² / (2 × 450 s), about 4e-9 s, far
below anything the lab reports. (The SimPy kubelet does count those moments.)

:func:`heartbeat_timeline` computes all of it; :mod:`kscale_lab.secrets.kubelet` simulates the
same connection event by event, and ``tests/test_secrets.py`` holds them to each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kscale_lab.control_plane.clients import MIN_WATCH_TIMEOUT_S
from kscale_lab.control_plane.http2 import GoClient, blocks

#: Expected watch lifetime: uniform from 1 to 2 × the reflector's minimum timeout (450 s).
MEAN_WATCH_S = 1.5 * MIN_WATCH_TIMEOUT_S
#: How long a heartbeat (a Lease UPDATE) holds its stream: the apiserver's update time.
HEARTBEAT_SERVICE_S = 0.01
#: The renewal function's grid, in seconds, and how far past the horizon it reaches.
GRID_S = 1.0
GRID_MARGIN_S = 1200.0


@lru_cache(maxsize=8)
def renewal_function(until_s: float, low_s: float = MIN_WATCH_TIMEOUT_S,
                     high_s: float = 2 * MIN_WATCH_TIMEOUT_S) -> np.ndarray:
    """``m(t)`` on a 1-s grid from 0 to ``until_s``: expected renewals of one stream whose
    watches last uniformly ``low_s`` … ``high_s`` seconds, the first one started at 0.

    The uniform lifetime is put on the grid by the trapezoid rule (weight ½ at either end),
    so a lifetime's mean is exact and the k-th renewal's distribution — the k-fold
    convolution — keeps the right mean however many renewals are summed.
    """
    n = int(math.ceil(until_s / GRID_S)) + 1
    lo, hi = int(round(low_s / GRID_S)), int(round(high_s / GRID_S))
    one = np.zeros(hi + 1)
    one[lo:hi + 1] = 1.0 / (hi - lo)
    one[lo] = one[hi] = 0.5 / (hi - lo)
    total = np.zeros(n)
    density = one[:n] if len(one) >= n else np.concatenate([one, np.zeros(n - len(one))])
    while density.sum() > 1e-12:
        total += density
        density = np.convolve(density, one)[:n]
    return np.cumsum(total)


def poisson_cdf(k: int, mean: np.ndarray) -> np.ndarray:
    """``P(Poisson(mean) <= k)`` for an array of means (exact sum, in logs; normal
    approximation with a continuity correction above 1,000)."""
    mean = np.asarray(mean, dtype=float)
    if k < 0:
        return np.zeros_like(mean)
    if k > 1000:
        z = (k + 0.5 - mean) / np.sqrt(np.maximum(mean, 1e-12))
        return 0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2))
    i = np.arange(k + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1)))])
    mu = np.maximum(mean, 1e-300)[:, None]
    logs = i[None, :] * np.log(mu) - mu - log_fact[None, :]
    top = logs.max(axis=1, keepdims=True)
    out = np.exp(top[:, 0]) * np.exp(logs - top).sum(axis=1)
    return np.where(mean <= 0, 1.0, np.minimum(out, 1.0))


@dataclass(frozen=True)
class HeartbeatTimeline:
    """One kubelet's heartbeats over the horizon, and what they mean for its node.

    ``answered_s`` are the expected times its heartbeats are answered (the first gap is
    measured from t = 0, the last heartbeat before the kubelet started); ``gaps_s`` the
    expected time between answers; ``notready_s`` the expected time the node spends marked
    NotReady, ``notready_marks`` how often it is marked, ``longest_gap_s`` the longest
    expected gap (a gap still open at the horizon is counted up to the horizon).
    """

    blocked: bool
    waiting_watches: int
    answered_s: np.ndarray
    gaps_s: np.ndarray
    notready_s: float
    notready_marks: float
    longest_gap_s: float
    propagation_delay_s: float
    horizon_s: float

    @property
    def notready_share(self) -> float:
        """Share of the horizon the node spends marked NotReady."""
        return self.notready_s / self.horizon_s


def heartbeat_timeline(watches: int, max_streams: int, client: GoClient, *,
                       period_s: float, grace_period_s: float, horizon_s: float = 3600.0,
                       first_s: float = 5.5) -> HeartbeatTimeline:
    """Expected heartbeats of a kubelet holding ``watches`` watches on one connection.

    Parameters
    ----------
    watches : int
        Long-running streams the kubelet asks for (one per watched object).
    max_streams : int
        The server's concurrent streams per connection (250 in the talk's era).
    client : GoClient
        Only Go 1.10–1.11 makes requests wait.
    period_s : float
        Heartbeat period, counted from the previous answer (10 s).
    grace_period_s : float
        node-monitor-grace-period (40 s).
    horizon_s : float
        How long to follow the node after the kubelet starts (1 h).
    first_s : float
        When the first heartbeat is sent (the simulation draws it from 1–10 s: 5.5 s on
        average).

    Returns
    -------
    HeartbeatTimeline
    """
    for name, value in (("watches", watches), ("max_streams", max_streams)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a whole number >= 0; got {value!r}")
    if max_streams < 1:
        raise ValueError(f"max_streams must be >= 1; got {max_streams}")
    if not 0 < period_s < grace_period_s:
        raise ValueError(f"period_s must be > 0 s and shorter than grace_period_s "
                         f"({grace_period_s} s); got {period_s}")
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be > 0 s; got {horizon_s}")
    if not blocks(watches, max_streams, client):
        step = period_s + HEARTBEAT_SERVICE_S
        answered = np.arange(first_s + HEARTBEAT_SERVICE_S, horizon_s, step)
        gaps = np.diff(np.concatenate([[0.0], answered]))
        # every watch is open but while it restarts (see "Propagation"): no wait
        return HeartbeatTimeline(False, 0, answered, gaps, 0.0, 0.0,
                                 float(gaps.max()) if len(gaps) else horizon_s, 0.0,
                                 horizon_s)
    q = int(watches - max_streams)
    t, releases = _release_curve(max_streams, horizon_s)
    answered, marks, notready = [], 0.0, 0.0
    last, sent = 0.0, first_s
    while last < horizon_s:
        waiting = _still_waiting(q, sent, t, releases)
        # NotReady from last + grace for as long as the heartbeat still waits (to the horizon)
        mark_at = last + grace_period_s
        if mark_at < horizon_s:
            marks += float(np.interp(mark_at, t, waiting))
            sel = (t >= mark_at) & (t <= horizon_s)
            if sel.sum() > 1:
                notready += float(np.trapezoid(waiting[sel], t[sel]))
        if waiting[-1] > 1e-9:                       # not answered within the grid
            break
        # expected answer: sent + ∫ P(still waiting) dt, plus the update itself
        after = t >= sent
        answer = sent + float(np.trapezoid(waiting[after], t[after])) + HEARTBEAT_SERVICE_S
        if answer >= horizon_s:
            break
        answered.append(answer)
        last, sent = answer, answer + period_s
    answered_arr = np.array(answered)
    gaps = np.diff(np.concatenate([[0.0], answered_arr, [horizon_s]]))
    delay = _propagation(q, watches, max_streams, t, releases, horizon_s)
    return HeartbeatTimeline(True, q, answered_arr, gaps[:-1], notready, marks,
                             float(gaps.max()), delay, horizon_s)


def _release_curve(max_streams: int, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid ``t`` (1 s, up to the horizon plus :data:`GRID_MARGIN_S`) and ``R(t)``."""
    m = renewal_function(float(math.ceil((horizon_s + GRID_MARGIN_S) / 600) * 600))
    return np.arange(len(m)) * GRID_S, max_streams * m


def _still_waiting(q: int, sent_s: float, t: np.ndarray, releases: np.ndarray) -> np.ndarray:
    """``P(a request sent at sent_s, behind q others, is still waiting at t)`` on the grid:
    ``P(Poisson(R(t) − R(sent_s)) <= q)`` (1 before it is sent)."""
    base = float(np.interp(sent_s, t, releases))
    width = 8 * math.sqrt(q + 1) + 8                 # the transition, in releases
    lo = int(np.searchsorted(releases, base + max(0.0, q + 1 - width)))
    hi = int(np.searchsorted(releases, base + q + 1 + width))
    waiting = np.ones(len(t))
    waiting[hi:] = 0.0
    if hi > lo:
        waiting[lo:hi] = poisson_cdf(q, releases[lo:hi] - base)
    waiting[t < sent_s] = 1.0
    return waiting


def _propagation(q: int, watches: int, max_streams: int, t: np.ndarray,
                 releases: np.ndarray, horizon_s: float) -> float:
    """Mean wait of a change at a random moment (uniform over the horizon) to a random
    watched object, until the object's reflector has a watch again (see the module text).

    The ``q`` reflectors without a stream at the start wait until the 1st … q-th release; a
    reflector whose watch ends at a release waits for the ``q`` releases after it. The
    releases are taken at their expected times (beyond the grid, at the steady rate
    ``max_streams / 450 s``); each later wait is the time for ``q`` releases, whose spread
    (Erlang) raises its mean square by ``(q + 1) / q``.
    """
    if q == 0 or watches == 0:
        return 0.0
    rate = max_streams / MEAN_WATCH_S

    def time_of(n: np.ndarray) -> np.ndarray:          # expected time of the n-th release
        inside = np.interp(n, releases, t)
        return np.where(n <= releases[-1], inside, t[-1] + (n - releases[-1]) / rate)

    def clipped(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """∫ over [start, min(end, horizon)] of (end − x) dx."""
        s = np.minimum(start, horizon_s)
        e_in = np.minimum(end, horizon_s)
        return np.where(e_in > s, ((end - s) ** 2 - (end - e_in) ** 2) / 2, 0.0)

    total = int(math.floor(np.interp(horizon_s, t, releases)))
    times = time_of(np.arange(1, total + q + 1, dtype=float))
    initial = clipped(np.zeros(q), times[:q]).sum()
    later = (clipped(times[:total], times[q:q + total]) * (q + 1) / q).sum()
    return float((initial + later) / (watches * horizon_s))
