"""The in-flight pools in closed form: how busy they are and how often they answer 429.

:class:`~kscale_lab.control_plane.apiserver.InFlightPool` is a *loss system*: ``seats``
servers and no queue (``WithMaxInFlightLimit`` answers 429 at once when every seat is taken).
If requests arrive as a Poisson stream at ``λ`` per second and each holds its seat for a time
with mean ``s``, the *offered load* is ``A = λ s`` (in erlangs: seats that would be busy
without a limit), and the share of requests that find every seat taken is **Erlang's B
formula**

    B(A, c) = (A**c / c!) / sum(A**k / k!, k = 0..c),

whatever the distribution of the service time (the formula is insensitive to it). The busy
seats then average ``A (1 - B)`` (Little's law for the admitted requests). Many independent
clients, each asking now and then — kubelets polling their secrets — make a stream close to
Poisson; one client asking back to back does not (its requests never overlap).

>>> round(erlang_b(2.0, 2), 4)                      # 2 erlangs offered to 2 seats
0.4
>>> erlang_b(10.0, 400) < 1e-300                    # a pool far from full never refuses
True
"""

from __future__ import annotations

import math

import numpy as np


def erlang_b(offered_erlangs: float, seats: int) -> float:
    """Share of requests refused (429) by a pool of ``seats`` offered ``offered_erlangs``.

    Computed in logarithms as ``P(N = c) / P(N <= c)`` for ``N`` Poisson with mean ``A`` (the
    ratio the formula is), so it neither overflows nor underflows for thousands of seats.

    Parameters
    ----------
    offered_erlangs : float
        Arrival rate × mean service time (requests/s × s), at least 0.
    seats : int
        Seats in the pool, at least 1.

    Returns
    -------
    float
        The blocking probability, from 0 to 1.
    """
    if not (isinstance(seats, int) and seats >= 1):
        raise ValueError(f"seats must be a whole number >= 1; got {seats!r}")
    a = float(offered_erlangs)
    if not (math.isfinite(a) and a >= 0):
        raise ValueError(f"offered_erlangs must be a finite number >= 0; got {offered_erlangs!r}")
    if a == 0:
        return 0.0
    k = np.arange(1, seats + 1)
    log_terms = np.concatenate([[0.0], np.cumsum(math.log(a) - np.log(k))])  # log A^k / k!
    top = log_terms.max()
    return float(math.exp(log_terms[-1] - top) / np.exp(log_terms - top).sum())


def busy_seats(offered_erlangs: float, seats: int) -> float:
    """Seats in use on average: the admitted share of the offered load, ``A (1 - B)``."""
    return float(offered_erlangs) * (1.0 - erlang_b(offered_erlangs, seats))
