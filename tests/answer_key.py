"""The expected answer of a self-check, for the tests only.

A check computes its expected answer inside its own call and hands it to one of the comparing
helpers of :mod:`kscale_lab.exercises` (``check_number``, ``check_never``, ``check_choice``,
``check_set``); no name of the chapter's module holds it. The tests read it where it is
handed over: :func:`expected` runs the check once with the helpers of its module replaced by
spies that note the value they are given, then puts everything back — the helpers, the
score line's record of the question, and nothing printed. The value is then compared with an
independent computation (a hand derivation, a closed form, brute force), never with the
check itself.

This lives under ``tests/``, not in the package: a learner's notebook has no such key.
"""

from __future__ import annotations

import contextlib
import copy
import io
import sys
from collections.abc import Callable
from typing import Any

from kscale_lab.exercises import scoring

HELPERS = ("check_number", "check_never", "check_choice", "check_set")


def expected(check: Callable[..., bool], answer: Any = ...) -> Any:
    """The expected answer that ``check`` compares ``answer`` with (``None`` for "never").

    Raises ``AssertionError`` unless the check hands exactly one value to a helper.
    """
    module = sys.modules[check.__module__]
    seen: list[Any] = []
    originals = {name: vars(module)[name] for name in HELPERS if name in vars(module)}

    def spy(real: Callable[..., bool]) -> Callable[..., bool]:
        def noting(given: Any, value: Any, *args: Any, **kwargs: Any) -> bool:
            seen.append(value)
            return real(given, value, *args, **kwargs)
        return noting

    record = copy.deepcopy(scoring._RESULTS.get(module.__name__))
    try:
        for name, real in originals.items():
            setattr(module, name, spy(real))
        with contextlib.redirect_stdout(io.StringIO()):
            check(answer)
    finally:
        for name, real in originals.items():
            setattr(module, name, real)
        if record is None:
            scoring._RESULTS.pop(module.__name__, None)
        else:
            scoring._RESULTS[module.__name__] = record
    assert len(seen) == 1, f"{check.__module__}.{check.__name__} handed {len(seen)} values"
    return seen[0]
