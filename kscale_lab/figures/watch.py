"""Chapter 7's figures: the restart cost per second, the toy timeline and the sweeps."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

from kscale_lab import style
from kscale_lab.figures import ChapterFigure

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


class WatchFigure(ChapterFigure):
    """Left: what restarts cost per second — events replayed through filters, objects read by
    relists — beside the useful work, the watch events sent; log scale, naive beside improved.
    Right: the share of restarts answered 410 Gone."""

    height_in = 3.6

    def layout(self, dims: Any) -> None:
        from kscale_lab.watch import WatchModel

        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[3, 1])
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
        ax.legend(handles=[Patch(color=style.colour(v), label=v.label)
                           for v in WatchModel.versions], loc="upper right", fontsize=8)
        bx.set_ylim(0, 1.12)
        bx.yaxis.set_major_formatter(PercentFormatter(1.0))
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], ["naive", "improved"])
        bx.set_title("restarts\nanswered 410")

    def draw(self, comparison: Any) -> list:
        d = comparison.dimensions
        ax, bx = self.ax, self.bx
        out: list = []
        x = np.arange(len(RATES))
        for k, (version, outcome) in enumerate(comparison):
            values = [getattr(outcome, name) for name, _ in RATES]
            bars = ax.bar(x + (k - 0.5) * 0.38, [max(v, RATE_RANGE[0]) for v in values],
                          width=0.36, color=style.colour(version), bottom=RATE_RANGE[0] / 2)
            out.append(bars)
            out += ax.bar_label(bars, labels=[_si(v) for v in values], fontsize=8)
        shares = [comparison.naive.too_old_share, comparison.improved.too_old_share]
        bars = bx.bar([0, 1], shares, color=[style.NAIVE, style.IMPROVED], width=0.7)
        out.append(bars)
        out += bx.bar_label(bars, labels=[f"{v:.1%}" if v >= 5e-4 else "≈0" if v else "0"
                                          for v in shares], fontsize=8)
        naive, improved = comparison.naive.init_events_per_s, comparison.improved.init_events_per_s
        cut = ("clients do not opt in to bookmarks: no change" if not d.bookmarks else
               f"bookmarks cut init events ×{naive / improved:,.3g}" if improved > 0 else
               "bookmarks leave nothing to replay")
        title = ax.text(0.0, 1.02, f"{d.watchers:,} watchers, selectivity {d.selectivity:.2g}, "
                        f"{d.events_per_s:,.4g} events/s, cache {d.watch_cache_capacity:,} "
                        f"events\n{cut}", transform=ax.transAxes, ha="left", va="bottom",
                        fontsize=9)
        title.set_in_layout(False)
        out.append(title)
        return out


# --- the toy timeline ----------------------------------------------------------------------------

def plot_timeline(sims: list, fig: Any, until_s: float = 600.0, rows: int | None = None) -> None:
    """Each reflector's life in the toy SimPy run, one row per reflector, one panel per version.

    Dots: events it matched (received). Ticks: a watch (re)opened, labelled with the events
    the server replayed through its filter (``+n``). Diamonds: bookmarks. Crosses: ``410
    Gone``; squares: the LIST that follows.
    """
    from kscale_lab.watch import WatchModel

    labels = {v.side: v.label for v in WatchModel.versions}
    axes = fig.subplots(len(sims), 1, sharex=True, squeeze=False)[:, 0]
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
                    ax.annotate(f"+{detail[1]}", (t, row), xytext=(2, 4),
                                textcoords="offset points", fontsize=7, color=colour)
                if kind != "EVENT":
                    previous = kind
        style_of = {"EVENT": dict(marker=".", s=18, color=style.LIMIT, label="matched event"),
                    "WATCH": dict(marker="|", s=160, color=colour, label="watch (re)opened"),
                    "BOOKMARK": dict(marker="D", s=22, color=colour, label="bookmark"),
                    "410": dict(marker="X", s=70, color="#c00000", label="410 Gone"),
                    "LIST": dict(marker="s", s=28, facecolors="none", edgecolors="#c00000",
                                 label="LIST")}
        for kind, points in marks.items():
            if points:
                t, r = zip(*points)
                ax.scatter(t, r, zorder=3, **style_of[kind])
        ax.set_yticks(range(len(traces)), [f"kubelet-{i}" for i in range(len(traces))])
        ax.set_ylim(len(traces) - 0.4, -0.7)
        ax.set_title(labels[sim.version], color=colour, loc="left")
        ax.legend(loc="upper right", ncols=5, fontsize=7, bbox_to_anchor=(1, 1.3),
                  markerscale=0.8)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, until_s)


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
    ax.set_xlabel("selectivity (share of events a watcher matches)")
    ax.set_ylabel("init events replayed per second")
    ax.legend(loc="lower left", fontsize=8)
    factor = np.divide(naive, improved, out=np.full_like(naive, np.nan), where=improved > 0)
    bx.plot(s, factor, color=style.NEUTRAL)
    bx.axhline(40, color=style.LIMIT, ls="--", lw=1)
    bx.text(s[0], 40, " the talk's ~40×", va="bottom", fontsize=8, color=style.LIMIT)
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("selectivity")
    bx.set_ylabel("naive ÷ improved")
    bx.set_title("the bookmark factor")
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
    ax.text(churns[-1], 40, "the talk's ~40× ", ha="right", va="bottom", fontsize=8,
            color=style.LIMIT)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("churn of the resource (events/s)")
    ax.set_ylabel("init events: naive ÷ improved")
    ax.legend(loc="upper right", fontsize=8)
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
    ax.legend(loc="lower left", fontsize=8)
    bx.set_yscale("log")
    bx.set_ylim(1e-3, None)
    bx.set_ylabel("objects read by relists per second")
    return out
