"""Naming the common slips: an answer that is right but for a unit or a scale.

A learner who divides by a million instead of by 2²⁰, or answers in minutes where seconds are
asked, has understood the mechanism and slipped on the arithmetic. The checks say *which*
slip it looks like — "about 60 times too high: minutes and seconds?" — which tells the
learner where to look without telling them the answer.

Which slips are worth naming depends on the question's unit (:func:`slips_for`): powers of
1,000 and 1,024 and the small MB/MiB gap for bytes, 60 and 3,600 for times and rates, 100 for
a fraction or a percentage, 1,000 for anything counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kscale_lab.exercises.answers import parse_unit

__all__ = ["Slip", "name_slip", "slips_for"]


@dataclass(frozen=True)
class Slip:
    """A factor by which a slipped answer is off, and what the slip probably was.

    ``factor`` > 1: the slipped answer is ``factor`` times the right one ("too high") — or
    ``1/factor`` times it ("too low"); both directions are looked for.
    """

    factor: float
    what: str


# The gap between decimal and binary prefixes is small (2.4 % for k, 4.9 % for M, 7.4 % for
# G), so it can hide inside a tolerance: such a slip wins over "right" when it fits better.
# Only the gap of the question's own prefix is looked for (MB for MiB, not kB for MiB);
# for plain bytes, all three.
DECIMAL_BINARY = (Slip(1.024, "the gap between kB (10³ bytes) and KiB (2¹⁰ bytes)?"),
                  Slip(1.024**2, "the gap between MB (10⁶ bytes) and MiB (2²⁰ bytes)?"),
                  Slip(1.024**3, "the gap between GB (10⁹ bytes) and GiB (2³⁰ bytes)?"))
_THOUSAND = Slip(1e3, "a factor of 1,000: one prefix (k, M, G) or milliseconds for seconds?")
_MILLION = Slip(1e6, "a factor of a million: bytes and MB, or two prefixes?")
_BYTES = (Slip(1024, "a factor of 1,024: one binary prefix (bytes, KiB, MiB, GiB)?"),
          Slip(1024**2, "a factor of 1,024²: bytes and MiB?"),
          Slip(1024**3, "a factor of 1,024³: bytes and GiB?"),
          Slip(1e9, "a factor of a billion: bytes and GB?"))
_TIMES = (Slip(60, "a factor of 60: seconds and minutes (or per second and per minute)?"),
          Slip(3600, "a factor of 3,600: seconds and hours (or per second and per hour)?"))
_PERCENT = Slip(100, "a factor of 100: a percentage and a fraction?")


def slips_for(unit: str) -> tuple[Slip, ...]:
    """The slips worth naming for an answer asked in ``unit``.

    >>> [s.factor for s in slips_for("%")]
    [100]
    """
    q = parse_unit(unit)
    if q.kind == "" and not q.per_time and unit.strip().lower() in ("", "%", "percent"):
        return (_PERCENT,)
    found: list[Slip] = [_THOUSAND]
    if q.kind == "B":
        found += [_MILLION, *_BYTES]
        prefix = unit.strip().lower()[:1]
        if prefix and prefix in "kmg":
            found += [s for s, p in zip(DECIMAL_BINARY, "kmg") if p == prefix]
        else:                                   # plain bytes: any of the three gaps
            found += DECIMAL_BINARY
    if q.kind == "s" or q.per_time:
        found += _TIMES
    return tuple(found)


def name_slip(value: float, expected: float, unit: str, rel_tol: float = 0.0) -> str | None:
    """What slip ``value`` looks like, given the right answer ``expected`` in ``unit``, or
    ``None`` if it looks like none of them.

    The message says which way the answer is off and by about how much, and names the
    likely slip; it never gives the expected value.

    >>> name_slip(120, 2, "min")
    'about 60 times too high — a factor of 60: seconds and minutes (or per second and per minute)?'
    """
    if expected == 0 or value == 0 or not math.isfinite(value) or (value < 0) != (expected < 0):
        return None
    ratio = abs(value / expected)
    best: tuple[float, Slip, bool] | None = None
    for slip in slips_for(unit):
        window = math.log1p(max(rel_tol, 0.01)) if slip.factor > 1.2 else math.log(
            math.sqrt(slip.factor))                       # nearer the slip than the answer
        for high in (True, False):
            miss = abs(math.log(ratio) - (1 if high else -1) * math.log(slip.factor))
            if miss <= window and (best is None or miss < best[0]):
                best = (miss, slip, high)
    if best is None:
        return None
    _, slip, high = best
    if slip.factor < 1.2:
        size = f"{(slip.factor - 1) * 100:.0f} %"
        return f"about {size} too {'high' if high else 'low'} — {slip.what}"
    return (f"about {slip.factor:,.0f} times too {'high' if high else 'low'} — {slip.what}")
