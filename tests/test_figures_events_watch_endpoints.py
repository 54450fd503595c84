"""The readability rules of the course's figures (see ``tests/test_diagrams.py``), for the
figures of chapters 6 (events), 7 (watch) and 8 (endpoints, priority): no text smaller than
``style.MIN_FONT_PT``, no legend on any axes' data area, and nothing drawn past the figure's
edge (a title or label cut off on the website)."""

from __future__ import annotations

import functools

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from kscale_lab import style  # noqa: E402
from kscale_lab.chapters import get  # noqa: E402


@functools.cache
def _figures() -> list[tuple[str, Figure]]:
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
    for _name, fig in out:
        fig.canvas.draw()
    return out


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


FIGURES = _figures()
IDS = [name for name, _fig in FIGURES]


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
def test_no_text_is_smaller_than_the_course_minimum(name, fig):
    small = sorted({(round(t.get_fontsize(), 2), t.get_text()[:30]) for t in _texts(fig)
                    if t.get_fontsize() < style.MIN_FONT_PT - 1e-9})
    assert not small, f"{name}: text below {style.MIN_FONT_PT} pt: {small}"


@pytest.mark.parametrize("name, fig", FIGURES, ids=IDS)
def test_legends_sit_off_the_data(name, fig):
    renderer = fig.canvas.get_renderer()
    for legend in fig.findobj(Legend):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), (
                f"{name}: a legend ({[t.get_text() for t in legend.get_texts()]}) lies on "
                "an axes' data area")


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
