"""Speed of chapter 7's watch-restart model: prints figures, optionally writes them to a file.

    python benchmarks/bench_watch.py            # print
    python benchmarks/bench_watch.py --write    # also update benchmarks/RESULTS-watch.md

What is timed (wall clock, this machine):

* one explorer update (both versions, the figure blitted, its PNG) at the default dimensions,
  beside a plain redraw (a new figure drawn from scratch and saved as PNG, what an
  ``interact`` would do), taken in turns so that load from elsewhere falls on both alike;
* the full model (both versions) at 5,000 nodes with one pod watch per node — the issue's
  cluster-scale target is 2 s;
* the SimPy run at the toy scale the chapter uses, and at the size the agreement tests use.
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
    timed,
)

from kscale_lab.watch import TOY, WatchDimensions, WatchModel, pods_cache_capacity, simulate

#: The issue's cluster: 5,000 nodes, one pod watch per kubelet, the talk era's pods cache.
FULL = WatchDimensions(watchers=5000, selectivity=1 / 5000,
                       watch_cache_capacity=pods_cache_capacity(5000))
AGREE = WatchDimensions(watchers=40, selectivity=0.02, events_per_s=2.0, objects=200,
                        watch_cache_capacity=60, min_watch_timeout_s=120,
                        max_watch_timeout_s=240)


def main() -> int:
    args = arguments(__doc__, "RESULTS-watch.md")
    model = WatchModel()
    default = WatchDimensions()
    ex = explorer_for(model, default)
    medians = paired_medians_ms({"explorer": explorer_update(ex, model, default),
                                 "plain": plain_redraw(model, default)}, args.repeats)
    full_ms = model_median_ms(model, FULL, args.repeats)
    _, toy_s = timed(lambda: [simulate(TOY, side, horizon_s=600, warm_s=0, record=6)
                              for side in ("naive", "improved")])
    _, agree_s = timed(lambda: [simulate(AGREE, side, horizon_s=7200, warm_s=600, seed=1)
                                for side in ("naive", "improved")])
    ratio = medians["plain"] / medians["explorer"]
    lines = [
        "# Benchmark results: chapter 7, watch restart cost\n",
        machine(args.repeats, "bench_watch.py"),
        "Other engineers were using the machine while these were taken: treat them as "
        "indications.\n",
        "| what | time |", "|---|---|",
        f"| **explorer update at default dimensions** (median ≤ 100 ms) | "
        f"**{medians['explorer']:.1f} ms** |",
        f"| plain redraw (new figure, everything drawn, PNG) | {medians['plain']:.1f} ms |",
        f"| **plain redraw ÷ explorer update** (≥ 3×) | **{ratio:.1f}×** |",
        f"| **full model, both versions, 5,000 nodes with one pod watch each** (≤ 2 s) | "
        f"**{full_ms:.3f} ms** |",
        f"| SimPy, the chapter's toy (6 kubelets, 10 min, both versions) | {toy_s:.2f} s |",
        f"| SimPy, the agreement tests' cluster (40 kubelets, 2 h 10 min, both versions) | "
        f"{agree_s:.2f} s |",
        "",
        "The model is closed form, so its time does not grow with the cluster; the SimPy run "
        "filters every event for every watcher and is kept to toy sizes "
        "(`SIMULATE_MAX_WATCHERS`).",
    ]
    return finish(lines, "RESULTS-watch.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
