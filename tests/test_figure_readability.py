"""The readability rules every figure of the course follows: no text smaller than
``style.MIN_FONT_PT`` (itself at least the website's smallest body text), no legend on an axes'
data area, nothing drawn past the figure's edge (a title or label cut off on the website);
alt text that describes a key figure; and static chapter figures that fit their data.

Each figure is drawn as its chapter draws it, from small inputs so that the tests stay fast:
the key figure of every chapter, their other figures, the diagrams and a sweep player's frame.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from kscale_lab import style  # noqa: E402
from kscale_lab.chapters import get  # noqa: E402
from kscale_lab.figures import diagrams  # noqa: E402


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _chapters_1_and_2() -> list[tuple[str, Figure]]:
    """The figures of chapters 1 and 2, the diagrams and a sweep player's frame."""
    from kscale_lab.figures.envelope import plot_sweep
    from kscale_lab.figures.heartbeats import plot_timeline
    from kscale_lab.heartbeats import HeartbeatDimensions, simulate

    out = []
    for key in ("envelope", "heartbeats"):
        model = get(key)
        out.append((f"{key} figure", model.figure(model.compare())))
    fig = style.new_figure(3.8)
    plot_sweep(fig, clusters={"A": (4000, 50), "B": (1000, 30)})
    out.append(("envelope sweep", fig))
    toy = HeartbeatDimensions(nodes=6, horizon_s=180, compaction_interval_s=60,
                              failed_node_at_s=100)
    fig = style.new_figure(4.6)
    plot_timeline([simulate(toy, "naive"), simulate(toy, "improved")], fig)
    out.append(("heartbeat timeline", fig))
    for name in ("control_plane_map", "etcd_revision_timeline", "iptables_vs_ipvs",
                 "scheduling_cycle", "watch_bookmarks"):
        fig = Figure()
        getattr(diagrams, name)(fig)
        out.append((name, fig))
    return out


def _chapters_3_to_5() -> list[tuple[str, Figure]]:
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
    return out


def _chapters_6_to_8() -> list[tuple[str, Figure]]:
    from kscale_lab.endpoints.controller import rolling_update
    from kscale_lab.events import EventsDimensions
    from kscale_lab.events import simulate as simulate_events
    from kscale_lab.figures.endpoints import plot_rolling_update, plot_slice_size_sweep
    from kscale_lab.figures.events import plot_threshold_sweep, plot_toy
    from kscale_lab.figures.priority import plot_flood_sweep, plot_flood_timeline
    from kscale_lab.figures.watch import plot_cliff, plot_factor_by_churn, plot_selectivity_sweep
    from kscale_lab.figures.watch import plot_timeline as plot_watch_timeline
    from kscale_lab.priority import PriorityDimensions
    from kscale_lab.priority.simulate import simulate as simulate_flood
    from kscale_lab.watch import TOY, WatchDimensions
    from kscale_lab.watch import simulate as simulate_watch

    out = []
    for key in ("events", "watch", "endpoints", "priority"):
        model = get(key)
        out.append((f"{key} figure", model.figure(model.compare())))
    for key in ("events", "watch"):                 # as the chapters show them
        model = get(key)
        out.append((f"{key} figure fitted", model.figure(model.compare(), fit=True)))

    toy = EventsDimensions(workload="sandbox", nodes=1, hot_objects_per_node=1.0,
                           repeat_period_s=20, hot_loop_s=1800, churn_pods_per_s=0.0)
    fig = style.new_figure(4.4)
    plot_toy([simulate_events(toy, "naive"), simulate_events(toy, "improved")], fig)
    out.append(("events toy", fig))
    events = get("events")
    nodes = [500, 5000, 15000]
    fig = style.new_figure(4.6)
    plot_threshold_sweep(nodes, {
        "sandbox": ([events.compare(nodes=n) for n in nodes], "-"),
        "quota": ([events.compare(nodes=n, workload="quota") for n in nodes], "--")}, fig)
    out.append(("events threshold sweep", fig))

    fig = style.new_figure(6.2)
    plot_watch_timeline([simulate_watch(TOY, side, horizon_s=300, warm_s=0,
                                        record=TOY.watchers)
                         for side in ("naive", "improved")], fig, until_s=300)
    out.append(("watch toy", fig))
    fig = style.new_figure(3.9)
    plot_selectivity_sweep(fig, WatchDimensions(), np.geomspace(2e-5, 1, 8))
    out.append(("watch selectivity sweep", fig))
    fig = style.new_figure(3.8)
    plot_factor_by_churn(fig, WatchDimensions(), np.geomspace(1, 10_000, 8), [1e-3, 2e-4])
    out.append(("watch churn sweep", fig))
    fig = style.new_figure(3.8)
    plot_cliff(fig, WatchDimensions(), np.geomspace(10, 1e6, 8).astype(int))
    out.append(("watch cliff", fig))

    fig = style.new_figure(4.4)
    plot_rolling_update([rolling_update(8, 3, side, max_endpoints_per_slice=3)
                         for side in ("naive", "improved")], fig, nodes=3)
    out.append(("endpoints toy", fig))
    endpoints = get("endpoints")
    sizes = [1, 10, 100, 1000]
    fig = style.new_figure(3.4)
    plot_slice_size_sweep(fig, sizes, [endpoints.improved(endpoints.dimensions(
        backends_per_service=1000, max_endpoints_per_slice=m)) for m in sizes],
        endpoints.naive(endpoints.dimensions(backends_per_service=1000)).bytes_per_update)
    out.append(("endpoints slice-size sweep", fig))

    flood = PriorityDimensions(nodes=100, noisy_requests_per_s=700, workload_requests_per_s=20,
                               max_requests_inflight=40, max_mutating_requests_inflight=20,
                               horizon_s=60)
    fig = style.new_figure(5.6)
    plot_flood_timeline([simulate_flood(flood, side) for side in ("naive", "improved")], fig)
    out.append(("priority toy", fig))
    priority = get("priority")
    rates = [0.0, 3000.0, 6000.0]
    fig = style.new_figure(3.8)
    plot_flood_sweep(fig, rates, [priority.compare(noisy_requests_per_s=r) for r in rates])
    out.append(("priority flood sweep", fig))
    return out


