"""What every benchmark script shares: medians of wall time, widget updates, the results file.

Each update alternates between the given dimensions and a neighbouring point (the first
dimension moved by one step), as a learner's slider does, so no cache inside a model can
make a repeat look cheaper than a real move.

To compare ways of doing the same thing on a shared machine, :func:`paired_medians_ms` runs
them in turns (A, B, C, A, B, C …) rather than one after the other, so a burst of load from
elsewhere hits all of them alike and their *ratios* stay meaningful.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import platform
import statistics
import subprocess
import sys
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


def fresh_points(model: Any, dims: Any) -> Any:
    """An endless stream of points never seen before: ``dims`` with its first dimension
    moved one more step each time (down from the top half of its range, up from the bottom
    half; the steps are counted across all streams, so two streams never meet).

    For a model that caches its outcomes per point (the capstone), alternating between two
    points would time cache hits; a slider moved to a new value costs this much instead.
    """
    spec = model.dimensions.specs()[0]
    value = getattr(dims, spec.name)
    step = spec.step or (1 if spec.integer else (spec.hi - spec.lo) / 1000)
    sign = -1 if value - spec.lo > spec.hi - value else 1
    while True:                 # one counter for every stream: no two ever share a point
        yield dims.replace(**{spec.name: value + sign * next(_FRESH) * step})


#: Steps taken by :func:`fresh_points`, across all its streams in this process.
_FRESH = itertools.count(1)


def model_median_ms(model: Any, dims: Any, repeats: int, fresh: bool = False) -> float:
    """Naive + improved at alternating points (``dims`` and its :func:`neighbour`), or with
    ``fresh`` at a new point every time (:func:`fresh_points`)."""
    points = fresh_points(model, dims) if fresh else itertools.cycle([dims, neighbour(model,
                                                                                      dims)])
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


def paired_medians_ms(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall time of each of ``fns`` in milliseconds, the calls taken in turns (one
    warm-up round first), so that load from elsewhere falls on all of them alike."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn)[1])
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def explorer_for(model: Any, dims: Any, only: list[str] | None = None) -> Any:
    """An :class:`~kscale_lab.widgets.Explorer` built outside a kernel (nothing printed)."""
    from kscale_lab.widgets import Explorer

    with contextlib.redirect_stdout(io.StringIO()):
        return Explorer(model, dims=dims, only=only)


def explorer_update(ex: Any, model: Any, dims: Any, fresh: bool = False
                    ) -> Callable[[], None]:
    """One slider move of explorer ``ex``, alternating between ``dims`` and its
    :func:`neighbour` (both versions, the figure, its PNG, the table); with ``fresh``, to a
    new point every time (:func:`fresh_points`)."""
    points = ((d.as_dict() for d in fresh_points(model, dims)) if fresh else
              itertools.cycle([neighbour(model, dims).as_dict(), dims.as_dict()]))

    def update() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            ex.update(**next(points))
    return update


def plain_redraw(model: Any, dims: Any, fresh: bool = False) -> Callable[[], bytes]:
    """What a learner's ``ipywidgets.interact`` over ``model.figure(...)`` does on every
    move: run the model, make a new figure, draw everything (axes, ticks, labels, data) and
    encode it as PNG the way the inline backend shows a figure (``savefig`` with
    ``bbox_inches="tight"``). Alternates between ``dims`` and its :func:`neighbour`, or with
    ``fresh`` moves to a new point every time."""
    points = fresh_points(model, dims) if fresh else itertools.cycle([neighbour(model, dims),
                                                                      dims])

    def redraw() -> bytes:
        fig = model.figure(model.compare(next(points)))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    return redraw


def png_floor(ex: Any) -> Callable[[], bytes]:
    """Encoding the pixels of ``ex``'s current figure as PNG, nothing else: the least any
    explorer that sends PNG images can cost per move."""
    from kscale_lab.figures.live import encode_png

    canvas = ex.live.figure().canvas

    def encode() -> bytes:
        return encode_png(canvas.buffer_rgba(), canvas.get_width_height())
    return encode


def candidates(model: Any) -> list[tuple[str, Any]]:
    """Points of a model's dimensions that may be its most expensive: the ends of its
    ranges (:meth:`~kscale_lab.dimensions.Dimensions.range_ends`)."""
    return model.dimensions.range_ends()


def most_expensive(model: Any, repeats: int = 5, fresh: bool = False
                   ) -> tuple[str, Any, dict[str, float]]:
    """The candidate point (:func:`candidates`) whose explorer update takes longest, by a
    short measurement of each, taken in turns (:func:`paired_medians_ms`); returns its
    label, its dimensions and every candidate's time (ms). ``fresh``: each update at a new
    point (:func:`fresh_points`)."""
    points = dict(candidates(model))
    updates = {label: explorer_update(explorer_for(model, dims), model, dims, fresh)
               for label, dims in points.items()}
    times = paired_medians_ms(updates, repeats)
    worst = max(times, key=times.get)
    return worst, points[worst], times


def startup_median_ms(argv: list[str], repeats: int) -> float:
    """Median wall time of running ``python -m`` ``argv`` in a new process (output
    discarded), as a user waits for it."""
    def run() -> None:
        subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL, check=True)
    return median_ms(run, repeats)


def arguments(doc: str, results: str, only: bool = False) -> argparse.Namespace:
    """``--write`` (to ``benchmarks/<results>``) and ``--repeats``; with ``only``, also
    ``--only KEY ...`` (re-measure those chapters' rows alone)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"write benchmarks/{results}")
    ap.add_argument("--repeats", type=int, default=15, help="repeats per median (default 15)")
    if only:
        ap.add_argument("--only", nargs="+", metavar="KEY",
                        help="measure these chapters only and, with --write, replace their "
                             "rows in the results file (the others' rows are kept)")
    return ap.parse_args()


def machine(repeats: int, script: str, note: str = "") -> str:
    """The line that says where and how the figures were taken (``note`` appended)."""
    load = " ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}; load average "
            f"{load} when the run started. Wall clock; medians of {repeats} runs where a "
            f"median is given. Produced by `python benchmarks/{script} --write`."
            + (f" {note}" if note else "") + "\n")


def finish(lines: list[str], results: str, write: bool) -> int:
    """Print the results and, with ``--write``, keep them in ``benchmarks/<results>``."""
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        (HERE / results).write_text(text)
    return 0
