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

Chapters 4 and 5 have their own scripts for their real data structures
(``bench_kube_proxy.py``, ``bench_scheduler.py``). Speed is measured here and never asserted
in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import sys

from benchlib import arguments, finish, machine, median_ms, model_median_ms, widget_median_ms

from kscale_lab.chapters import CHAPTERS
from kscale_lab.heartbeats import HeartbeatDimensions, HeartbeatsModel, simulate


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
    args = arguments(__doc__, "RESULTS.md")
    lines = ["# Benchmark results\n", machine(args.repeats, "bench.py"),
             "| chapter | dimensions | model (naive + improved) | whole widget update |",
             "|---|---|---|---|"]
    for key, model in CHAPTERS.items():
        for label, dims in (("defaults", model.dimensions()), ("largest", largest(model))):
            m = model_median_ms(model, dims, args.repeats)
            w = widget_median_ms(model, dims, args.repeats)
            lines.append(f"| {key} | {label} | {m:.2f} ms | {w:.1f} ms |")
    hb = HeartbeatsModel()
    d = HeartbeatDimensions(nodes=5000, horizon_s=3600)
    full = model_median_ms(hb, d, args.repeats)
    day = model_median_ms(hb, d.replace(nodes=15000, horizon_s=86400), 5)
    toy = HeartbeatDimensions(nodes=50, horizon_s=3600)
    sim = median_ms(lambda: (simulate(toy, "naive"), simulate(toy, "improved")), 3)
    lines += ["",
              "| heartbeats | time |", "|---|---|",
              f"| vectorised model, 5,000 nodes, 1 h, both versions | {full:.2f} ms |",
              f"| vectorised model, 15,000 nodes, 24 h, both versions | {day:.1f} ms |",
              f"| SimPy model, 50 nodes, 1 h, both versions | {sim:.0f} ms |"]
    return finish(lines, "RESULTS.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
