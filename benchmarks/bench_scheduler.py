"""Speed of chapter 5's scheduler: prints figures, optionally writes them to a file.

    python benchmarks/bench_scheduler.py            # print
    python benchmarks/bench_scheduler.py --write    # also update benchmarks/RESULTS-scheduler.md

What is timed (wall clock, this machine):

* one widget update (model, queue, figure, PNG) at the default dimensions and at the most
  expensive point the sliders allow: the largest cluster and workload with both sides still
  below saturation, so both run the 20,000-pod queue (a saturated side skips it and is
  cheaper);
* the model alone (both sides) at the default dimensions;
* our Python scheduler, for real: 1.14 places 1,000 pods into a 5,000-node cluster running
  30 pods/node (150,000 pods); 1.10 places 20 into the same cluster; then every release on
  1,000 nodes × 30 pods with half the deployments using required anti-affinity, 20 new pods
  (one deployment of them with terms) — 1.10 there
  is the most expensive case (each pod with terms scans every pod for every node).

Our Python's speed says nothing about Go's; no metric of the model is computed from it. Also
printed: the calibration point and the predictions beside the talk's numbers.
"""

from __future__ import annotations

import sys

from benchlib import arguments, finish, machine, model_median_ms, timed, widget_median_ms

from kscale_lab.scheduler import (
    SchedulerDimensions,
    SchedulerModel,
    cost,
    make_cluster,
    make_pods,
    outcome_at,
    run,
    talk_points,
)

#: The most expensive point for the widget: every size slider at its largest, and the rest
#: chosen so that neither side saturates (with any anti-affinity at this size 1.10 places
#: less than a pod a second, saturates at every arrival rate and skips the queue).
LARGEST = SchedulerDimensions(nodes=15_000, pods_per_node=500, version="1.33",
                              anti_affinity_fraction=0.0, replicas_per_deployment=1000,
                              percentage_of_nodes_to_score=100, kube_api_qps=1000,
                              arrival_rate=10)


def main() -> int:
    args = arguments(__doc__, "RESULTS-scheduler.md")
    model = SchedulerModel()
    default = SchedulerDimensions()
    largest = model.compare(LARGEST)
    assert all(o.p99_scheduling_latency_s is not None for _, o in largest), \
        "the largest point must leave both sides below saturation"
    # the widget first, before 150,000 pods in memory make every garbage collection slower
    w_default = widget_median_ms(model, default, args.repeats)
    w_largest = widget_median_ms(model, LARGEST, args.repeats)
    m_default = model_median_ms(model, default, args.repeats)

    (cache, pods), build_s = timed(lambda: (make_cluster(5000, 30), make_pods(1000)))
    big = run("1.14", cache, pods, seed=1).counts
    del cache, pods
    naive = run("1.10", make_cluster(5000, 30), make_pods(20), seed=1).counts

    lines = [
        "# Benchmark results: chapter 5, scheduling\n",
        machine(args.repeats, "bench_scheduler.py"),
        "Other engineers were using the machine while these were taken: treat them as "
        "indications.\n",
        "| what | time |", "|---|---|",
        f"| **widget update at default dimensions** (median ≤ 100 ms) | **{w_default:.1f} ms** |",
        f"| widget update at the most expensive point (15,000 nodes × 500 pods, 1,000 "
        f"replicas/deployment, 100 %, both sides below saturation) | "
        f"{w_largest:.1f} ms |",
        f"| model + queue, both sides, default dimensions | {m_default:.2f} ms |",
        f"| build a 5,000-node cluster running 30 pods/node (150,000 pods) + 1,000 pending "
        f"pods | {build_s:.2f} s |",
        f"| **1.14: schedule 1,000 pods into it** | **{big.wall_s:.2f} s** "
        f"({big.pods_per_s:,.0f} pods/s; {big.scheduled:,} scheduled) |",
        f"| 1.10: 20 pods into the same cluster | {naive.wall_s:.2f} s "
        f"({naive.pods_per_s:,.0f} pods/s) |",
        "",
        "Our Python scheduler, release by release: 1,000 nodes × 30 pods, half the "
        "deployments with required anti-affinity on the hostname, 20 new pods each (one "
        "deployment with terms, one without):",
        "",
        "| release | wall time | pods/s (Python) | affinity checks per pod |",
        "|---|---|---|---|",
    ]
    for version in ("1.10", "1.11", "1.12", "1.14"):
        c = run(version, make_cluster(1000, 30, 0.5), make_pods(20, 0.5), seed=1).counts
        lines.append(f"| {version} | {c.wall_s:.2f} s | {c.pods_per_s:,.1f} | "
                     f"{c.per_pod('affinity_checks'):,.0f} |")

    def fmt(x: float) -> str:
        return f"{x * 60:.2f} pods/min" if x < 1 else f"{x:,.0f} pods/s"

    lines += [
        "",
        f"Calibration: one unit of work = {cost.UNIT_S * 1e6:.3f} µs of the real scheduler, "
        "from the talk's ~90 pods/s at 2,000 nodes (1.10, 30 pods/node, no anti-affinity, "
        f"client limit out of the way); per-cycle overhead {cost.CYCLE_OVERHEAD_S * 1e3:g} ms "
        "(illustrative); an anti-affinity check and a snapshot entry = "
        f"{cost.WEIGHTS['affinity_checks']} unit (assumed).",
        "",
        "| 1.10, cluster (30 pods/node) | the talk | the model | |", "|---|---|---|---|",
    ]
    for p in talk_points():
        lines.append(f"| {p.what} | {p.talk} | {fmt(p.model_pods_per_s)} | {p.kind} |")
    lines += ["", "Predictions for the later releases (client limit out of the way):", "",
              "| release | 5,000 nodes | 5,000 nodes, every deployment with required "
              "anti-affinity |", "|---|---|---|"]
    base = SchedulerDimensions(kube_api_qps=1000)
    for version in ("1.10", "1.11", "1.12", "1.14"):
        a = outcome_at(base, version).pods_per_s
        b = outcome_at(base.replace(anti_affinity_fraction=1.0), version).pods_per_s
        lines.append(f"| {version} | {fmt(a)} | {fmt(b)} |")
    return finish(lines, "RESULTS-scheduler.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
