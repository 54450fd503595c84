"""Closed forms for seats and queues: Erlang's loss and delay formulas, max-min fair shares,
and how long a node's Lease goes unrenewed.

**Seats without a queue** (the max-inflight filter: a full pool answers 429 at once). For
requests arriving at random (Poisson) and holding a seat for a mean time ``s``, the offered
load is ``A = λ s`` seats ("erlangs"), and the share of requests that find all ``c`` seats
busy is **Erlang B**, whatever the distribution of the holding times:
``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))`` (:func:`erlang_b`).

**Seats with queues** (APF). Below saturation a request waits only if every seat is busy,
with probability **Erlang C**, ``C = c B / (c - A (1 - B))``; for exponential holding times
the wait beyond that is exponential with rate ``(c - A) / s`` (:func:`erlang_c`,
:func:`wait_tail`; with fixed holding times, as the lab's apiserver has, it is an
approximation that errs long). Above saturation the queues fill and the excess is refused;
with fair queuing each flow gets its **max-min fair share** of the ``c / s`` requests per
second the level can serve (:func:`max_min_fair`): flows that ask for less than an equal
share get what they ask, the rest split what is left.

**A node's Lease** is renewed every ``r`` seconds (10 s); a renewal refused with probability
``p`` is not retried here (see :mod:`.model`), so the Lease is next renewed one or more
intervals later. :func:`renewal_latency_quantile` is the quantile of the time from a
renewal's due time until the Lease is renewed; :func:`run_probability` the chance that
``m`` renewals in a row fail among ``N`` — what it takes for the node lifecycle controller
to mark the node NotReady (chapter 2).

>>> round(erlang_b(2, 1.0), 4)                  # 2 seats, 1 erlang: 1/5
0.2
>>> max_min_fair([100.0, 10.0], 50.0)
[40.0, 10.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["erlang_b", "erlang_c", "max_min_fair", "renewal_latency_quantile",
           "run_probability", "wait_tail"]


def erlang_b(seats: int, offered: float) -> float:
    """Share of requests refused by ``seats`` seats offered ``offered`` erlangs (no queue)."""
    if not (isinstance(seats, (int, np.integer)) and seats >= 0):
        raise ValueError(f"seats must be a whole number >= 0; got {seats!r}")
    if not (math.isfinite(offered) and offered >= 0):
        raise ValueError(f"offered must be a finite number of erlangs >= 0; got {offered!r}")
    b = 1.0
    for k in range(1, int(seats) + 1):
        b = offered * b / (k + offered * b)
    return b


def erlang_c(seats: int, offered: float) -> float:
    """Chance that a request must wait for a seat (queues, no refusals); 1 at saturation."""
    if offered >= seats:
        return 1.0
    b = erlang_b(seats, offered)
    return seats * b / (seats - offered * (1 - b))


def wait_tail(t_s: float | np.ndarray, seats: int, offered: float,
              hold_s: float) -> float | np.ndarray:
    """``P(wait > t_s)`` in a queue before ``seats`` seats (exponential-wait approximation);
    1 at saturation, where the wait is set by the queue limit instead."""
    if offered >= seats:
        return np.ones_like(np.asarray(t_s, dtype=float)) if np.ndim(t_s) else 1.0
    c = erlang_c(seats, offered)
    t = np.asarray(t_s, dtype=float)
    out = np.where(t < 0, 1.0, c * np.exp(-(seats - offered) / hold_s * np.maximum(t, 0)))
    return out if np.ndim(t_s) else float(out)


def max_min_fair(demands: Sequence[float], capacity: float) -> list[float]:
    """Max-min fair allocation of ``capacity`` among ``demands`` (water-filling)."""
    if capacity < 0 or any(d < 0 for d in demands):
        raise ValueError("capacity and demands must be >= 0")
    alloc = [0.0] * len(demands)
    left, todo = float(capacity), sorted(range(len(demands)), key=lambda i: demands[i])
    while todo:
        share = left / len(todo)
        i = todo[0]
        if demands[i] <= share:
            alloc[i] = float(demands[i])
            left -= demands[i]
            todo.pop(0)
        else:
            for j in todo:
                alloc[j] = share
            break
    return alloc


#: Beyond this many renewal intervals the quantile is taken without the queue's wait: the
#: renewals refused before one succeeds take that many intervals (weeks at 10 s each), beside
#: which a wait in a queue (seconds) does not show.
MAX_TERMS = 100_000


def renewal_latency_quantile(q: float, reject: float, interval_s: float, hold_s: float,
                             seats: int = 1, offered: float = 0.0,
                             queued: bool = False) -> float | None:
    """The ``q``-quantile of the time from a renewal's due time until the Lease is renewed.

    A renewal is refused with probability ``reject`` (independently, 10 s apart); the k-th
    renewal after ``k`` refusals succeeds after waiting ``W`` (``queued``: :func:`wait_tail`;
    else 0) and holding its seat ``hold_s``: ``L = k × interval_s + W + hold_s``. ``None``
    when every renewal is refused, or when the renewals that get in wait without bound (a
    queued level offered as much work as it has seats).

    Without a wait, ``P(L > x) = reject^⌊(x − hold)/interval⌋+1``, so the quantile is found
    in closed form; with one, the sum over ``k`` is cut where ``reject^k`` no longer counts
    (and at :data:`MAX_TERMS`, beyond which the wait is neglected), so neither time nor
    memory grows with how rarely a renewal gets through.
    """
    if not 0 <= reject <= 1:
        raise ValueError(f"reject must be from 0 to 1; got {reject!r}")
    if reject >= 1 - 1e-12:
        return None
    tail_q = 1 - q
    # K, the refusals before the first success: P(K >= k) = reject^k
    k_needed = 0 if reject == 0 else max(0, math.ceil(math.log(tail_q) / math.log(reject)))
    if not queued or k_needed > MAX_TERMS:
        # smallest x with reject^(⌊(x − hold)/interval⌋ + 1) <= 1 − q
        return hold_s + max(0, k_needed - 1) * interval_s
    if offered >= seats:
        return None

    terms = min(MAX_TERMS, k_needed + 1 + (0 if reject == 0 else
                                           math.ceil(math.log(1e-15) / math.log(reject))))

    def tail(x: float) -> float:          # P(L > x)
        k_max = min(int(max(0.0, x - hold_s) // interval_s) + 1, terms)
        k = np.arange(k_max)
        p_k = reject ** k * (1 - reject)
        left = x - hold_s - k * interval_s
        return float(np.sum(p_k * wait_tail(left, seats, offered, hold_s)) + reject ** k_max)

    lo, hi = hold_s, hold_s + interval_s
    for _ in range(200):
        if tail(hi) <= tail_q:
            break
        lo, hi = hi, hi + (hi - hold_s) * 2
    else:
        return None
    for _ in range(60):
        mid = (lo + hi) / 2
        if tail(mid) > tail_q:
            lo = mid
        else:
            hi = mid
    return hi


def run_probability(trials: int, run: int, p: float) -> float:
    """Chance of at least ``run`` failures in a row among ``trials`` independent trials,
    each failing with probability ``p`` (a Markov chain over the current run length)."""
    if run < 1:
        raise ValueError(f"run must be >= 1; got {run}")
    if trials < run or p <= 0:
        return 0.0
    state = np.zeros(run)                     # P(current run = j, no run of `run` yet)
    state[0] = 1.0
    done = 0.0
    for _ in range(trials):
        fail = state * p
        new = np.empty(run)
        new[0] = state.sum() * (1 - p)
        new[1:] = fail[:-1]
        done += fail[-1]
        state = new
    return float(min(1.0, done))
