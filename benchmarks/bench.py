"""Speed of the course's models and explorers: prints figures, optionally writes them to a file.

    python benchmarks/bench.py                 # print
    python benchmarks/bench.py --write         # also update benchmarks/RESULTS.md

What is timed (medians over repeats, wall clock, this machine), for every registered model,
at its default dimensions and at its most expensive point:

* **model** — ``compare``: naive and improved;
* **explorer** — one slider move as a learner waits for it: the model, the figure redrawn by
  :class:`~kscale_lab.figures.live.LiveFigure` (static parts kept, data blitted), its PNG and
  the metrics table;
* **plain redraw** — what a plain ``ipywidgets.interact`` over ``model.figure(...)`` does: the
  model, a new figure drawn from scratch, PNG as the inline backend makes it;
* **PNG floor** — encoding the explorer's pixels as PNG, nothing else: the least any explorer
  that sends PNG images can cost.

The three are measured in turns (explorer, plain, floor, explorer, …) in one run, so load
from elsewhere on a shared machine falls on all alike and the ratio plain ÷ explorer holds.
The most expensive point is *measured*, not guessed: every candidate (defaults, each numeric
dimension alone at either end of its range, all at the top) gets a short timing of its
explorer update, and the slowest is the "most expensive" row.

A model that caches its outcomes per point (:data:`FRESH`: the capstone) is timed at a new
point on every update instead (its first dimension moved one more step each time), so its
rows measure the real work of a slider moved to a new value, not a cache hit.

``--only KEY ...`` measures those chapters alone and, with ``--write``, replaces their rows in
``RESULTS.md`` (with a note of when and at what load), keeping the others'.

Also: ``kscale list``'s start-up time (beside a bare interpreter's), and the heartbeat model
at full scale and event by event. Chapters 4 and 5 have their own scripts for their real data
structures (``bench_kube_proxy.py``, ``bench_scheduler.py``). Speed is measured here and
never asserted in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import os
import re
import sys
import time

from benchlib import (
    HERE,
    arguments,
    explorer_for,
    explorer_update,
    finish,
    machine,
    median_ms,
    model_median_ms,
    most_expensive,
    paired_medians_ms,
    plain_redraw,
    png_floor,
    startup_median_ms,
)

from kscale_lab.chapters import MODELS
from kscale_lab.heartbeats import HeartbeatDimensions, HeartbeatsModel, simulate

#: Models whose outcomes are cached per point: timed at a new point on every update.
FRESH = {"capstone"}
#: How the note of a re-measurement with ``--only`` starts (the next one replaces it).
NOTE_START = "Re-measured alone since the run above: "

NOTE = ("Nothing else of the course's ran on the machine during this run (the load average "
        "above is what the machine had); times are medians taken in turns, so a burst of load "
        "falls on explorer, plain redraw and PNG floor alike. The capstone caches each "
        "chapter's result per point, so its rows move to a new point on every update (the "
        "node count one lower each time) and measure real work; `bench_capstone.py` also "
        "times it with every cache emptied.")


def describe(model, dims) -> str:
    """The dimensions that differ from the defaults, as ``name=value``."""
    base = model.dimensions()
    changed = [f"{s.name}={s.format(getattr(dims, s.name))}" for s in model.dimensions.specs()
               if getattr(dims, s.name) != getattr(base, s.name)]
    return ", ".join(changed) or "defaults"


def measure(keys: list[str], repeats: int) -> tuple[list[str], list[str]]:
    """The table rows and the "most expensive" lines of the chapters ``keys``."""
    rows, found = [], []
    for key in keys:
        model, fresh = MODELS[key], key in FRESH
        worst_label, worst, tried = most_expensive(model, fresh=fresh)
        for label, dims in (("defaults", model.dimensions()),
                            (f"most expensive: {describe(model, worst)}", worst)):
            ex = explorer_for(model, dims)
            t = paired_medians_ms({"explorer": explorer_update(ex, model, dims, fresh),
                                   "plain": plain_redraw(model, dims, fresh),
                                   "floor": png_floor(ex)}, repeats)
            m = model_median_ms(model, dims, repeats, fresh)
            rows.append(f"| {key} | {label} | {m:.2f} ms | {t['explorer']:.1f} ms | "
                        f"{t['plain']:.1f} ms | {t['floor']:.1f} ms | "
                        f"{t['plain'] / t['explorer']:.1f}× |")
        ranked = sorted(tried.items(), key=lambda kv: -kv[1])
        found.append(f"- {key}: " + "; ".join(f"{'**' if label == worst_label else ''}"
                                              f"{label} {ms:.0f}"
                                              f"{'**' if label == worst_label else ''}"
                                              for label, ms in ranked))
    return rows, found


def splice(text: str, keys: list[str], rows: list[str], found: list[str], note: str) -> str:
    """``RESULTS.md``'s ``text`` with the rows and lines of chapters ``keys`` replaced, and
    ``note`` (when and at what load they were re-measured) under the table, in place of an
    older such note."""
    out: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        if line.startswith(NOTE_START):
            if out and out[-1] == "":
                out.pop()                        # the blank line put before it
            continue
        row = re.match(r"\| ([\w-]+) \| (?:defaults|most expensive)", line)
        item = re.match(r"- ([\w-]+): ", line)
        key = row.group(1) if row else item.group(1) if item else None
        if key in keys:
            prefix = f"| {key} |" if row else f"- {key}:"
            out += [x for x in (rows if row else found) if x.startswith(prefix) and x not in out]
            continue
        out.append(line)
    last = max(i for i, x in enumerate(out)
               if re.match(r"\| [\w-]+ \| (defaults|most expensive)", x))
    out[last + 1:last + 1] = ["", note]
    return "\n".join(out) + "\n"


def main() -> int:
    args = arguments(__doc__, "RESULTS.md", only=True)
    keys = args.only or list(MODELS)
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        raise SystemExit(f"--only takes chapter keys, from {', '.join(MODELS)}; got "
                         f"{', '.join(unknown)}")
    if args.only:
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
        rows, found = measure(keys, args.repeats)
        note = (f"{NOTE_START}{', '.join(keys)}, on "
                f"{time.strftime('%Y-%m-%d')}, load average {load} when it started (other "
                f"engineers' work shared the 2 cores; times taken in turns, so the ratios hold), "
                f"medians of {args.repeats}; at a new point every update.")
        print("\n".join([note, "", *rows, "", *found]))
        if args.write:
            path = HERE / "RESULTS.md"
            path.write_text(splice(path.read_text(), keys, rows, found, note))
        return 0
    lines = ["# Benchmark results\n", machine(args.repeats, "bench.py", NOTE),
             "Targets (course design): an explorer update ≤ 100 ms median at the defaults, and "
             "at least 3× faster than the plain redraw; ≤ 2 s at the most expensive point.\n",
             "| chapter | point | model | explorer | plain redraw | PNG floor | plain ÷ explorer |",
             "|---|---|---|---|---|---|---|"]
    rows, found = measure(keys, args.repeats)
    lines += rows
    lines += ["", "How the most expensive point was found (explorer update, median of 5 taken "
              "in turns across the candidates, ms; the slowest is used above — where the "
              "times are close, the explorer's cost hardly depends on the dimensions):", ""]
    lines += found
    bare = startup_median_ms(["-c", "pass"], 5)
    listing = startup_median_ms(["-m", "kscale_lab.cli", "list"], 5)
    hb = HeartbeatsModel()
    d = HeartbeatDimensions(nodes=5000, horizon_s=3600)
    full = model_median_ms(hb, d, args.repeats)
    day = model_median_ms(hb, d.replace(nodes=15000, horizon_s=86400), 5)
    toy = HeartbeatDimensions(nodes=50, horizon_s=3600)
    sim = median_ms(lambda: (simulate(toy, "naive"), simulate(toy, "improved")), 3)
    lines += ["",
              "| start-up | time |", "|---|---|",
              f"| `kscale list` (`python -m kscale_lab.cli list`), a new process | "
              f"{listing:.0f} ms |",
              f"| a bare interpreter (`python -c pass`), for comparison | {bare:.0f} ms |",
              "",
              "| heartbeats | time |", "|---|---|",
              f"| vectorised model, 5,000 nodes, 1 h, both versions | {full:.2f} ms |",
              f"| vectorised model, 15,000 nodes, 24 h, both versions | {day:.1f} ms |",
              f"| SimPy model, 50 nodes, 1 h, both versions | {sim:.0f} ms |"]
    return finish(lines, "RESULTS.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
