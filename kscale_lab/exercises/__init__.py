"""Self-checks for the exercise notebooks.

Each chapter has a module here (``kscale_lab.exercises.heartbeats`` …) with one function per
question, ``q1(answer)``, ``q2(answer)`` …. A check computes the expected answer *by running
the lab* (never from a stored number), compares, and prints one line:

* ``Right — …`` with a sentence on why it matters, or
* ``Not yet — …`` with a hint that points at the mechanism, without giving the answer away.

An unanswered question (``None`` or ``...``) gets a gentle "Not yet" too, so a learner's
notebook always runs top to bottom. Checks return ``True``/``False`` as well, for tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

RIGHT = "Right"
NOT_YET = "Not yet"


def _say(ok: bool, text: str) -> bool:
    print(f"{RIGHT if ok else NOT_YET} — {text}")
    return ok


def unanswered(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def check_number(answer: Any, expected: float, *, rel_tol: float = 0.05, abs_tol: float = 0.0,
                 right: str, hint: str) -> bool:
    """Right when ``answer`` is within ``rel_tol`` (relative) or ``abs_tol`` of ``expected``.

    The hint also says whether the answer is too high or too low — a nudge, not the value.
    """
    if unanswered(answer):
        return _say(False, "replace the ... with your answer (a number). Hint: " + hint)
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or math.isnan(answer):
        return _say(False, f"the answer should be a number, got {answer!r}. Hint: " + hint)
    if math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return _say(True, right)
    direction = "too high" if answer > expected else "too low"
    return _say(False, f"your answer is {direction}. Hint: " + hint)


def check_never(answer: Any, expected: float | None, *, rel_tol: float = 0.05,
                right: str, hint: str) -> bool:
    """Like :func:`check_number`, but ``None`` is a valid *expected* value meaning "never";
    the learner answers ``"never"`` for it."""
    if isinstance(answer, str) and answer.strip().lower() == "never":
        if expected is None:
            return _say(True, right)
        return _say(False, "it does happen within the simulated time. Hint: " + hint)
    if expected is None:
        if unanswered(answer):
            return _say(False, "replace the ... with a number or \"never\". Hint: " + hint)
        return _say(False, "look again at whether it happens at all. Hint: " + hint)
    return check_number(answer, expected, rel_tol=rel_tol, right=right, hint=hint)


def check_choice(answer: Any, expected: str, choices: Iterable[str], *, right: str,
                 hint: str) -> bool:
    """Right when ``answer`` (case-insensitive) is ``expected``, one of ``choices``."""
    options = [c.lower() for c in choices]
    if unanswered(answer):
        return _say(False, f"pick one of {', '.join(repr(c) for c in options)}. Hint: " + hint)
    if not isinstance(answer, str) or answer.strip().lower() not in options:
        return _say(False, f"the answer should be one of {', '.join(map(repr, options))}, "
                           f"got {answer!r}")
    if answer.strip().lower() == expected.lower():
        return _say(True, right)
    return _say(False, hint)


def check_set(answer: Any, expected: Iterable[str], *, right: str, hint: str) -> bool:
    """Right when ``answer`` (an iterable of names) equals ``expected`` as a set."""
    want = {e.lower() for e in expected}
    if unanswered(answer):
        return _say(False, "give a list of names, e.g. [\"nodes\"]. Hint: " + hint)
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        return _say(False, f"give a list of names, got {answer!r}")
    got = {str(a).strip().lower() for a in answer}
    if got == want:
        return _say(True, right)
    if got < want:
        return _say(False, "something is missing. Hint: " + hint)
    if got > want:
        return _say(False, "one of those is not right. Hint: " + hint)
    return _say(False, hint)
