"""Reading a learner's answer: numbers in every reasonable form, with or without a unit.

A self-check should judge the *value*, not how it was typed. All of these are the same
quarter, and :func:`read_number` reads each of them as ``0.25``::

    0.25   np.float64(0.25)   np.array(0.25)   Fraction(1, 4)   "1/4"   "25 %"   "0.25"

and these are the same rate of 1,980,000 bytes per second, read in the unit the question asks
for (``"MiB/s"``: 1.888…)::

    "1.89 MiB/s"   "1.98 MB/s"   "1980000 B/s"   "113.3 MiB/min"

A unit is optional: a bare number is taken to be in the question's unit. A unit of the wrong
kind (an amount of bytes where a rate is asked for) or one the course does not know is an
error that names what was read, so the check can say so instead of guessing.

A unit is a product of at most one quantity (bytes, seconds, or a count such as "nodes") and
an optional "per time": ``MiB/s``, ``writes per minute``, ``ms``, ``%``. Counts are not told
apart ("5000 pods" reads as 5,000 of whatever is counted).
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Quantity", "UnitError", "parse_unit", "read_number"]


class UnitError(ValueError):
    """An answer that is not a number, or whose unit cannot be read as the question's unit."""


@dataclass(frozen=True)
class Quantity:
    """A unit as the checks compare them: what is counted, per what, and its scale.

    ``kind`` is ``"B"`` (bytes), ``"s"`` (a duration) or ``""`` (a count or a pure number);
    ``per_time`` says whether it is a rate (per second, minute …); ``scale`` converts one of
    this unit into the base unit (bytes, seconds, 1) per second. ``MiB/min`` is
    ``Quantity("B", True, 2**20 / 60)``.
    """

    kind: str
    per_time: bool
    scale: float

    @property
    def description(self) -> str:
        """``"a rate of bytes"``, ``"a duration"``, ``"a number"`` … (for messages)."""
        what = {"B": "bytes", "s": "a duration", "": "a number"}[self.kind]
        if self.per_time:
            return {"B": "a rate of bytes", "s": "a duration per time",
                    "": "a rate (per time)"}[self.kind]
        return "an amount of bytes" if self.kind == "B" else what

    def compatible(self, other: Quantity) -> bool:
        return (self.kind, self.per_time) == (other.kind, other.per_time)


