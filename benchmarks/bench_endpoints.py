"""Speed of chapter 8 (EndpointSlices; API Priority and Fairness): the widgets and the models.

    python benchmarks/bench_endpoints.py            # print
    python benchmarks/bench_endpoints.py --write    # also write benchmarks/RESULTS-endpoints.md

What is timed (wall clock, this machine), for each of the chapter's two models:

* one widget update (model, figure, PNG) at the default dimensions (the issue's budget:
  100 ms median) and a plain full redraw of the same figure (a new figure, constrained
  layout, PNG) for the ratio (at least 3×);
* both versions of the model at the largest dimensions the sliders allow (the issue's
  budget: 2 s);
* the SimPy runs the chapter shows (a toy rolling update; a toy minute of flood).

Speed is measured here and never asserted in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import io
import itertools
import sys

from benchlib import (
    arguments,
    finish,
    machine,
    median_ms,
    model_median_ms,
    neighbour,
    timed,
    widget_median_ms,
)

from kscale_lab.endpoints import EndpointsDimensions, EndpointsModel
from kscale_lab.endpoints.controller import rolling_update
from kscale_lab.priority import PriorityDimensions, PriorityModel
from kscale_lab.priority.simulate import simulate

WIDGETS = {
    "endpoints": ["backends_per_service", "nodes", "max_endpoints_per_slice",
                  "endpoint_changes_per_s", "encoding"],
    "priority": ["nodes", "noisy_client", "noisy_requests_per_s", "workload_requests_per_s",
                 "service_ms", "max_requests_inflight", "max_mutating_requests_inflight"],
}
LARGEST = {
    "endpoints": EndpointsDimensions(backends_per_service=2000, nodes=15_000, services=50_000,
                                     max_endpoints_per_slice=1, endpoint_changes_per_s=1000,
                                     encoding="json"),
    "priority": PriorityDimensions(nodes=15_000, noisy_requests_per_s=20_000,
                                   workload_requests_per_s=5000, service_ms=500,
                                   max_requests_inflight=3000,
                                   max_mutating_requests_inflight=3000, horizon_s=86_400),
}


def plain_redraw_ms(model, dims, repeats: int) -> float:
    """A plain ``interact``-style redraw: a new figure, the whole chapter figure, PNG."""
    import matplotlib.pyplot as plt

    points = itertools.cycle([model.compare(neighbour(model, dims)), model.compare(dims)])

    def redraw() -> None:
        fig = plt.figure(figsize=(7, model.painter().height_in), layout="constrained")
        model.plot(next(points), fig)
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return median_ms(redraw, repeats)


def main() -> int:
    args = arguments(__doc__, "RESULTS-endpoints.md")
    rows = []
    for model in (EndpointsModel(), PriorityModel()):
        dims = model.dimensions()
        widget = widget_median_ms(model, dims, args.repeats, only=WIDGETS[model.key])
        plain = plain_redraw_ms(model, dims, args.repeats)
        at_default = model_median_ms(model, dims, args.repeats)
        _, largest = timed(lambda m=model: m.compare(LARGEST[m.key]))
        rows.append((model, widget, plain, at_default, largest))
    _, t_roll = timed(lambda: [rolling_update(20, 3, v, max_endpoints_per_slice=5)
                               for v in ("naive", "improved")])
    toy = PriorityDimensions(nodes=200, noisy_requests_per_s=700, workload_requests_per_s=20,
                             max_requests_inflight=40, max_mutating_requests_inflight=20,
                             horizon_s=60)
    _, t_flood = timed(lambda: [simulate(toy, v) for v in ("naive", "improved")])

    lines = ["# Benchmark results: chapter 8, EndpointSlices and API Priority and Fairness\n",
             machine(args.repeats, "bench_endpoints.py"),
             "| model | widget update, defaults (budget 100 ms) | plain redraw | ratio (≥ 3×) "
             "| model, defaults | model, largest dimensions (budget 2 s) |",
             "|---|---|---|---|---|---|"]
    for model, widget, plain, at_default, largest in rows:
        lines.append(f"| `{model.key}` | {widget:.1f} ms | {plain:.1f} ms | "
                     f"**{plain / widget:.1f}×** | {at_default:.2f} ms | {largest:.3f} s |")
    lines += ["",
              "Largest dimensions: `endpoints` — 2,000 backends, 15,000 nodes, 50,000 "
              "services, 1 endpoint per slice, 1,000 changes/s, JSON; `priority` — 15,000 "
              "nodes, a 20,000 req/s flood, 5,000 req/s well-behaved, 500 ms seats, 3,000 + "
              "3,000 seats, a day's span.", "",
              "| SimPy run shown in the chapter | time |", "|---|---|",
              f"| rolling update, 20 backends, 3 kube-proxies, both versions | "
              f"{t_roll * 1000:.0f} ms |",
              f"| one minute of flood, 200 nodes, both versions | {t_flood:.2f} s |", "",
              "Other engineers were using this 2-core machine while these numbers were taken, "
              "so every wall time here is noisier (and likely slower) than on an idle machine."]
    return finish(lines, "RESULTS-endpoints.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
