"""Keeping score: which of a chapter's questions a learner has got right in this session.

Every check a chapter defines (``q1``, ``q2`` … in its module) reports its verdict through
the helpers of :mod:`kscale_lab.exercises`, and the helpers record it here under the
question's module and name (:func:`record`): no chapter has to do anything for its
questions to count. At the end of a notebook, :func:`score` prints one line ("Score: 5 of 7
right …") and :func:`not_yet` lists the questions still to do, each with its one-line
summary. Nothing is written to disk: the record lives in the kernel, like the answers.

:func:`verdict` runs a check without printing and returns its result and its message, for
graders (the otter-grader tests call it) and tests.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["check_module", "not_yet", "questions", "record", "score", "verdict"]

#: The last result of every check: module name → question name → right?
_RESULTS: dict[str, dict[str, bool]] = {}
_QUESTION = re.compile(r"q\d+")


def record(ok: bool, depth: int = 1) -> str | None:
    """Record ``ok`` as the result of the question whose check is running.

    The helpers call this with their verdict; it finds the check — the nearest function on
    the call stack (from ``depth`` frames up) named ``qN`` — and files the result under its
    module and name. Returns ``"module.qN"``, or ``None`` when no check is running (a helper
    called directly).
    """
    frame = sys._getframe(depth)
    while frame is not None:
        if _QUESTION.fullmatch(frame.f_code.co_name):
            module = frame.f_globals.get("__name__", "")
            _RESULTS.setdefault(module, {})[frame.f_code.co_name] = bool(ok)
            return f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return None


def _module(module: ModuleType | str) -> ModuleType:
    return importlib.import_module(module) if isinstance(module, str) else module


def questions(module: ModuleType | str) -> list[tuple[str, Callable[..., bool]]]:
    """The questions of a chapter's check module, in order: ``[("q1", q1), ("q2", q2), …]``."""
    mod = _module(module)
    names = [n for n in vars(mod) if re.fullmatch(r"q\d+", n) and callable(getattr(mod, n))]
    return [(n, getattr(mod, n)) for n in sorted(names, key=lambda n: int(n[1:]))]


def _summary(check: Callable[..., bool]) -> str:
    doc = (check.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def score(module: ModuleType | str) -> tuple[int, int]:
    """Print and return ``(right, total)`` for a chapter's questions in this session.

    A question counts as right if its check, the last time it was run, said "Right".
    """
    mod = _module(module)
    qs = questions(mod)
    results = _RESULTS.get(mod.__name__, {})
    right = [n for n, _ in qs if results.get(n)]
    todo = [n for n, _ in qs if not results.get(n)]
    line = f"Score: {len(right)} of {len(qs)} right"
    if todo:
        line += f". Not yet right: {', '.join(todo)} (not_yet() lists them)"
    else:
        line += " — all of them."
    print(line)
    return len(right), len(qs)


def not_yet(module: ModuleType | str) -> list[str]:
    """Print each question not yet right, with its summary, and return their names."""
    mod = _module(module)
    results = _RESULTS.get(mod.__name__, {})
    todo = []
    for name, check in questions(mod):
        if results.get(name):
            continue
        state = "not checked yet" if name not in results else "not yet right"
        print(f"{name} ({state}): {_summary(check)}")
        todo.append(name)
    if not todo:
        print("Every question is right.")
    return todo


def verdict(check: Callable[..., bool], answer: Any) -> tuple[bool, str]:
    """Run ``check(answer)`` without printing; return whether it was right, and its message."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = bool(check(answer))
    return ok, out.getvalue().strip()


def check_module(name: str, public: list[str] | None = None
                 ) -> tuple[Callable[[], list[str]], Callable[[], tuple[int, int]],
                            Callable[[], list[str]]]:
    """``__dir__``, ``score`` and ``not_yet`` for the check module ``name``.

    Every chapter's check module binds them at its top level,
    ``__dir__, score, not_yet = check_module(__name__, __all__)``: ``dir()`` (and so
    tab-completion) lists only its ``public`` names (without them, the names that do not
    start with ``_``), and the two score functions report on that module's questions.
    """
    def module_dir() -> list[str]:
        if public is not None:
            return list(public)
        return sorted(n for n in vars(sys.modules[name]) if not n.startswith("_"))

    def module_score() -> tuple[int, int]:
        """Print how many of this chapter's questions are right (in this session)."""
        return score(name)

    def module_not_yet() -> list[str]:
        """Print the questions not yet right, with what each asks."""
        return not_yet(name)

    module_score.__name__, module_not_yet.__name__ = "score", "not_yet"
    return module_dir, module_score, module_not_yet
