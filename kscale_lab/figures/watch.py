"""Chapter 7's figures: the restart cost per second, the toy timeline and the sweeps."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

from kscale_lab import style
from kscale_lab.figures import ChapterFigure, fitted_decades

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: The per-second panel's fixed range: from a hundredth of an event a second to ten billion
#: covers every slider position (at most 100,000 watchers restarting every 45 s, each
#: replaying up to a 1,000,000-event buffer).
RATE_RANGE = (1e-2, 1e10)
#: The quantities of the left panel: (outcome field, label).
RATES = (("init_events_per_s", "init events\nreplayed"),
         ("relist_objects_per_s", "objects read\nby relists"),
         ("watch_events_sent_per_s", "watch events\nsent"))


def _si(v: float) -> str:
    """A rate as a short label: 0, 0.05, 12, 3.4k, 56M, 2.1G."""
    if v < RATE_RANGE[0]:
        return "≈0" if v > 0 else "0"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def _selectivity(s: float) -> str:
    """A selectivity as a reader thinks of it: 1/5,000 rather than 0.0002."""
    n = 1 / s
    return f"1/{round(n):,}" if abs(n - round(n)) <= 1e-6 * n else f"{s:.2g}"


class WatchFigure(ChapterFigure):
    """Left: what watch restarts cost the apiserver per second, on a log scale, as pairs of
    bars (re-watch from the last event seen in orange, bookmarks in teal): the events replayed
    through watchers' filters, the objects read by relists, and, for comparison, the watch
    events actually sent. Right: the share of restarts answered 410 Gone."""

    height_in = 4.3

    def layout(self, dims: Any) -> None:
        from kscale_lab.watch import WatchModel

        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.5, 1])
        ax, bx = self.ax, self.bx
        ax.set_yscale("log")
        ax.set_ylim(*RATE_RANGE)
        ax.yaxis.set_major_locator(FixedLocator([10.0 ** k for k in range(-2, 11, 2)]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _si(v)))
        ax.set_xlim(-0.6, len(RATES) - 0.4)
        ax.set_xticks(range(len(RATES)), [label for _, label in RATES])
        ax.set_ylabel("per second")
        ax.set_title(" \n ")
        # Under the panel, off the data (the bars can reach the top of the axes).
        ax.legend(handles=[Patch(color=style.colour(v), label=v.label)
                           for v in WatchModel.versions], loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncols=1)
        bx.set_ylim(0, 1.12)
        bx.yaxis.set_major_formatter(PercentFormatter(1.0))
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], ["naive", "improved"])
        bx.set_ylabel("restarts answered 410")
        bx.set_title(" \n ")             # room for the data's title, which spans both panels

    def fit(self, comparison: Any) -> None:
        """The per-second axis on the decades the bars span, not the explorer's fixed
        0.01 … 1e10; bars of nothing (or ≈0) stand at its foot, labelled."""
        limits = fitted_decades([getattr(o, name) for _, o in comparison for name, _ in RATES],
                                floor=RATE_RANGE[0])
        self.ax.set_ylim(*limits)
        self.ax.yaxis.set_major_locator(FixedLocator(
            [10.0 ** k for k in range(round(np.log10(limits[0])),
                                      round(np.log10(limits[1])) + 1)]))

    def draw(self, comparison: Any) -> list:
        d = comparison.dimensions
        ax, bx = self.ax, self.bx
        floor = ax.get_ylim()[0]
        out: list = []
        x = np.arange(len(RATES))
        for k, (version, outcome) in enumerate(comparison):
            values = [getattr(outcome, name) for name, _ in RATES]
            bars = ax.bar(x + (k - 0.5) * 0.38, [max(v, floor) for v in values],
                          width=0.36, color=style.colour(version), bottom=RATE_RANGE[0] / 2)
            out.append(bars)
            out += ax.bar_label(bars, labels=[_si(v) for v in values], fontsize=FONT)
        shares = [comparison.naive.too_old_share, comparison.improved.too_old_share]
        bars = bx.bar([0, 1], shares, color=[style.NAIVE, style.IMPROVED], width=0.7)
        out.append(bars)
        out += bx.bar_label(bars, labels=[f"{v:.1%}" if v >= 5e-4 else "≈0" if v else "0"
                                          for v in shares], fontsize=FONT)
        naive, improved = comparison.naive.init_events_per_s, comparison.improved.init_events_per_s
        cut = ("clients do not opt in to bookmarks: no change" if not d.bookmarks else
               f"bookmarks cut init events ×{naive / improved:,.3g}" if improved > 0 else
               "bookmarks leave nothing to replay")
        title = ax.text(0.0, 1.02, f"{d.watchers:,} watchers, selectivity "
                        f"{_selectivity(d.selectivity)}, {d.events_per_s:,.4g} events/s, "
                        f"cache {d.watch_cache_capacity:,} events\n{cut}", transform=ax.transAxes,
                        ha="left", va="bottom", fontsize=FONT)
        title.set_in_layout(False)
        out.append(title)
        return out


# --- the toy timeline ----------------------------------------------------------------------------

def plot_timeline(sims: list, fig: Any, until_s: float = 600.0, rows: int | None = None) -> None:
    """Each reflector's life in the toy SimPy run, one row per reflector, one panel per version.

    Dots: events it matched (received). Ticks: a watch (re)opened, labelled with the events
    the server replayed through its filter (``+n``). Diamonds: bookmarks. Crosses: ``410
    Gone``; squares: the LIST that follows. One legend, under the panels, says what each
    marker means (the panels' colours say which version).
    """
    from matplotlib.lines import Line2D

    from kscale_lab.watch import WatchModel

    labels = {v.side: v.label for v in WatchModel.versions}
    axes = fig.subplots(len(sims), 1, sharex=True, squeeze=False)[:, 0]
    shown: set[str] = set()
    for ax, sim in zip(axes, sims):
        colour = style.colour(sim.version)
        traces = sim.traces if rows is None else sim.traces[:rows]
        marks: dict[str, list] = {k: [] for k in ("EVENT", "WATCH", "BOOKMARK", "410", "LIST")}
        for row, trace in enumerate(traces):
            previous = None
            for t, kind, detail in trace:
                if t > until_s:
                    break
                marks[kind].append((t, row))
                if kind == "WATCH" and previous != "LIST":   # a resume, not a watch after LIST
                    ax.annotate(f"+{detail[1]}", (t, row), xytext=(2, 3),
                                textcoords="offset points", fontsize=FONT, color=colour)
                if kind != "EVENT":
                    previous = kind
        for kind, points in marks.items():
            if points:
                shown.add(kind)
                t, r = zip(*points)
                ax.scatter(t, r, zorder=3, **_TIMELINE_MARKS[kind](colour))
        ax.set_yticks(range(len(traces)), [f"kubelet-{i}" for i in range(len(traces))])
        ax.set_ylim(len(traces) - 0.4, -0.8)
        ax.set_title(labels[sim.version], color=colour, loc="left")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, until_s)
    handles = []
    for kind in _TIMELINE_MARKS:
        if kind in shown:
            mark = _TIMELINE_MARKS[kind](style.LIMIT)
            face = mark.get("facecolors", mark.get("color"))
            handles.append(Line2D([], [], ls="none", marker=mark["marker"], label=mark["label"],
                                  markersize=8, markerfacecolor=face,
                                  markeredgecolor=mark.get("edgecolors", mark.get("color"))))
    fig.legend(handles=handles, loc="outside lower center", ncols=3)


def _timeline_mark(marker: str, size: float, label: str, colour: str | None = None,
                   hollow: bool = False) -> Any:
    def style_for(version_colour: str) -> dict:
        c = colour or version_colour
        if hollow:
            return dict(marker=marker, s=size, facecolors="none", edgecolors=c, label=label)
        return dict(marker=marker, s=size, color=c, label=label)
    return style_for


#: How each kind of moment is drawn, given the version's colour (some are always grey or red).
_TIMELINE_MARKS = {
    "EVENT": _timeline_mark(".", 18, "matched event", style.LIMIT),
    "WATCH": _timeline_mark("|", 160, "watch (re)opened, +n replayed"),
    "BOOKMARK": _timeline_mark("D", 22, "bookmark"),
    "410": _timeline_mark("X", 70, "410 Gone", "#c00000"),
    "LIST": _timeline_mark("s", 28, "LIST (relist)", "#c00000", hollow=True),
}


# --- sweeps -------------------------------------------------------------------------------------

def plot_selectivity_sweep(fig: Any, base: Any, selectivities: Any) -> dict:
    """Init events replayed per second against selectivity, without and with bookmarks (left,
    log-log), and the factor between them (right). Returns the sweep's numbers."""
    from kscale_lab.watch import WatchModel

    model = WatchModel()
    s = np.asarray(selectivities, dtype=float)
    runs = [model.compare(base.replace(selectivity=float(v))) for v in s]
    naive = np.array([c.naive.init_events_per_s for c in runs])
    improved = np.array([c.improved.init_events_per_s for c in runs])
    ax, bx = fig.subplots(1, 2)
    for version, ys in zip(model.versions, (naive, improved)):
        ax.plot(s, ys, color=style.colour(version), label=version.label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("selectivity (share of events\na watcher matches)")
    ax.set_ylabel("init events replayed per second")
    factor = np.divide(naive, improved, out=np.full_like(naive, np.nan), where=improved > 0)
    bx.plot(s, factor, color=style.NEUTRAL)
    bx.axhline(40, color=style.LIMIT, ls="--", lw=1)
    bx.text(s[0], 40, " the talk's ~40×", va="bottom", fontsize=FONT, color=style.LIMIT)
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("selectivity")
    bx.set_ylabel("naive ÷ improved")
    bx.set_title("the bookmark factor")
    fig.legend(handles=ax.get_lines()[:2], loc="outside lower center", ncols=2)
    return {"selectivity": s, "naive": naive, "improved": improved, "factor": factor}


def plot_factor_by_churn(fig: Any, base: Any, churns: Any, selectivities: Any) -> dict:
    """The bookmark factor against the resource's churn, one line per selectivity, with the
    talk's ~40× for reference. Returns ``{selectivity: factors}``."""
    from kscale_lab.watch import bookmark_factor

    ax = fig.subplots()
    out = {}
    colours = [style.NAIVE, style.NEUTRAL, style.IMPROVED, style.LIMIT]
    for colour, sel in zip(colours, selectivities):
        f = np.array([bookmark_factor(base.replace(selectivity=float(sel),
                                                   events_per_s=float(c))) for c in churns])
        out[float(sel)] = f
        ax.plot(churns, f, color=colour, label=f"selectivity 1/{round(1 / sel):,}")
    ax.axhline(40, color=style.LIMIT, ls="--", lw=1)
    ax.text(churns[-1], 40, "the talk's ~40× ", ha="right", va="bottom", fontsize=FONT,
            color=style.LIMIT)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("churn of the resource (events/s)")
    ax.set_ylabel("init events:\nnaive ÷ improved")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
    return out


def plot_cliff(fig: Any, base: Any, capacities: Any) -> dict:
    """As the watch cache shrinks: the share of restarts answered 410 (left) and the objects
    relists read per second (right), without and with bookmarks."""
    from kscale_lab.watch import WatchModel

    model = WatchModel()
    caps = np.asarray(capacities, dtype=int)
    runs = [model.compare(base.replace(watch_cache_capacity=int(c))) for c in caps]
    ax, bx = fig.subplots(1, 2)
    out = {}
    for version in model.versions:
        share = np.array([c.outcome(version).too_old_share for c in runs])
        objs = np.array([c.outcome(version).relist_objects_per_s for c in runs])
        out[version.side] = (share, objs)
        ax.plot(caps, share, color=style.colour(version), label=version.label)
        bx.plot(caps, np.maximum(objs, 1e-3), color=style.colour(version))
    for axis in (ax, bx):
        axis.set_xscale("log")
        axis.set_xlabel("watch cache capacity (events)")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel("restarts answered 410")
    fig.legend(handles=ax.get_lines()[:2], loc="outside lower center", ncols=2)
    bx.set_yscale("log")
    bx.set_ylim(1e-3, None)
    bx.set_ylabel("objects read by relists per second")
    return out
