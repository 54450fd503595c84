"""Speed of the course's models and widgets: prints figures, optionally writes them to a file.

    python benchmarks/bench.py                 # print
    python benchmarks/bench.py --write         # also update benchmarks/RESULTS.md

What is timed (medians over repeats, wall clock, this machine):

* for every chapter, one widget update at default dimensions, split into the model
  (naive + improved) and the whole update as a learner waits for it (model, figure, PNG
  rendering as the inline backend does);
* the same at the largest dimensions each chapter allows;
* the full-scale heartbeat model: 5,000 nodes, one hour of simulated time, both versions;
* the SimPy heartbeat model at toy scale, for comparison.

Speed is measured here and never asserted in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from kscale_lab.chapters import CHAPTERS  # noqa: E402
from kscale_lab.heartbeats import HeartbeatDimensions, HeartbeatsModel, simulate  # noqa: E402


def median_ms(fn, repeats: int = 15) -> float:
    fn()                                            # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def widget_updater(model, dims):
    """What one slider move costs: :meth:`Explorer.update` (both versions, figure, PNG)."""
    from kscale_lab.widgets import Explorer

    with contextlib.redirect_stdout(io.StringIO()):    # no kernel: display() would print
        ex = Explorer(model, dims=dims)

    def update():
        with contextlib.redirect_stdout(io.StringIO()):
            ex.update(**dims.as_dict())
    return update


def largest(model):
    """The dimensions at the top of every range, as far as cross-field rules allow."""
    dims = model.dimensions()
    for s in model.dimensions.specs():
        try:
            dims = dims.replace(**{s.name: s.hi})
        except ValueError:
            pass
    return dims


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    ap.add_argument("--repeats", type=int, default=15, help="repeats per median (default 15)")
    args = ap.parse_args()
    lines = ["# Benchmark results\n",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. "
             f"Medians of {args.repeats} runs, wall clock. Produced by `python benchmarks/bench.py"
             f" --write`.\n",
             "| chapter | dimensions | model (naive + improved) | whole widget update |",
             "|---|---|---|---|"]
    for key, model in CHAPTERS.items():
        for label, dims in (("defaults", model.dimensions()), ("largest", largest(model))):
            m = median_ms(lambda model=model, dims=dims: model.compare(dims), args.repeats)
            w = median_ms(widget_updater(model, dims), args.repeats)
            lines.append(f"| {key} | {label} | {m:.2f} ms | {w:.1f} ms |")
    hb = HeartbeatsModel()
    d = HeartbeatDimensions(nodes=5000, horizon_s=3600)
    full = median_ms(lambda: hb.compare(d), args.repeats)
    day = median_ms(lambda: hb.compare(d.replace(nodes=15000, horizon_s=86400)), 5)
    toy = HeartbeatDimensions(nodes=50, horizon_s=3600)
    sim = median_ms(lambda: (simulate(toy, "naive"), simulate(toy, "improved")), 3)
    lines += ["",
              "| heartbeats | time |", "|---|---|",
              f"| vectorised model, 5,000 nodes, 1 h, both versions | {full:.2f} ms |",
              f"| vectorised model, 15,000 nodes, 24 h, both versions | {day:.1f} ms |",
              f"| SimPy model, 50 nodes, 1 h, both versions | {sim:.0f} ms |"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(__file__).with_name("RESULTS.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
