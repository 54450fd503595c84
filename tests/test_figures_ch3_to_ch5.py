"""The readability rules of the course's figures, for chapters 3 (secrets), 4 (kube-proxy) and
5 (scheduler): no text smaller than ``style.MIN_FONT_PT``, no legend on an axes' data area,
and alt text that describes the key figure rather than naming it.

Each figure is drawn as the chapter draws it, from small inputs so that the tests stay fast.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")

from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from kscale_lab import style  # noqa: E402
from kscale_lab.chapters import get  # noqa: E402

KEYS = ("secrets", "kube-proxy", "scheduler")


def _drawn(fig):
    fig.canvas.draw()
    return fig


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@functools.cache
def _figures() -> list[tuple[str, object]]:
    """Every figure of chapters 3 to 5: the key figures at two settings, and the others."""
    from kscale_lab.figures import kube_proxy as kpf
    from kscale_lab.figures import scheduler as schf
    from kscale_lab.figures import secrets as sf
    from kscale_lab.kube_proxy import simulate as kp_simulate
    from kscale_lab.scheduler.model import TALK_DIMENSIONS, throughput_curve
    from kscale_lab.secrets import SecretsDimensions
    from kscale_lab.secrets import simulate as s_simulate

    out = []
    for key, other in (("secrets", {"go_client": "go1.10"}),
                       ("kube-proxy", {"iptables_restore": "partial"}),
                       ("scheduler", {"anti_affinity_fraction": 0.01, "arrival_rate": 40})):
        model = get(key)
        out.append((f"{key} figure", model.figure(model.compare())))
        out.append((f"{key} figure, {other}", model.figure(model.compare(**other))))

    secrets = get("secrets")
    small = SecretsDimensions(pods_per_node=6, objects_per_pod=3, shared_share=0.35,
                              http2_max_streams_per_connection=10)
    sims = [s_simulate(small.replace(go_client=c), "improved", nodes=1, horizon_s=900, seed=4)
            for c in ("go1.12", "go1.10")]
    fig = style.new_figure(5.0)
    sf.plot_connection_timeline(sims, fig, until_s=900)
    out.append(("secrets connection timeline", fig))
    fig = style.new_figure(4.0)
    sf.plot_read_load([secrets.compare(nodes=n) for n in (10, 100, 1000, 2001, 15000)], fig)
    out.append(("secrets read load", fig))
    objects = np.array([200, 250, 300])
    outcomes = {c: [secrets.improved(SecretsDimensions(pods_per_node=int(k), objects_per_pod=1,
                                                       shared_share=0.0, go_client=c))
                    for k in objects] for c in ("go1.12", "go1.10")}
    fig = style.new_figure(3.8)
    sf.plot_stream_cliff(objects, outcomes, fig, grace_period_s=40, limit=250)
    out.append(("secrets stream cliff", fig))

    proxy = get("kube-proxy")
    d = proxy.dimensions(services=1000)
    fig = style.new_figure(5.2)
    kpf.plot_rollout([kp_simulate(d, v, horizon_s=20, rollout_at_s=2.0, rollout_step_s=2.0)
                      for v in ("naive", "improved")], fig)
    out.append(("kube-proxy rollout", fig))
    timing = SimpleNamespace(backend="legacy", services=100, rules=3000, full_restore_s=0.05,
                             partial_restore_s=0.02, append_s=0.01)
    for timings in ([], [timing, SimpleNamespace(**{**vars(timing), "backend": "nft"})]):
        fig = style.new_figure(5.2)
        kpf.plot_measured(timings, fig)
        out.append((f"kube-proxy measured ({len(timings)} timings)", fig))
    naive = proxy.naive(proxy.dimensions())
    fig = style.new_figure(4.2)
    kpf.plot_latency_cdf([("iptables, full restore, min sync period 10 s", style.NAIVE, naive),
                          ("iptables, partial restore (KEP-3453), 1 s", style.NEUTRAL, naive),
                          ("IPVS", style.IMPROVED, proxy.improved(proxy.dimensions()))], fig)
    out.append(("kube-proxy latency", fig))
    fig = style.new_figure(4.2)
    kpf.plot_backends([proxy.compare(backends_per_service=b) for b in (1, 10, 250, 500)], fig)
    out.append(("kube-proxy backends", fig))

    nodes = np.array([1, 100, 2000, 5000, 15000])
    curves = {(i, v): throughput_curve(v, nodes, dims)
              for i, dims in enumerate((TALK_DIMENSIONS,
                                        TALK_DIMENSIONS.replace(anti_affinity_fraction=1.0)))
              for v in ("1.10", "1.11", "1.14") if i == 1 or v != "1.11"}
    fig = style.new_figure(4.6)
    schf.plot_fixes(fig, curves, nodes, ("no anti-affinity", "required anti-affinity"), qps=50)
    out.append(("scheduler fixes", fig))
    t = np.arange(0.0, 10.0, 0.5)
    fig = style.new_figure(4.0)
    schf.plot_queue(fig, t, [("1.10 (20 pods/s loop)", style.NAIVE, t / 10 + 0.01),
                             ("1.14 (290 pods/s loop)", style.IMPROVED, np.full(len(t), 0.004))])
    out.append(("scheduler queue", fig))
    rates = np.array([1, 10, 100])
    fig = style.new_figure(4.4)
    schf.plot_churn(fig, rates, [("1.10", style.NAIVE, "-", [0.01, 0.05, None]),
                                 ("1.14", style.IMPROVED, "--", [0.003, 0.004, 0.01])],
                    title="5,000 nodes")
    out.append(("scheduler churn", fig))
    return [(name, _drawn(fig)) for name, fig in out]


@pytest.mark.parametrize("name, fig", _figures(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_text_is_smaller_than_the_course_minimum(name, fig):
    small = sorted({(round(t.get_fontsize(), 2), t.get_text()[:30]) for t in _texts(fig)
                    if t.get_fontsize() < style.MIN_FONT_PT - 1e-9})
    assert not small, f"{name}: text below {style.MIN_FONT_PT} pt: {small}"


@pytest.mark.parametrize("name, fig", _figures(), ids=lambda v: v if isinstance(v, str) else "")
def test_legends_sit_off_the_data(name, fig):
    renderer = fig.canvas.get_renderer()
    for legend in fig.findobj(Legend):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.axison:
                assert not box.overlaps(ax.get_window_extent(renderer)), (
                    f"{name}: a legend ({[t.get_text() for t in legend.get_texts()]}) "
                    "lies on an axes' data area")


@pytest.mark.parametrize("name, fig", _figures(), ids=lambda v: v if isinstance(v, str) else "")
def test_nothing_drawn_leaves_the_figure(name, fig):
    """Titles, labels, legends and the data's own texts all lie inside the canvas."""
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox_inches.padded(0.02)
    laid_out = fig.get_tightbbox(renderer)              # what constrained layout placed
    assert (laid_out.x0 >= inside.x0 and laid_out.y0 >= inside.y0
            and laid_out.x1 <= inside.x1 and laid_out.y1 <= inside.y1), (
        f"{name}: drawn over {laid_out}, the figure is {inside}")
    canvas = fig.bbox.padded(2)                         # the data's texts, kept out of layout
    outside = [t.get_text()[:30] for t in _texts(fig) if not t.get_in_layout()
               and not canvas.contains(*t.get_window_extent(renderer).p0)
               or not t.get_in_layout() and not canvas.contains(*t.get_window_extent(renderer).p1)]
    assert not outside, f"{name}: data text outside the figure: {outside}"


@pytest.mark.parametrize("key", KEYS)
def test_key_figure_alt_text_describes_axes_and_both_versions(key):
    """Written for a reader who cannot see it: long enough to say what is drawn, naming
    both versions' colours, and a sentence rather than a fragment."""
    alt = get(key).painter().describe()
    assert len(alt) >= 200, alt
    assert "orange" in alt and "teal" in alt, alt
    assert alt.endswith("."), alt
