"""Chapter 9's figures: ranked headroom and the load by chapter; releases swept; the toy run."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.units import human_bytes

FONT = style.MIN_FONT_PT
#: The headroom axis: every ratio is drawn within it (smaller ones at its left edge, larger
#: ones at its right edge with an arrow), so two slider positions compare by eye.
RATIO_RANGE = (1e-3, 1e3)
#: The chapters that put load on the control plane, in chapter order, with their colours
#: (none of them the versions' orange or teal).
SOURCES = {"heartbeats": "#1f78b4", "secrets": "#6a3d9a", "scheduler": "#b15928",
           "events": "#e7298a", "watch": "#a6761d", "endpoints": "#e6ab02"}
#: The load chart's rows: (label, what of an ApiLoad, unit).
LOAD_ROWS = (("requests", lambda ld: ld.requests_per_s, "req/s"),
             ("etcd writes", lambda ld: ld.etcd_write_bytes_per_s, "B/s"),
             ("watch bytes", lambda ld: ld.watch_bytes_per_s, "B/s"))
LABELS = {"envelope": "1 envelope", "heartbeats": "2 heartbeats", "secrets": "3 secrets",
          "kube-proxy": "4 kube-proxy", "scheduler": "5 scheduler", "events": "6 events",
          "watch": "7 watch", "endpoints": "8 endpoints", "priority": "8 seats/APF"}


def _ratio_text(r: float) -> str:
    if r == 0:
        return "no limit"
    if r >= 100:
        return f"{r:,.0f}×"
    return f"{r:.2g}×" if r < 10 else f"{r:.1f}×"


def _amount(value: float, unit: str) -> str:
    if unit == "B/s":
        return human_bytes(value) + "/s"
    return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.3g} {unit}"


class CapstoneFigure(ChapterFigure):
    """Top: every chapter's headroom — its load or delay over the limit that breaks it, on a
    logarithmic axis from 0.001 to 1,000 with the limit at 1 — ranked from the most broken,
    for your release (orange, its ratio written beside it) and today's (teal). Bottom: the load
    each chapter's clients put on the apiserver and etcd (requests per second, etcd write
    bytes, watch bytes), as shares of the total, which is written at the end of each bar."""

    height_in = 6.4

    def layout(self, dims: Any) -> None:
        from kscale_lab.capstone import CapstoneModel

        grid = self.fig.add_gridspec(2, 2, height_ratios=[3.3, 2.1], width_ratios=[1, 4.2])
        self.names = self.fig.add_subplot(grid[0, 0])
        self.ax = self.fig.add_subplot(grid[0, 1])
        self.bx = self.fig.add_subplot(grid[1, :])
        rows = len(LABELS)
        names, ax, bx = self.names, self.ax, self.bx
        names.set_xlim(0, 1)
        names.set_ylim(rows - 0.5, -1.0)
        names.axis("off")
        ax.set_xscale("log")
        ax.set_xlim(*RATIO_RANGE)
        ax.set_ylim(rows - 0.5, -1.0)           # a header row for the limit's label
        ax.xaxis.set_major_locator(FixedLocator([1e-3, 1e-2, 0.1, 1, 10, 100, 1000]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_yticks([])
        ax.grid(axis="y", visible=False)
        ax.axvspan(1, RATIO_RANGE[1], color=style.NAIVE, alpha=0.06, lw=0)
        ax.axvline(1, color=style.LIMIT, lw=1.2, ls="--")
        ax.text(1.08, -0.72, "limit: broken beyond", color=style.LIMIT, fontsize=FONT,
                va="center")
        ax.set_xlabel("load or delay ÷ its limit (above 1: broken)")
        ax.set_title(" ")
        handles = [Patch(color=style.colour(v), label=v.label) for v in CapstoneModel.versions]
        handles.append(Patch(facecolor="white", edgecolor=style.LIMIT, hatch="//",
                             label="envelope: thresholds"))
        labels = []
        for row, _, _ in LOAD_ROWS:
            labels += [f"{row} · yours", f"{row} · today"]
        bx.set_xlim(0, 1.3)
        bx.set_ylim(len(labels) - 0.5, -0.5)
        bx.set_yticks(range(len(labels)), labels)
        bx.xaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
        bx.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        bx.grid(axis="y", visible=False)
        bx.set_xlabel("share of the load by chapter; the total at the right")
        handles += [Patch(color=c, label=k) for k, c in SOURCES.items()]
        bx.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.45, -0.3), ncols=3,
                  fontsize=FONT, handlelength=1.0, columnspacing=0.9)

    def draw(self, comparison: Any) -> list:
        naive, improved = comparison.naive, comparison.improved
        order = [h.key for h in naive.ranked()]
        ax, bx, names = self.ax, self.bx, self.names
        lo, hi = RATIO_RANGE
        out: list = []
        plain, hatched = [], []
        colours_plain, colours_hatched = [], []
        for outcome, colour, dy in ((naive, style.NAIVE, -0.2), (improved, style.IMPROVED, 0.2)):
            for y, key in enumerate(order):
                r = outcome.headroom[key]
                shown = min(max(r, lo), hi) if r > 0 else lo
                box = _rectangle(lo, y + dy - 0.19, shown, y + dy + 0.19)
                (hatched if key == "envelope" else plain).append(box)
                (colours_hatched if key == "envelope" else colours_plain).append(colour)
        out.append(_boxes(ax, plain, colours_plain))
        out.append(_boxes(ax, hatched, colours_hatched, hatch="//"))
        for y, key in enumerate(order):
            a = naive.headroom[key]
            edge = max(min(a, hi), lo)
            text = ("▶ " if a > hi else "") + _ratio_text(a)
            out.append(ax.text(edge * 1.25, y - 0.2, text, va="center", fontsize=FONT,
                               color=style.NAIVE))
            broken = a > 1 and key != "envelope"
            out.append(names.text(1.0, y, LABELS[key], ha="right", va="center", fontsize=FONT,
                                  fontweight="bold" if broken else "normal"))
        first = naive.first_bottleneck or "nothing"
        today = improved.first_bottleneck or "nothing"
        out.append(ax.text(0.4, 1.02, f"first: {first} ({naive.release}), {today} "
                           f"({improved.release})", transform=ax.transAxes, ha="center",
                           va="bottom", fontsize=FONT + 1))
        out += self._draw_load(bx, naive, improved)
        return out

    @staticmethod
    def _draw_load(bx: Any, naive: Any, improved: Any) -> list:
        out: list = []
        rows = []
        for _, get, unit in LOAD_ROWS:
            for outcome in (naive, improved):
                values = {k: get(outcome.loads[k]) for k in SOURCES}
                rows.append((values, sum(values.values()), unit))
        boxes, colours = [], []
        for i, (values, total, unit) in enumerate(rows):
            left = 0.0
            for key, colour in SOURCES.items():
                share = values[key] / total if total else 0.0
                if share > 0:
                    boxes.append(_rectangle(left, i - 0.35, left + share, i + 0.35))
                    colours.append(colour)
                left += share
            out.append(bx.text(1.02, i, _amount(total, unit), va="center", fontsize=FONT))
        out.append(_boxes(bx, boxes, colours))
        return out


def _rectangle(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]


def _boxes(ax: Any, boxes: list, colours: list, hatch: str | None = None) -> Any:
    """All of ``boxes`` as one collection: one artist to add, draw and remove, however many
    bars (far cheaper than a Rectangle each, which is what keeps the explorer fast)."""
    from matplotlib.collections import PolyCollection

    coll = PolyCollection(boxes, facecolors=colours, edgecolors="white" if hatch else "none",
                          linewidths=0, hatch=hatch)
    ax.add_collection(coll, autolim=False)
    return coll


def plot_releases(outcomes: dict, fig: Any, keys: tuple[str, ...] | None = None) -> Any:
    """One cluster on each release: every mechanism's headroom ratio (log scale) against the
    release, the limit at 1; a marker where each first falls below it.

    ``outcomes`` is :func:`kscale_lab.capstone.tour.over_releases`'s dict (release →
    outcome); ``keys`` limits the lines drawn (default: every mechanism).
    """
    from kscale_lab.capstone.headroom import MECHANISMS

    keys = keys or MECHANISMS
    releases = list(outcomes)
    x = np.arange(len(releases))
    ax = fig.subplots()
    colours = {**SOURCES, "kube-proxy": "#1b1b1b", "priority": "#7570b3"}
    lo, hi = RATIO_RANGE
    for key in keys:
        r = np.array([outcomes[v].headroom[key] for v in releases])
        shown = np.clip(np.where(r > 0, r, lo), lo, hi)
        ax.plot(x, shown, marker="o", ms=4, color=colours[key], label=LABELS[key])
    ax.axhline(1, color=style.LIMIT, ls="--", lw=1.2)
    ax.axhspan(1, hi, color=style.NAIVE, alpha=0.06, lw=0)
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    ax.set_xlim(-0.5, len(releases) - 0.5)
    ax.set_xticks(x, releases, rotation=60, ha="right")
    ax.set_ylabel("load ÷ limit (above 1: broken)")
    ax.set_xlabel("Kubernetes release")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncols=4, fontsize=FONT)
    return ax


def plot_toy(runs: list, fig: Any) -> Any:
    """The toy cluster's requests per second by chapter, minute by minute, for each run
    (stacked), and etcd's database against its quota, with NOSPACE marked."""
    axes = fig.subplots(len(runs), 2, squeeze=False, width_ratios=[2.2, 1])
    for (ax, bx), run in zip(axes, runs):
        colour = style.colour(run.side)
        t = run.bins_s / 60
        bottom = np.zeros(len(t))
        for key, c in SOURCES.items():
            rate = run.requests_per_s.get(key)
            if rate is None or not rate.any():
                continue
            ax.bar(t, rate, bottom=bottom, width=(t[1] - t[0]) if len(t) > 1 else 1,
                   align="edge", color=c, lw=0, label=key)
            bottom += rate
        if run.nospace_at_s is not None:
            ax.axvline(run.nospace_at_s / 60, color=style.LIMIT, lw=1.2)
            ax.text(run.nospace_at_s / 60, bottom.max() * 1.02 if bottom.any() else 1,
                    " NOSPACE", color=style.LIMIT, fontsize=FONT, va="bottom")
        ax.set_ylabel("requests/s")
        ax.set_title(f"{run.release} ({run.side})", color=colour, loc="left")
        ax.set_xlim(0, run.horizon_s / 60)
        bx.plot(run.etcd_t_s / 60, run.etcd_db_bytes, color=colour)
        bx.axhline(run.quota_bytes, color=style.LIMIT, ls="--", lw=1)
        bx.set_ylim(0, run.quota_bytes * 1.2)
        bx.set_xlim(0, run.horizon_s / 60)
        style.bytes_axis(bx)
        bx.set_title("etcd database", loc="left")
    axes[-1, 0].set_xlabel("time (min)")
    axes[-1, 1].set_xlabel("time (min)")
    handles = [Patch(color=c, label=k) for k, c in SOURCES.items()]
    handles.append(Line2D([], [], color=style.LIMIT, ls="--", label="quota"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=FONT)
    return axes
