"""Speed of chapter 6 (events): the widget, the full-scale model, the event-by-event run.

    python benchmarks/bench_events.py            # print
    python benchmarks/bench_events.py --write    # also write benchmarks/RESULTS-events.md

What is timed (wall clock, this machine):

* one explorer update at the default dimensions (both versions, the figure, its PNG, the
  table; the budget is 100 ms median), beside a plain full redraw of the same figure (a new
  figure, every axis and label, PNG; at least 3× slower) and the PNG encoding alone, taken in
  turns so that load from elsewhere falls on all three alike;
* the cluster-scale model (both versions) at the default 5,000 nodes (the issue's budget is
  2 s), and at the largest point the sliders allow (15,000 nodes × 110 hot objects per node,
  a 1-s repeat period for the whole hour: the most occurrences per object);
* the SimPy run of the chapter's toy (one failing pod) and of the 4-node agreement cluster.

Speed is measured here and never asserted in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import sys

from benchlib import (
    arguments,
    explorer_for,
    explorer_update,
    finish,
    machine,
    model_median_ms,
    paired_medians_ms,
    plain_redraw,
    png_floor,
    timed,
)

from kscale_lab.events import EventsDimensions, EventsModel, simulate

LARGEST = {w: EventsDimensions(workload=w, nodes=15_000, hot_objects_per_node=110.0,
                               repeat_period_s=1, hot_loop_s=3600, churn_pods_per_s=100.0)
           for w in ("sandbox", "crashloop", "quota")}


def main() -> int:
    args = arguments(__doc__, "RESULTS-events.md")
    model = EventsModel()
    default = EventsDimensions()
    ex = explorer_for(model, default)
    t = paired_medians_ms({"explorer": explorer_update(ex, model, default),
                           "plain": plain_redraw(model, default),
                           "floor": png_floor(ex)}, args.repeats)
    m_default = model_median_ms(model, default, args.repeats)
    largest = {w: timed(lambda d=d: model.compare(d))[1] for w, d in LARGEST.items()}
    toy = EventsDimensions(nodes=1, hot_objects_per_node=1.0, hot_loop_s=1800,
                           churn_pods_per_s=0.0)
    small = EventsDimensions(nodes=4, hot_objects_per_node=2.0, churn_pods_per_s=0.5)
    sim_toy = timed(lambda: [simulate(toy, s) for s in ("naive", "improved")])[1]
    sim_small = timed(lambda: [simulate(small, s) for s in ("naive", "improved")])[1]
    lines = [
        "# Benchmark results: chapter 6, events\n",
        machine(args.repeats, "bench_events.py"),
        "Other engineers were using the machine while these were taken: treat them as "
        "indications.\n",
        "| what | time |", "|---|---|",
        f"| **explorer update at default dimensions** (median ≤ 100 ms) | "
        f"**{t['explorer']:.1f} ms** |",
        f"| plain full redraw of the same figure | {t['plain']:.1f} ms "
        f"(**{t['plain'] / t['explorer']:.1f}×** the explorer; at least 3×) |",
        f"| PNG encoding alone (the floor of any PNG explorer) | {t['floor']:.1f} ms |",
        f"| **model, both versions, 5,000 nodes (defaults)** (≤ 2 s) | **{m_default:.1f} ms** |",
    ]
    for w, seconds in largest.items():
        lines.append(f"| model, both versions, 15,000 nodes × 110 hot objects ({w}), every "
                     f"1 s for an hour, 100 pods/s churn | {seconds * 1000:.0f} ms |")
    lines += [
        f"| SimPy, one failing pod for an hour, both versions | {sim_toy * 1000:.0f} ms |",
        f"| SimPy, 4 nodes × 2 hot objects + 0.5 pods/s churn, both versions | "
        f"{sim_small * 1000:.0f} ms |",
    ]
    return finish(lines, "RESULTS-events.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
