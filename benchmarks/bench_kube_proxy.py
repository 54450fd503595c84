"""Speed of chapter 4 (kube-proxy): the real rule tables at the envelope, and the widget.

    python benchmarks/bench_kube_proxy.py            # print
    python benchmarks/bench_kube_proxy.py --write    # also write benchmarks/RESULTS-kube-proxy.md

What is timed (wall clock, this machine):

* building the iptables proxier for 10,000 services × 10 backends (310,008 rules) and the
  IPVS proxier for the same services, and routing 10,000 packets (first packets of
  connections to random services) through each — the issue's budget is 5 s in total;
* rendering the iptables table as ``iptables-save`` text and the IPVS table as
  ``ipvsadm -Ln`` text;
* one widget update (model, figure, PNG) at the default dimensions and at the largest
  (median of repeats; the budget is 100 ms at the defaults), and a plain full redraw of the
  same figure (a new figure, constrained layout, PNG) for the ratio (at least 3×);
* the SimPy rollout story (both proxiers);
* the chapter's "Measure it on your machine" run of the real iptables (both back ends, in a
  private network namespace), if it can run here.

Speed is measured here and never asserted in tests, where shared machines make timings flaky.
"""

from __future__ import annotations

import io
import itertools
import sys

import numpy as np
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

from kscale_lab.kube_proxy import (
    IptablesProxier,
    IpvsProxier,
    KubeProxyDimensions,
    KubeProxyModel,
    make_services,
    random_packets,
    simulate,
)

WIDGET_DIMENSIONS = ["services", "backends_per_service", "endpoint_changes_per_s",
                     "min_sync_period_s", "iptables_restore"]


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
    args = arguments(__doc__, "RESULTS-kube-proxy.md")

    services, backends, packets_n = 10_000, 10, 10_000
    svcs, t_services = timed(lambda: make_services(services, backends))
    ipt, t_ipt = timed(lambda: IptablesProxier(svcs))
    ipv, t_ipv = timed(lambda: IpvsProxier(svcs))
    packets, t_packets = timed(lambda: random_packets(svcs, packets_n))
    rng = np.random.default_rng(1)
    routes_ipt, t_route_ipt = timed(lambda: [ipt.route(p, rng) for p in packets])
    routes_ipv, t_route_ipv = timed(lambda: [ipv.route(p) for p in packets])
    total = t_services + t_ipt + t_ipv + t_packets + t_route_ipt + t_route_ipv
    save, t_save = timed(ipt.save)
    ipvsadm, t_ipvsadm = timed(ipv.ipvsadm)
    ok = all(r.backend is not None for r in routes_ipt + routes_ipv)

    model = KubeProxyModel()
    default = KubeProxyDimensions()
    top = KubeProxyDimensions(services=20_000, backends_per_service=500,
                              endpoint_changes_per_s=1000)
    m_default = model_median_ms(model, default, args.repeats)
    w_default = widget_median_ms(model, default, args.repeats, only=WIDGET_DIMENSIONS)
    w_top = widget_median_ms(model, top, args.repeats, only=WIDGET_DIMENSIONS)
    plain = plain_redraw_ms(model, default, args.repeats)
    sim = median_ms(lambda: (simulate(default, "naive"), simulate(default, "improved")), 3)

    from kscale_lab.real import iptables as real
    try:
        timings, t_real = timed(lambda: real.measure(services=(100, 250, 500, 1000),
                                                     backends_per_service=10, repeats=3,
                                                     budget_s=15))
        real_lines = [f"Measured in {t_real:.1f} s (the chapter's budget: sizes stop after "
                      "15 s).\n", "| back end | services | rules | full restore | partial "
                      "restore | iptables -A |", "|---|---|---|---|---|---|"]
        real_lines += [f"| {t.backend} | {t.services:,} | {t.rules:,} | {t.full_restore_s:.3f} s "
                       f"| {t.partial_restore_s:.3f} s | {t.append_s:.3f} s |" for t in timings]
    except real.IptablesUnavailable as err:
        real_lines = [f"Not measured: {err}"]

    lines = [
        "# Benchmark results: chapter 4, kube-proxy\n",
        machine(args.repeats, "bench_kube_proxy.py"),
        f"## The real tables: {services:,} services × {backends} backends\n",
        "| step | time |", "|---|---|",
        f"| generate the services and endpoints (seeded) | {t_services:.2f} s |",
        f"| build the iptables proxier ({ipt.rules_total:,} rules) | {t_ipt:.2f} s |",
        f"| build the IPVS proxier ({ipv.entries_total:,} entries) | {t_ipv:.2f} s |",
        f"| draw {packets_n:,} packets | {t_packets:.2f} s |",
        f"| route {packets_n:,} packets through iptables (mean "
        f"{np.mean([r.rules_evaluated for r in routes_ipt]):,.1f} rules each) | "
        f"{t_route_ipt:.2f} s |",
        f"| route {packets_n:,} packets through IPVS (mean "
        f"{np.mean([r.rules_evaluated for r in routes_ipv]):.2f} entries each) | "
        f"{t_route_ipv:.2f} s |",
        f"| **total (budget 5 s)** | **{total:.2f} s** |",
        f"| render `iptables-save` ({len(save.encode()) / 2**20:.1f} MiB) | {t_save:.2f} s |",
        f"| render `ipvsadm -Ln` ({len(ipvsadm.encode()) / 2**20:.1f} MiB) | {t_ipvsadm:.2f} s |",
        "",
        f"Every packet reached a backend: {'yes' if ok else 'NO'}.\n",
        "## The model and the widget\n",
        "| what | time |", "|---|---|",
        f"| model, both proxiers, default dimensions | {m_default:.3f} ms |",
        f"| widget update, default dimensions (budget 100 ms) | {w_default:.1f} ms |",
        f"| plain full redraw of the same figure, default dimensions | {plain:.1f} ms |",
        f"| **ratio, plain / widget (at least 3×)** | **{plain / w_default:.1f}×** |",
        "| widget update, largest dimensions (20,000 services × 500 backends, 1,000 "
        f"changes/s) | {w_top:.1f} ms |",
        f"| SimPy rollout story, 40 s, both proxiers | {sim:.0f} ms |",
        "",
        "## The real iptables in a private network namespace\n",
        *real_lines,
        "",
        "Other engineers were using this 2-core machine while these numbers were taken, so "
        "every wall time here is noisier (and likely slower) than on an idle machine.",
    ]
    return finish(lines, "RESULTS-kube-proxy.md", args.write)


if __name__ == "__main__":
    sys.exit(main())
