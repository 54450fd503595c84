"""Keeping score: which of a chapter's questions a learner has got right in this session.

A chapter's checks are marked with :func:`question`; each call then records whether the
answer was right. At the end of a notebook, :func:`score` prints one line ("Score: 5 of 7
right …") and :func:`not_yet` lists the questions still to do, each with its one-line
summary. Nothing is written to disk: the record lives in the kernel, like the answers.

:func:`verdict` runs a check without printing and returns its result and its message, for
graders (the otter-grader tests call it) and tests.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["not_yet", "question", "questions", "score", "verdict"]

#: The last result of every recorded check: module name → question name → right?
_RESULTS: dict[str, dict[str, bool]] = {}


def question(check: Callable[..., bool]) -> Callable[..., bool]:
    """Mark ``check`` (a chapter's ``qN``) as a question whose results are recorded."""
    module, name = check.__module__, check.__name__

    @functools.wraps(check)
    def recorded(answer: Any, *args: Any, **kwargs: Any) -> bool:
        ok = bool(check(answer, *args, **kwargs))
        _RESULTS.setdefault(module, {})[name] = ok
        return ok

    recorded.is_question = True  # type: ignore[attr-defined]
    return recorded


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
