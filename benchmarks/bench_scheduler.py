"""Speed of chapter 5's scheduler: prints figures, optionally writes them to a file.

    python benchmarks/bench_scheduler.py            # print
    python benchmarks/bench_scheduler.py --write    # also update benchmarks/RESULTS-scheduler.md

What is timed (wall clock, this machine):

* the issue's figure: the improved (1.12–1.14) scheduler places 1,000 pods into a 5,000-node
  cluster already running 30 pods/node (150,000 pods) — building the cluster, and scheduling;
* the 1.11 scheduler on the same cluster, a few pods (for comparison);
* one widget update (cost model, queue, figure, PNG) at default and largest dimensions;
* the cost model alone (naive + improved);
* our Python scheduler's measured speed against the estimate ``python_pods_per_s`` reports.

Also printed: the calibration and the predictions beside the talk's numbers.
"""

from __future__ import annotations

import sys
import time

from benchlib import arguments, finish, machine, model_median_ms, widget_median_ms

from kscale_lab.scheduler import (
    TALK,
    SchedulerDimensions,
    SchedulerModel,
    cost,
    make_cluster,
    make_pods,
    run,
)


def main() -> int:
    args = arguments(__doc__, "RESULTS-scheduler.md")
    model = SchedulerModel()
    # the widget first, before 150,000 pods in memory make every garbage collection slower
    default = SchedulerDimensions()
    largest = SchedulerDimensions(nodes=10000, pods_per_node=150, anti_affinity_fraction=1.0,
                                  percentage_of_nodes_to_score=100, arrival_rate=1000)
    w_default = widget_median_ms(model, default, args.repeats)
    w_largest = widget_median_ms(model, largest, args.repeats)
    m_default = model_median_ms(model, default, args.repeats)

    t = time.perf_counter()
    cache = make_cluster(5000, 30)
    pods = make_pods(1000)
    build_s = time.perf_counter() - t
    r = run("improved", cache, pods, seed=1)
    big = r.counts
    del cache, pods, r
    naive = run("naive", make_cluster(5000, 30), make_pods(20), seed=1).counts

    lines = [
        "# Benchmark results: chapter 5, scheduling\n",
        machine(args.repeats, "bench_scheduler.py"),
        "| what | time |", "|---|---|",
        f"| build a 5,000-node cluster running 30 pods/node (150,000 pods) + 1,000 pending pods "
        f"| {build_s:.2f} s |",
        f"| **1.12–1.14 scheduler: schedule 1,000 pods into it** (issue: ≤ 10 s) | "
        f"**{big.wall_s:.2f} s** ({big.pods_per_s:,.0f} pods/s; {big.scheduled:,} scheduled, "
        f"{big.unschedulable} unschedulable) |",
        f"| build + schedule, end to end | {build_s + big.wall_s:.2f} s |",
        f"| 1.11 scheduler, 20 pods into the same cluster | {naive.wall_s:.2f} s "
        f"({naive.pods_per_s:,.0f} pods/s) |",
        f"| cost model + queue, both versions, default dimensions | {m_default:.2f} ms |",
        f"| **widget update at default dimensions** (issue: median ≤ 100 ms) | "
        f"**{w_default:.1f} ms** |",
        f"| widget update at the largest dimensions (10,000 nodes, 150 pods/node, all "
        f"anti-affine, 100 %, 1,000 pods/s) | {w_largest:.1f} ms |",
        "",
        "Our Python scheduler, measured directly vs the estimate `python_pods_per_s` gives "
        "(per-operation costs measured on a small real run):",
        "",
        "| version, cluster | measured | estimate |", "|---|---|---|",
    ]
    for version, nodes, frac, count in (("naive", 5000, 0.0, 20), ("improved", 5000, 0.0, 1000),
                                        ("naive", 300, 0.5, 5), ("improved", 300, 0.5, 200)):
        c = run(version, make_cluster(nodes, 30, frac), make_pods(count, frac), seed=1).counts
        est = getattr(model, version)(SchedulerDimensions(
            nodes=nodes, anti_affinity_fraction=frac)).python_pods_per_s
        lines.append(f"| {version}, {nodes:,} nodes × 30, anti-affinity {frac:.0%} | "
                     f"{c.pods_per_s:,.1f} pods/s | {est:,.1f} pods/s |")

    m = SchedulerModel()

    def rate(version, nodes, frac=0.0):
        return getattr(m, version)(SchedulerDimensions(nodes=nodes,
                                                       anti_affinity_fraction=frac)).pods_per_s

    def fmt(x):
        return f"{x * 60:.2f} pods/min" if x < 1 else f"{x:,.0f} pods/s"

    lines += [
        "",
        f"Calibration: one unit of work = {cost.UNIT_S * 1e6:.3f} µs of the real scheduler, "
        f"from the talk's ~{TALK['naive_2000']:.0f} pods/s at 2,000 nodes (1.11, no "
        f"anti-affinity); an affinity pair check = {cost.AFFINITY_CHECK_WEIGHT} unit "
        "(assumed).",
        "",
        "| scheduler, cluster (30 pods/node) | the talk | the model | |", "|---|---|---|---|",
        f"| 1.11, 2,000 nodes | ~90 pods/s | {fmt(rate('naive', 2000))} | calibration |",
        f"| 1.11, 5,000 nodes | ~30 pods/s | {fmt(rate('naive', 5000))} | prediction |",
        f"| 1.11, 5,000 nodes, all anti-affine | < 5 pods/min | "
        f"{fmt(rate('naive', 5000, 1.0))} | prediction |",
        f"| 1.12–1.14, 2,000 nodes | — | {fmt(rate('improved', 2000))} | prediction |",
        f"| 1.12–1.14, 5,000 nodes | — | {fmt(rate('improved', 5000))} | prediction |",
        f"| 1.12–1.14, 5,000 nodes, all anti-affine | — | "
        f"{fmt(rate('improved', 5000, 1.0))} | prediction |",
    ]
    return finish(lines, "RESULTS-scheduler.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
