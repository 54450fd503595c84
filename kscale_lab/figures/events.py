"""Chapter 6's figures: API calls over time and Event objects stored; the toy timeline; sweeps."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure, fitted_decades

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT
#: The request-rate axis covers every slider value: from one request an hour to the busiest
#: minute of 15,000 nodes × 110 hot objects repeating every second.
CALLS_RANGE = (1e-3, 1e8)
#: The stored-objects axis: from ten objects to ten billion.
OBJECTS_RANGE = (10.0, 1e10)


def _powers(lo: float, hi: float, every: int = 1) -> list[float]:
    return [10.0 ** k for k in range(int(np.log10(lo)), int(np.log10(hi)) + 1, every)]


def _si(v: float, _pos: Any = None) -> str:
    if v >= 1e9:
        return f"{v / 1e9:g}G"
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


class EventsFigure(ChapterFigure):
    """Left: the Event requests per second (POST + PATCH) minute by minute over the run, on a
    log scale, for the old correlator (orange) and the event series (teal); a dotted line
    marks when the hot loop stops. Right: the Event objects stored at the end of the run, as
    two bars on a log scale, against a dashed line at the 1,000,000-Event threshold."""

    height_in = 4.3

    @classmethod
    def layout_key(cls, dims: Any) -> Any:
        return (dims.horizon_s,)

    def layout(self, dims: Any) -> None:
        from kscale_lab.events import THRESHOLD_EVENTS, EventsModel

        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.2, 1])
        ax, bx = self.ax, self.bx
        ax.set_yscale("log")
        ax.set_ylim(*CALLS_RANGE)
        ax.yaxis.set_major_locator(FixedLocator(_powers(*CALLS_RANGE, 2)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(_si))
        ax.set_xlim(0, dims.horizon_s / 60)
        ax.set_xlabel("time (min)")
        ax.set_ylabel("Event requests/s (POST + PATCH)")
        ax.set_title(" ")
        handles = [Line2D([], [], color=style.colour(v), label=v.label)
                   for v in EventsModel.versions]
        handles.append(Line2D([], [], color=style.LIMIT, ls=":", lw=1, label="hot loop stops"))
        # Under the panel, off the data (the request rates can run anywhere in the axes).
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        bx.set_yscale("log")
        bx.set_ylim(*OBJECTS_RANGE)
        bx.yaxis.set_major_locator(FixedLocator(_powers(*OBJECTS_RANGE, 2)))
        bx.yaxis.set_minor_locator(NullLocator())
        bx.yaxis.set_major_formatter(FuncFormatter(_si))
        bx.axhline(THRESHOLD_EVENTS, color=style.LIMIT, ls="--", lw=1)
        bx.text(1.55, THRESHOLD_EVENTS, "threshold\n1M Events", ha="right", va="bottom",
                fontsize=FONT, color=style.LIMIT)
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], ["naive", "improved"])
        bx.set_ylabel("Event objects stored")
        bx.set_title("at the end")

    def fit(self, comparison: Any) -> None:
        """Both log axes on the decades the data spans (the stored objects' with the
        1,000,000-Event threshold), not the explorer's fixed 1e-3 … 1e8 and 10 … 1e10."""
        from kscale_lab.events import THRESHOLD_EVENTS

        rates = [o.timeline_calls_per_s for _, o in comparison]
        for axis, limits in (
                (self.ax, fitted_decades(rates, floor=CALLS_RANGE[0])),
                (self.bx, fitted_decades([o.event_objects_stored for _, o in comparison],
                                         include=(THRESHOLD_EVENTS,),
                                         floor=OBJECTS_RANGE[0]))):
            axis.set_ylim(*limits)
            axis.yaxis.set_major_locator(FixedLocator(_powers(*limits)))

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        ax, bx = self.ax, self.bx
        calls_floor, objects_floor = ax.get_ylim()[0], bx.get_ylim()[0]
        out: list = []
        for version, outcome in comparison:
            t_min = np.append(outcome.timeline_t_s, dims.horizon_s) / 60
            rate = np.append(outcome.timeline_calls_per_s, outcome.timeline_calls_per_s[-1])
            out += ax.step(t_min, np.maximum(rate, calls_floor * 1.01), where="post",
                           color=style.colour(version), lw=1.6)
        out.append(ax.axvline(dims.hot_loop_s / 60, color=style.LIMIT, ls=":", lw=1))
        out.append(ax.text(0.5, 1.02, f"{dims.workload}: {dims.hot_objects:,} hot objects "
                           f"every {dims.repeat_period_s} s, churn {dims.churn_pods_per_s:g} "
                           "pods/s", transform=ax.transAxes, ha="center", va="bottom",
                           fontsize=FONT))
        values = [comparison.naive.event_objects_stored, comparison.improved.event_objects_stored]
        bars = bx.bar([0, 1], [max(v, objects_floor * 1.01) for v in values],
                      color=[style.NAIVE, style.IMPROVED], width=0.7,
                      bottom=OBJECTS_RANGE[0] / 2)
        out.append(bars)
        out += bx.bar_label(bars, labels=[_si(v) for v in values], fontsize=FONT)
        return out


