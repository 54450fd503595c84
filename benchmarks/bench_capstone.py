"""Speed of chapter 9, the capstone: its explorer, its model, its sweeps and its toy cluster.

    python benchmarks/bench_capstone.py            # print
    python benchmarks/bench_capstone.py --write    # also write benchmarks/RESULTS-capstone.md

The capstone runs every chapter's model twice per point (your release and today's), and
caches each chapter's outcome on its own dimensions (``kscale_lab.capstone.headroom.run``,
``assess``). A cache makes a repeated point free, so the explorer is timed two ways, in
turns in one run (so load from elsewhere falls on all alike):

* **cold** — every update at a point never seen before (the node count moves by one each
  time) with every cache emptied first: the price of a slider move to a new value;
* **release only** — the version control moving between two releases, as a learner steps
  through them: today's side and every chapter the step does not change come from the cache;

beside a **plain redraw** (what an ``interact`` over ``model.figure(...)`` does: the model,
cold, a new figure drawn from scratch, PNG as the inline backend makes it). Also: both sides
of the model at the defaults (cold) and at the largest dimensions the controls allow (the
course's budget: 2 s), the ``room`` computation of one dimension, a release sweep, and the
toy cluster event by event. Speed is measured here and never asserted in tests.
"""

from __future__ import annotations

import itertools
import sys

from benchlib import (
    arguments,
    explorer_for,
    finish,
    machine,
    paired_medians_ms,
    timed,
)

from kscale_lab.capstone import CapstoneDimensions, CapstoneModel, assess
from kscale_lab.capstone import headroom as headroom_module
from kscale_lab.capstone.tour import TOUR, over_releases, room
from kscale_lab.capstone.toy import simulate
from kscale_lab.versions import RELEASES, TODAY

SHARED = ("Other engineers were using this 2-core machine while these numbers were taken, so "
          "every wall time here is noisier (and likely slower) than on an idle machine; the "
          "ratios, measured in turns, are the figures to read.")
LARGEST = CapstoneDimensions(nodes=15_000, pods_per_node=60, services=50_000,
                             backends_per_service=20, objects_per_pod=50, pod_churn=100,
                             anti_affinity_fraction=1.0, hot_objects_per_node=10.0,
                             namespaces=50_000, quota_gib=8.0)


def clear_caches() -> None:
    """Forget every cached outcome (the capstone's and each chapter's)."""
    assess.cache_clear()
    for name in ("run", "_scheduler", "_watch", "_iptables_sync_s"):
        getattr(headroom_module, name).cache_clear()


def main() -> int:
    args = arguments(__doc__, "RESULTS-capstone.md")
    model = CapstoneModel()
    dims = model.dimensions()
    fresh = itertools.count(1)
    versions = itertools.cycle(["1.14", dims.version])
    cold_ex = explorer_for(model, dims)
    warm_ex = explorer_for(model, dims)

    def cold() -> None:
        clear_caches()
        cold_ex.update(nodes=dims.nodes - next(fresh) % 1000)

    def release_only() -> None:
        warm_ex.update(version=next(versions))

    def plain() -> None:
        import io

        clear_caches()
        fig = model.figure(model.compare(dims.replace(nodes=dims.nodes - next(fresh) % 1000)))
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")

    t = paired_medians_ms({"cold": cold, "release only": release_only, "plain": plain},
                          args.repeats)

    def model_cold() -> None:
        clear_caches()
        model.compare(dims.replace(nodes=dims.nodes - next(fresh) % 1000))

    m = paired_medians_ms({"model": model_cold}, args.repeats)["model"]
    clear_caches()
    _, t_largest = timed(lambda: model.compare(LARGEST))
    clear_caches()
    _, t_room = timed(lambda: room(TOUR["5,000 nodes on 1.13"].replace(version=TODAY),
                                   "services"))
    clear_caches()
    _, t_sweep = timed(lambda: over_releases(TOUR["5,000 nodes on 1.13"]))
    toy = CapstoneDimensions(version="1.11", nodes=20, pods_per_node=10, services=20,
                             backends_per_service=10, pod_churn=1, hot_objects_per_node=0.0,
                             quota_gib=1.0)
    _, t_toy = timed(lambda: [simulate(toy, side) for side in ("naive", "improved")])

    lines = ["# Benchmark results: chapter 9, the capstone\n",
             machine(args.repeats, "bench_capstone.py", SHARED),
             "| explorer update at the defaults | median | plain redraw ÷ it |",
             "|---|---|---|",
             f"| cold: a new point, every cache emptied (budget 100 ms) | {t['cold']:.1f} ms | "
             f"**{t['plain'] / t['cold']:.1f}×** |",
             f"| the release only (today's side and unchanged chapters cached) | "
             f"{t['release only']:.1f} ms | **{t['plain'] / t['release only']:.1f}×** |",
             f"| plain redraw (model cold, new figure, PNG) | {t['plain']:.1f} ms | 1× |", "",
             "| computation | time |", "|---|---|",
             f"| the model, both sides, defaults, cold (median) | {m:.1f} ms |",
             f"| the model, both sides, the largest dimensions (budget 2 s) | "
             f"{t_largest:.3f} s |",
             f"| `room` of services for the 5,000-node cluster on {TODAY} (cold) | "
             f"{t_room:.2f} s |",
             f"| the 5,000-node cluster on all {len(RELEASES)} releases "
             f"(cold) | {t_sweep:.2f} s |",
             f"| the toy cluster event by event, 20 nodes, 40 min, both sides | {t_toy:.2f} s |",
             "",
             "Largest dimensions: 15,000 nodes of 60 pods, 50,000 services of 20 backends, 50 "
             "secrets and configmaps per pod, 100 pods/s, every deployment with required "
             "anti-affinity, 10 hot-looping pods per node, 50,000 namespaces, an 8 GiB quota "
             "(the watch chapter's pods are capped at its 1,000,000).", "", SHARED]
    return finish(lines, "RESULTS-capstone.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