@functools.cache
def _all_figures() -> list[tuple[str, Figure]]:
    out = [*_chapters_1_and_2(), *_chapters_3_to_5(), *_chapters_6_to_8()]
    for _name, fig in out:
        FigureCanvasAgg(fig)                  # a diagram's bare Figure has no canvas yet
        fig.canvas.draw()
    return out


FIGURES = _all_figures()
IDS = [name for name, _fig in FIGURES]


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
def test_no_text_is_smaller_than_the_course_minimum(name, fig):
    small = sorted({(round(t.get_fontsize(), 2), t.get_text()[:30]) for t in _texts(fig)
                    if t.get_fontsize() < style.MIN_FONT_PT - 1e-9})
    assert not small, f"{name}: text below {style.MIN_FONT_PT} pt: {small}"


def test_minimum_font_is_at_least_the_websites_smallest_body_text():
    # The website's smallest body text is its code, 0.875 x 16 px = 14 px (measured by the
    # browser tests); a figure shown at its drawn size has MIN_FONT_PT x DPI / 72 pixels
    # (PNG) or MIN_FONT_PT x 96 / 72 (SVG, whose points are CSS points).
    assert style.MIN_FONT_PT * min(style.DPI, 96) / 72 >= 14


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
def test_legends_sit_off_the_data(name, fig):
    renderer = fig.canvas.get_renderer()
    for legend in fig.findobj(Legend):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.axison:                     # a diagram's canvas is an axes without axes
                assert not box.overlaps(ax.get_window_extent(renderer)), (
                    f"{name}: a legend ({[t.get_text() for t in legend.get_texts()]}) "
                    "lies on an axes' data area")


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
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


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
def test_no_text_runs_past_the_figures_edge(name, fig):
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_ticklabels(which="both")}
    # Tick labels count as drawn only inside the view limits: the axes' tight box has them.
    boxes = [(f"axes {i} with its tick labels", ax.get_tightbbox(renderer))
             for i, ax in enumerate(fig.axes)]
    boxes += [(repr(t.get_text()[:40]), t.get_window_extent(renderer)) for t in _texts(fig)
              if id(t) not in ticks]
    cut = [what for what, box in boxes if not (
        inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
        and box.y1 <= inside.y1)]
    assert not cut, f"{name}: drawn past the figure's edge: {cut}"


@pytest.mark.parametrize("key", ("secrets", "kube-proxy", "scheduler"))
def test_key_figure_alt_text_describes_axes_and_both_versions(key):
    """Written for a reader who cannot see it: long enough to say what is drawn, naming
    both versions' colours, and a sentence rather than a fragment."""
    alt = get(key).painter().describe()
    assert len(alt) >= 200, alt
    assert "orange" in alt and "teal" in alt, alt
    assert alt.endswith("."), alt


# --- the chapters' static figures fit their data; the explorer's axes stay fixed ---------------

@pytest.mark.parametrize("key, fixed", [("events", (1e-3, 1e8)), ("watch", (1e-2, 1e10))])
def test_a_fitted_figure_spans_a_few_decades_around_the_data_and_the_default_stays_fixed(
        key, fixed):
    model = get(key)
    c = model.compare()
    if key == "events":
        data = np.concatenate([o.timeline_calls_per_s for _, o in c])   # 30 … 280 req/s
    else:
        data = np.array([getattr(o, n) for _, o in c for n in (
            "init_events_per_s", "relist_objects_per_s", "watch_events_sent_per_s")])
        data = data[data >= 1e-2]                     # the "≈0" bars stand at the foot
    lo, hi = model.figure(c, fit=True).axes[0].get_ylim()
    assert lo <= data.min() and data.max() <= hi
    assert np.log10(hi / lo) <= np.log10(data.max() / data.min()) + 3   # a few decades
    assert model.figure(c).axes[0].get_ylim() == pytest.approx(fixed)


def test_fitted_decades_by_hand():
    from kscale_lab.figures import fitted_decades

    assert fitted_decades([30, 280]) == (10.0, 1000.0)
    assert fitted_decades([0.0, 1e-5, 100, 55_500], floor=1e-2) == (10.0, 1e6)
    with pytest.raises(ValueError, match="values must hold a finite number above 0"):
        fitted_decades([0.0, float("nan")])