_MARKERS = {"POST": ("o", "POST: new object", -0.25), "PATCH": ("s", "PATCH", 0.0),
            "SKIP": ("x", "dropped (spam filter)", 0.25),
            "CACHE": ("|", "client cache only", 0.25),
            "DROP": ("X", "dropped (queue full)", 0.25)}


def plot_toy(sims: list, fig: Any, until_s: float | None = None) -> None:
    """Toy scale: one hot object's occurrences (what became of each) and every request,
    one panel per version, one row per reason; within a row, new objects sit above, PATCHes in
    the middle, and events that sent nothing below. Requests made by the new API's tickers
    (heartbeat, close) are marked where they happen. One legend, under the panels, says what
    each marker means (the panels' colours say which version)."""
    from kscale_lab.events import EventsModel

    labels = {v.side: v.label for v in EventsModel.versions}
    axes = fig.subplots(len(sims), 1, sharex=True, squeeze=False)[:, 0]
    until = until_s or max(s.horizon_s for s in sims)
    shown: set[str] = set()
    tickers = False
    for ax, sim in zip(axes, sims):
        colour = style.colour(sim.version)
        reasons = sorted({m.reason for m in sim.marks})
        rows = {r: i for i, r in enumerate(reasons)}
        for what, (marker, _label, dy) in _MARKERS.items():
            ms = [m for m in sim.marks if m.what == what and m.t_s <= until]
            if ms:
                shown.add(what)
                ax.scatter([m.t_s / 60 for m in ms], [rows[m.reason] + dy for m in ms],
                           marker=marker, s=16 if marker != "|" else 40,
                           color=colour if what not in ("SKIP", "DROP") else style.LIMIT,
                           linewidths=1.2)
        for call in sim.calls:
            if call.why in ("heartbeat", "close") and call.t_s <= until:
                tickers = True
                ax.axvline(call.t_s / 60, color=colour, lw=0.8, ls="--")
                ax.text(call.t_s / 60, -0.45 if call.why == "heartbeat" else len(reasons) - 0.6,
                        f" {call.why} PATCH", fontsize=FONT, color=colour, va="center")
        ax.set_yticks(range(len(reasons)), reasons)
        ax.set_ylim(len(reasons) - 0.4, -0.6)
        ax.set_title(f"{labels[sim.version]}: {sim.posts} POST, {sim.patches} PATCH",
                     color=colour, loc="left")
    axes[-1].set_xlabel("time (min)")
    axes[-1].set_xlim(0, until / 60)
    handles = [Line2D([], [], ls="none", marker=_MARKERS[what][0], color=style.LIMIT,
                      markersize=7 if _MARKERS[what][0] != "|" else 10, label=_MARKERS[what][1])
               for what in _MARKERS if what in shown]
    if tickers:
        handles.append(Line2D([], [], color=style.LIMIT, lw=0.8, ls="--",
                              label="ticker PATCH (series)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3)


def plot_threshold_sweep(nodes: Any, sweeps: dict, fig: Any) -> None:
    """Event objects stored at the end of the run against the cluster size, both versions,
    one line style per sweep (``{label: (comparisons, linestyle)}``), with the
    1,000,000-Event threshold. The legend sits under the axes."""
    from kscale_lab.events import THRESHOLD_EVENTS, EventsModel

    ax = fig.subplots()
    for comparisons, ls in sweeps.values():
        for version in EventsModel.versions:
            ax.plot(nodes, [c.outcome(version).event_objects_stored for c in comparisons],
                    ls=ls, marker="o", ms=2.5, color=style.colour(version))
    # Colour says the version, line style the workload: four short entries, not one per line.
    handles = [Line2D([], [], color=style.colour(v), label=v.label)
               for v in EventsModel.versions]
    handles += [Line2D([], [], color=style.LIMIT, ls=ls, label=label)
                for label, (_comparisons, ls) in sweeps.items()]
    ax.axhline(THRESHOLD_EVENTS, color=style.LIMIT, ls=":", lw=1)
    ax.text(nodes[0], THRESHOLD_EVENTS, " threshold: 1,000,000 Events", va="bottom",
            fontsize=FONT, color=style.LIMIT)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(_si))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _p: _si(v) if str(int(v))[0] in "25"
                                               else ""))
    ax.xaxis.set_major_formatter(FuncFormatter(_si))
    ax.set_xlabel("nodes")
    ax.set_ylabel("Event objects stored after 1 h")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
