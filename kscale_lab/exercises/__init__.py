"""Self-checks for the exercise notebooks.

Each chapter has a module here (``kscale_lab.exercises.heartbeats`` …) with one function per
question, ``q1(answer)``, ``q2(answer)`` …; every verdict is recorded for the notebook's
score line (:mod:`~kscale_lab.exercises.scoring`). A check computes the expected answer *by
running the lab* — inside the check, each time it runs (in a function nested in ``qN``, so
no module-level name holds or returns it, and neither tab-completion nor attribute access
reaches it), never from a stored number — compares, and prints one line:

* ``Right — …`` with a sentence on why it matters, which does not restate the answer; or
* ``Not yet — …`` saying what is off (too high, too low, a unit slip, a misconception) and a
  hint that points at the mechanism, without giving the answer away.

The helpers below do the comparing. They are generous about *form* — NumPy scalars, 0-d
arrays, fractions (``"1/4"``), percentages, strings with units (``"1.9 MiB/s"``), case and
spacing of a choice — and strict about *value*. They name the common slips (a factor of
1,000 or 1,024, MB for MiB, 60 or 3,600, a percentage for a fraction): see
:mod:`~kscale_lab.exercises.slips`. An unanswered question (``None`` or ``...``) gets a
"Not yet" too, so a learner's notebook always runs top to bottom. Checks return
``True``/``False`` as well, for the score line, graders and tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kscale_lab.exercises.answers import UnitError, parse_unit, read_number
from kscale_lab.exercises.scoring import not_yet, questions, record, score, verdict
from kscale_lab.exercises.slips import DECIMAL_BINARY, name_slip

__all__ = ["NOT_YET", "RIGHT", "check_choice", "check_never", "check_number", "check_set",
           "normalise", "not_yet", "questions", "read_number", "record", "score",
           "unanswered", "verdict"]

RIGHT = "Right"
NOT_YET = "Not yet"

_NEVER = {"never", "inf", "infinity", "∞", "not at all"}


def _say(ok: bool, text: str) -> bool:
    print(f"{RIGHT if ok else NOT_YET} — {text}")
    record(ok)                                # for the score line: the caller's question
    return ok


def unanswered(answer: Any) -> bool:
    """``None``, ``...`` or an empty string: the learner has not answered yet."""
    return answer is None or answer is Ellipsis or (isinstance(answer, str) and
                                                     not answer.strip())


def _unit_phrase(unit: str) -> str:
    return f"a number in {unit}" if unit and unit != "%" else (
        "a percentage" if unit == "%" else "a number")


def _near(value: float, target: float, rel_tol: float, abs_tol: float) -> bool:
    return math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol)


def _nearest(value: float, why: Mapping[float, str] | None, rel_tol: float,
             abs_tol: float) -> str | None:
    """The explanation of the known wrong answer nearest ``value``, if one is near enough."""
    near = [(abs(value - wrong), text) for wrong, text in (why or {}).items()
            if _near(value, wrong, rel_tol, abs_tol)]
    return min(near)[1] if near else None


def _unit_gap(value: float, expected: float, unit: str) -> bool:
    """Whether ``value`` is nearer ``expected`` × the MB/MiB-style gap of ``unit`` than
    ``expected`` itself (such a slip can hide inside the tolerance)."""
    if value <= 0 or expected <= 0:
        return False
    prefix = unit.strip().lower()[:1]
    try:
        is_bytes = parse_unit(unit).kind == "B"
    except UnitError:
        return False
    for slip, p in zip(DECIMAL_BINARY, "kmg"):
        if is_bytes and p == prefix:
            off = abs(math.log(value / expected))
            if min(abs(off - math.log(slip.factor)), abs(off + math.log(slip.factor))) < off:
                return True
    return False


def check_number(answer: Any, expected: float, *, rel_tol: float = 0.05, abs_tol: float = 0.0,
                 right: str, hint: str, unit: str = "",
                 why: Mapping[float, str] | None = None) -> bool:
    """Right when ``answer`` is within ``rel_tol`` (relative) or ``abs_tol`` of ``expected``.

    Parameters
    ----------
    answer
        The learner's answer in any form :func:`~kscale_lab.exercises.answers.read_number`
        reads: a number of any kind, or a string with an optional unit.
    expected
        The right answer, in ``unit``.
    rel_tol, abs_tol
        How close counts as right.
    right, hint
        The text after "Right — " and after "Hint: ".
    unit
        The question's unit (``"MiB/s"``, ``"s"``, ``"nodes"``, ``"%"``; ``""`` for a plain
        number or a fraction). A bare number is read in it; a string's unit is converted.
    why
        Known wrong answers (computed by the check, e.g. what a misconception gives) and what
        each one misses; such an answer gets its explanation instead of "too high/low".

    Returns
    -------
    bool
        Whether the answer is right; the verdict is printed as one line either way.

    A wrong answer hears which way it is off, or which slip it looks like (a factor of 1,000,
    1,024, 60, 3,600, 100, or the MB/MiB gap) — never the value.
    """
    if unanswered(answer):
        return _say(False, f"replace the ... with your answer ({_unit_phrase(unit)}). "
                           "Hint: " + hint)
    try:
        value = read_number(answer, unit)
    except UnitError as err:
        return _say(False, f"{err}. Give {_unit_phrase(unit)}. Hint: " + hint)
    if _near(value, expected, rel_tol, abs_tol) and not _unit_gap(value, expected, unit):
        return _say(True, right)
    known = _nearest(value, why, rel_tol, abs_tol)
    if known is not None:
        return _say(False, f"{known} Hint: " + hint)
    slip = name_slip(value, expected, unit, rel_tol)
    if slip:
        return _say(False, f"your answer is {slip} Hint: " + hint)
    if math.isinf(value):
        return _say(False, "it does happen: give a finite number. Hint: " + hint)
    direction = "too high" if value > expected else "too low"
    return _say(False, f"your answer is {direction}. Hint: " + hint)


def _is_never(answer: Any) -> bool:
    if isinstance(answer, str):
        return " ".join(answer.strip().lower().split()) in _NEVER
    try:
        return math.isinf(read_number(answer)) and read_number(answer) > 0
    except UnitError:
        return False


def check_never(answer: Any, expected: float | None, *, rel_tol: float = 0.05,
                right: str, hint: str, unit: str = "",
                why: Mapping[float, str] | None = None) -> bool:
    """Like :func:`check_number`, but ``None`` is a valid *expected* value meaning "never";
    the learner answers ``"never"`` for it (any case; ``math.inf`` too)."""
    if _is_never(answer):
        if expected is None:
            return _say(True, right)
        return _say(False, "it does happen within the simulated time. Hint: " + hint)
    if expected is None:
        if unanswered(answer):
            return _say(False, f"replace the ... with {_unit_phrase(unit)} or \"never\". "
                               "Hint: " + hint)
        try:
            value = read_number(answer, unit)
        except UnitError as err:
            return _say(False, f"{err}. Give {_unit_phrase(unit)} or \"never\". Hint: " + hint)
        known = _nearest(value, why, rel_tol, 0.0)
        if known is not None:
            return _say(False, f"{known} Hint: " + hint)
        return _say(False, "look again at whether it happens at all. Hint: " + hint)
    return check_number(answer, expected, rel_tol=rel_tol, right=right, hint=hint, unit=unit,
                        why=why)


def normalise(name: Any) -> str:
    """A choice or a name as the checks compare them: case, spacing, ``_``/``-`` and
    surrounding brackets or quotes do not matter (``" (B) "`` → ``"b"``,
    ``"Pods per node"`` → ``"pods per node"`` → same as ``"pods_per_node"``)."""
    text = re.sub(r"^[\s()\[\]{}'\"`.:;]+|[\s()\[\]{}'\"`.:;]+$", "", str(name)).lower()
    return re.sub(r"[\s_\-]+", " ", text)


def check_choice(answer: Any, expected: str, choices: Iterable[str], *, right: str,
                 hint: str, why: Mapping[str, str] | None = None) -> bool:
    """Right when ``answer`` is ``expected``, one of ``choices``.

    Case, spacing, ``_``/``-`` and brackets do not matter (``"(B)"`` is ``"b"``). ``choices``
    may be a mapping of keys to option texts (only the keys are answers). ``why`` maps wrong
    choices to what each one misses (the misconception behind it), said instead of the bare
    hint.
    """
    options = [str(c) for c in choices]
    keys = {normalise(c): c for c in options}
    listed = ", ".join(repr(c) for c in options)
    if unanswered(answer):
        return _say(False, f"pick one of {listed}. Hint: " + hint)
    if not isinstance(answer, str) or normalise(answer) not in keys:
        return _say(False, f"the answer should be one of {listed}, got {answer!r}. "
                           "Hint: " + hint)
    got = normalise(answer)
    if got == normalise(expected):
        return _say(True, right)
    reasons = {normalise(k): v for k, v in (why or {}).items()}
    if got in reasons:
        return _say(False, f"{reasons[got]} Hint: " + hint)
    return _say(False, hint)


def _names(answer: Any) -> list[str] | None:
    if isinstance(answer, str):
        return [a for a in re.split(r"[,;]", answer) if a.strip()]
    if isinstance(answer, Iterable) and not isinstance(answer, Mapping):
        return [str(a) for a in answer]
    tolist = getattr(answer, "tolist", None)               # a NumPy array of names
    return [str(a) for a in tolist()] if callable(tolist) else None


def check_set(answer: Any, expected: Iterable[str], *, right: str, hint: str,
              choices: Iterable[str] | None = None) -> bool:
    """Right when ``answer`` (names: a list, a set, or a comma-separated string) equals
    ``expected`` as a set. Case, spacing and ``_``/``-`` do not matter. With ``choices``,
    a name that is not among them is pointed out."""
    want = {normalise(e) for e in expected}
    if unanswered(answer):
        return _say(False, "give a list of names, e.g. [\"nodes\"]. Hint: " + hint)
    names = _names(answer)
    if names is None:
        return _say(False, f"give a list of names, got {answer!r}. Hint: " + hint)
    got = {normalise(a) for a in names}
    if choices is not None:
        allowed = {normalise(c) for c in choices}
        unknown = sorted(got - allowed)
        if unknown:
            return _say(False, f"{', '.join(map(repr, unknown))} is not one of the names "
                               "you can use. Hint: " + hint)
    if got == want:
        return _say(True, right)
    if got < want:
        return _say(False, "something is missing. Hint: " + hint)
    if got > want:
        return _say(False, "one of those is not right. Hint: " + hint)
    return _say(False, "something is missing and something is not right. Hint: " + hint)
