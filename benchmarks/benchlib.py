"""What every benchmark script shares: medians of wall time, widget updates, the results file.

Each update alternates between the given dimensions and a neighbouring point (the first
dimension moved by one step), as a learner's slider does, so no cache inside a model can
make a repeat look cheaper than a real move.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds it took)``."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds, after one warm-up call."""
    fn()
    times = [timed(fn)[1] for _ in range(repeats)]
    return statistics.median(times) * 1000


def neighbour(model: Any, dims: Any) -> Any:
    """``dims`` with its first dimension moved one step (down if at the top of its range)."""
    spec = model.dimensions.specs()[0]
    value = getattr(dims, spec.name)
    step = spec.step or (1 if spec.integer else (spec.hi - spec.lo) / 100)
    moved = value - step if value + step > spec.hi else value + step
    return dims.replace(**{spec.name: moved})


def model_median_ms(model: Any, dims: Any, repeats: int) -> float:
    """Naive + improved at alternating points (``dims`` and its :func:`neighbour`)."""
    points = itertools.cycle([dims, neighbour(model, dims)])
    return median_ms(lambda: model.compare(next(points)), repeats)


def widget_median_ms(model: Any, dims: Any, repeats: int, only: list[str] | None = None) -> float:
    """One slider move as a learner waits for it: :meth:`Explorer.update` (both versions,
    the figure, its PNG), alternating between ``dims`` and its :func:`neighbour`."""
    from kscale_lab.widgets import Explorer

    points = itertools.cycle([neighbour(model, dims).as_dict(), dims.as_dict()])
    with contextlib.redirect_stdout(io.StringIO()):    # no kernel: display() would print
        ex = Explorer(model, dims=dims, only=only)

    def update() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            ex.update(**next(points))
    return median_ms(update, repeats)


def arguments(doc: str, results: str) -> argparse.Namespace:
    """``--write`` (to ``benchmarks/<results>``) and ``--repeats``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"write benchmarks/{results}")
    ap.add_argument("--repeats", type=int, default=15, help="repeats per median (default 15)")
    return ap.parse_args()


def machine(repeats: int, script: str) -> str:
    """The line that says where and how the figures were taken."""
    return (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Wall clock; "
            f"medians of {repeats} runs where a median is given. Produced by "
            f"`python benchmarks/{script} --write`.\n")


def finish(lines: list[str], results: str, write: bool) -> int:
    """Print the results and, with ``--write``, keep them in ``benchmarks/<results>``."""
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        (HERE / results).write_text(text)
    return 0