# Bytes: decimal (SI) and binary (IEC) prefixes, as the course writes them, and common variants.
_BYTES = {"b": 1, "byte": 1, "bytes": 1,
          "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_TIMES = {"ms": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3,
          "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
          "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400}
# Words that only say what is counted.
_COUNTS = {"node", "nodes", "pod", "pods", "write", "writes", "request", "requests", "req",
           "reqs", "call", "calls", "namespace", "namespaces", "service", "services",
           "core", "cores", "image", "images", "volume", "volumes", "object", "objects",
           "event", "events", "rule", "rules", "x", "times", "×", "revision", "revisions",
           "heartbeat", "heartbeats", "endpoint", "endpoints", "connection", "connections"}


def _numerator(word: str) -> Quantity:
    w = word.strip().lower()
    if w in ("", "%", "percent", "per cent"):
        return Quantity("", False, 0.01 if w else 1.0)
    # "B" (bytes) is case-sensitive against "b"; learners write kB, KB, Kb, MB … for bytes.
    if w in _BYTES:
        return Quantity("B", False, float(_BYTES[w]))
    if w in _TIMES:
        return Quantity("s", False, float(_TIMES[w]))
    if w in _COUNTS:
        return Quantity("", False, 1.0)
    raise UnitError(f"unknown unit {word.strip()!r}")


def parse_unit(text: str) -> Quantity:
    """Read a unit such as ``"MiB/s"``, ``"writes per minute"``, ``"ms"``, ``"%"`` or ``""``.

    Raises :class:`UnitError` naming the part that could not be read.

    >>> parse_unit("MiB/min") == Quantity("B", True, 2**20 / 60)
    True
    """
    t = " ".join(text.strip().split())
    t = re.sub(r"\s*(/|\bper\b)\s*", "/", t, flags=re.IGNORECASE)
    if t.count("/") > 1:
        raise UnitError(f"cannot read the unit {text!r}")
    top, _, bottom = t.partition("/")
    num = _numerator(top)
    if not _:
        return num
    per = bottom.strip().lower()
    if per in ("",):
        raise UnitError(f"cannot read the unit {text!r}")
    if per not in _TIMES:
        raise UnitError(f"unknown unit {bottom.strip()!r} after '/' (a time: s, min, h)")
    if num.kind == "s":
        raise UnitError(f"cannot read the unit {text!r}")
    return Quantity(num.kind, True, num.scale / _TIMES[per])


_NUMBER = r"""
    [-+]?
    (?: \d{1,3}(?:[,\u00a0\u202f_ ]\d{3})+(?:\.\d+)?    # 1,834  1 834  1_834.5
      | \d+(?:[.,]\d+)?                              # 1834  0.25  0,25
      | \.\d+                                        # .25
    )
    (?:[eE][-+]?\d+)?                                # 2e3
"""
_ANSWER = re.compile(
    rf"^\s*(?P<num>{_NUMBER})\s*(?:/\s*(?P<den>{_NUMBER})(?![\w]))?\s*(?P<unit>.*?)\s*$",
    re.VERBOSE)


def _to_float(text: str) -> float:
    t = text.replace("\u00a0", "").replace("\u202f", "").replace("_", "").replace(" ", "")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?([eE][-+]?\d+)?", t):
        t = t.replace(",", "")                  # thousands separators
    else:
        t = t.replace(",", ".")                 # a decimal comma
    return float(t)


def _plain_number(answer: Any) -> float | None:
    """``answer`` as a float if it is a number of some kind (not a string), else ``None``."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (numbers.Real, Decimal)):
        return float(answer)
    # NumPy scalars and 0-d (or one-element) arrays, without importing NumPy.
    shape = getattr(answer, "shape", None)
    if shape is not None and hasattr(answer, "item") and getattr(answer, "size", 0) == 1:
        item = answer.item()
        return None if isinstance(item, (bool, str)) else _plain_number(item)
    return None


def read_number(answer: Any, unit: str = "") -> float:
    """The value of ``answer`` in ``unit`` (the question's unit).

    ``answer`` may be any real number (``int``, ``float``, :class:`~fractions.Fraction`,
    :class:`~decimal.Decimal`, a NumPy scalar or a one-element array) — taken to be in
    ``unit`` — or a string: a number (``"1,834"``, ``"0,25"``, ``"2e3"``), a fraction
    (``"1/4"``), a percentage (``"25 %"``), each optionally followed by a unit
    (``"1.98 MB/s"``), which is converted into ``unit``. ``unit="%"`` asks for a percentage.

    Raises :class:`UnitError` (a ``ValueError``) with a message for the learner when the
    answer is not a number, or its unit is unknown or of another kind than ``unit``.

    >>> read_number("1/4"), read_number("25 %"), read_number("1.5 min", "s")
    (0.25, 0.25, 90.0)
    """
    want = parse_unit(unit)
    value = _plain_number(answer)
    if value is not None:
        if math.isnan(value):
            raise UnitError("the answer is NaN (not a number)")
        return value
    if not isinstance(answer, str):
        raise UnitError(f"the answer should be a number, got {answer!r}")
    m = _ANSWER.match(answer.replace("\u2212", "-"))         # a typographic minus too
    if not m:
        raise UnitError(f"could not read {answer!r} as a number")
    value = _to_float(m["num"])
    if m["den"] is not None:
        den = _to_float(m["den"])
        if den == 0:
            raise UnitError(f"{answer!r} divides by zero")
        value /= den
    if not m["unit"]:
        return value
    try:
        got = parse_unit(m["unit"])
    except UnitError as err:
        raise UnitError(f"in {answer!r}: {err}") from None
    if not got.compatible(want):
        raise UnitError(f"{answer!r} is {got.description}, but the question asks for "
                        f"{want.description} ({unit or 'a plain number'})")
    return value * got.scale / want.scale
