"""Chapter 5's figures: the loop's throughput against #nodes with the client limit, and p99
latency against the SLO; the fix-by-fix sweep of the chapter."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure, keep_out_of_layout
from kscale_lab.scheduler.model import NAIVE_RELEASE, TALK
from kscale_lab.scheduler.queue import POD_STARTUP_SLO_S, SLO_MAX_CHURN_PODS_PER_S
from kscale_lab.units import human_seconds

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

LATENCY_TOP_S = 2e3        # an unbounded latency is drawn as a hatched bar this tall
#: The throughput axis: from the slowest the sliders allow (1.10, 15,000 nodes × 500 pods,
#: every deployment anti-affine: about 10⁻⁴ pods/s) to above the fastest (about 1,000 pods/s).
RATE_RANGE = (1e-5, 1e4)


def rate_label(v: float, _pos: Any = None) -> str:
    """``1,234`` pods/s, or two significant digits below one."""
    if v >= 1:
        return f"{v:,.0f}"
    if v < 1e-3:
        return f"1e{round(np.log10(v))}"
    return f"{v:.2g}"


def talk_markers(ax: Any) -> None:
    """The talk's three numbers as open markers (static)."""
    ax.plot([2000, 5000], [TALK["naive_2000"], TALK["naive_5000"]], "s", mfc="none",
            mec=style.LIMIT, ms=9, mew=1.5)
    ax.plot([5000], [TALK["naive_5000_anti_affinity"]], "v", mfc="none", mec=style.LIMIT,
            ms=9, mew=1.5)


def rate_axis(ax: Any, lo: float = RATE_RANGE[0], hi: float = RATE_RANGE[1]) -> None:
    """Log–log throughput against nodes, fixed limits and decade ticks."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_locator(NullLocator())
    ax.set_xlim(0.8, 2e4)
    ax.set_xticks([1, 10, 100, 1000, 10000], ["1", "10", "100", "1,000", "10,000"])
    decades = [10.0 ** k for k in range(int(np.log10(lo)), int(np.log10(hi)) + 1)]
    ax.yaxis.set_major_locator(FixedLocator(decades))
    ax.set_ylim(lo, hi)
    ax.yaxis.set_major_formatter(FuncFormatter(rate_label))
    ax.set_xlabel("nodes")
    ax.set_ylabel("throughput (pods/s)")


class SchedulerFigure(ChapterFigure):
    """Left: what the scheduling loop can place per second against #nodes — 1.10 and the
    chosen release — with the client's limit, the arrival rate and the talk's points; dots
    mark the throughput at the chosen size (the lesser of loop and limit). Right: p99
    scheduling latency against the 5 s pod startup SLO. The legend sits under the figure,
    off the data."""

    height_in = 4.6
    alt = ("Left, on log-log axes: what each scheduling loop can place per second against "
           "the number of nodes, from 1 to 15,000, the 1.10 scheduler in orange and the "
           "chosen release (1.14 by default) in teal, with a dash-dotted line at the client "
           "limit (50 requests/s by default), a dashed line at the arrival rate (20 pods/s by "
           "default), the talk's numbers as open markers (about 90 and 30 pods/s at 2,000 "
           "and 5,000 nodes; under 5 pods/min with anti-affinity), and a dotted line at "
           "5,000 nodes. Both loops start near 1,000 pods/s in small clusters; 1.10 falls as "
           "the nodes grow, to under 50 pods/s at 5,000 nodes, while 1.14 dips and then "
           "rises again between 3,125 and 5,625 nodes and stays in the hundreds. Dots mark "
           "the throughput at the chosen size, the lesser of loop and limit. Right, bars on "
           "a log scale: each scheduler's p99 scheduling latency at the arrival rate against "
           "a dashed line at the 5-second pod-startup SLO; a hatched bar means the backlog "
           "grows without bound.")

    @classmethod
    def layout_key(cls, dims: Any) -> Any:
        return (dims.version,)

    def layout(self, dims: Any) -> None:
        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.1, 1])
        ax, bx = self.ax, self.bx
        talk_markers(ax)
        ax.axvline(5000, color=style.LIMIT, lw=0.8, ls=":")
        ax.text(5000, RATE_RANGE[1] / 3, "5,000 ", ha="right", va="top", fontsize=FONT,
                color=style.LIMIT)
        rate_axis(ax)
        ax.set_title(" ", fontsize=FONT)
        handles = [Line2D([], [], color=style.NAIVE, label=f"{NAIVE_RELEASE} loop"),
                   Line2D([], [], color=style.IMPROVED, label=f"{dims.version} loop"),
                   Line2D([], [], color=style.LIMIT, ls="-.", lw=1,
                          label="client limit (--kube-api-qps)"),
                   Line2D([], [], color=style.NEUTRAL, ls="--", lw=1, label="arrivals"),
                   Line2D([], [], marker="s", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                          ls="none", label="talk (30 pods/node)"),
                   Line2D([], [], marker="v", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                          ls="none", label="talk: < 5 pods/min, anti-aff.")]
        # Under the panels, off the data.
        self.fig.legend(handles=handles, loc="outside lower center", fontsize=FONT, ncols=3)
        bx.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
        bx.text(1.45, POD_STARTUP_SLO_S * 1.15, "5 s SLO", ha="right", fontsize=FONT,
                color=style.LIMIT)
        bx.set_yscale("log")
        bx.yaxis.set_minor_locator(NullLocator())
        ticks = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000]
        bx.set_yticks(ticks, ["1 ms", "10 ms", "0.1 s", "1 s", "10 s", "100 s", "1,000 s"])
        bx.set_ylim(1e-3, LATENCY_TOP_S * 10)
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], [NAIVE_RELEASE, dims.version])
        bx.set_ylabel("p99 scheduling latency")
        bx.set_title(" \n ", fontsize=FONT)      # room for two lines drawn with the data

    def draw(self, comparison: Any) -> list:
        d = comparison.dimensions
        ax, bx = self.ax, self.bx
        out: list = []
        for version, outcome in comparison:
            colour = style.colour(version)
            out += ax.plot(outcome.curve["nodes"], outcome.curve["cycle_pods_per_s"],
                           color=colour)
            out += ax.plot(d.nodes, outcome.pods_per_s, "o", color=colour, ms=7)
        out.append(ax.axhline(d.kube_api_qps, color=style.LIMIT, ls="-.", lw=1))
        out.append(ax.axhline(d.arrival_rate, color=style.NEUTRAL, ls="--", lw=1))
        out.append(ax.text(1.0, d.arrival_rate * 1.15,
                           f"arrivals {rate_label(d.arrival_rate)} pods/s", fontsize=FONT,
                           color=style.NEUTRAL))
        aff = (f"{d.anti_affinity_fraction:.0%} {d.anti_affinity_kind} anti-affinity"
               if d.anti_affinity_fraction else "no anti-affinity")
        out.append(ax.text(0.5, 1.02, f"{d.pods_per_node} pods/node, {aff}, "
                           f"limit {d.kube_api_qps} req/s", transform=ax.transAxes,
                           ha="center", va="bottom", fontsize=FONT))
        values = [outcome.p99_scheduling_latency_s for _, outcome in comparison]
        heights = [v if v is not None else LATENCY_TOP_S for v in values]
        bars = bx.bar([0, 1], heights, color=[style.NAIVE, style.IMPROVED],
                      hatch=["//" if v is None else "" for v in values], alpha=0.9,
                      bottom=1e-3)
        out.append(bars)
        out += bx.bar_label(bars, labels=["unbounded" if v is None else human_seconds(v)
                                          for v in values], fontsize=FONT)
        judged = d.arrival_rate <= SLO_MAX_CHURN_PODS_PER_S
        out.append(bx.text(1.0, 1.02, f"at {rate_label(d.arrival_rate)} pods/s"  # inside
                           + ("" if judged else "\n(> 20: SLO not judged)"),         # the figure
                           transform=bx.transAxes, ha="right", va="bottom",
                           multialignment="right", fontsize=FONT))
        return keep_out_of_layout(out)


def plot_fixes(fig: Any, curves: dict[str, np.ndarray], nodes: np.ndarray,
               titles: tuple[str, str], qps: float | None = None) -> None:
    """The chapter's fix-by-fix figure: one panel per workload (``curves`` maps
    ``(panel, release)`` to the loop's pods/s over ``nodes``), each release in its own
    shade from 1.10 (orange) to the latest (teal), the talk's numbers as open markers."""
    releases = sorted({r for _, r in curves}, key=lambda r: int(r.split(".")[1]))
    shades = dict(zip(releases, _shades(len(releases))))
    axes = fig.subplots(1, 2, sharey=True)
    for panel, ax in enumerate(axes):
        for r in releases:
            if (panel, r) in curves:
                ax.plot(nodes, curves[(panel, r)], color=shades[r], label=r, lw=1.6)
        if panel == 0:
            ax.plot([2000, 5000], [TALK["naive_2000"], TALK["naive_5000"]], "s", mfc="none",
                    mec=style.LIMIT, ms=9, mew=1.5, label="the talk")
        else:
            ax.plot([5000], [TALK["naive_5000_anti_affinity"]], "v", mfc="none",
                    mec=style.LIMIT, ms=9, mew=1.5, label="the talk: < 5 pods/min")
        if qps is not None:
            ax.axhline(qps, color=style.LIMIT, ls="-.", lw=1)
        rate_axis(ax, 1e-4, 3e3)
        ax.set_title(titles[panel], fontsize=FONT)
    axes[1].set_ylabel("")
    handles = [Line2D([], [], color=shades[r], lw=1.6, label=r) for r in releases]
    handles += [Line2D([], [], ls="none", marker="s", mfc="none", mec=style.LIMIT, ms=9,
                       mew=1.5, label="the talk"),
                Line2D([], [], ls="none", marker="v", mfc="none", mec=style.LIMIT, ms=9,
                       mew=1.5, label="the talk: < 5 pods/min")]
    if qps is not None:
        handles.append(Line2D([], [], color=style.LIMIT, ls="-.", lw=1,
                              label=f"client limit ({qps:g} req/s)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=FONT)


def _shades(k: int) -> list:
    """``k`` colours from the naive orange to the improved teal."""
    from matplotlib.colors import to_rgb

    a, b = np.array(to_rgb(style.NAIVE)), np.array(to_rgb(style.IMPROVED))
    return [tuple(a + (b - a) * i / max(1, k - 1)) for i in range(k)]


def plot_queue(fig: Any, arrival_s: np.ndarray,
               lines: list[tuple[str, str, np.ndarray]]) -> None:
    """The scheduling queue pod by pod: each pod's scheduling latency (log scale) against
    its arrival time, one line per ``(label, colour, latency_s)``, and the 5 s pod-startup
    SLO dashed. The legend sits under the axes, off the data."""
    ax = fig.subplots()
    for label, colour, latency_s in lines:
        ax.plot(arrival_s, latency_s, color=colour, label=label)
    ax.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
    ax.text(0, POD_STARTUP_SLO_S, " 5 s pod startup SLO", va="bottom", fontsize=FONT,
            color=style.LIMIT)
    ax.set_yscale("log")
    ax.set_xlabel("arrival time of the pod (s)")
    ax.set_ylabel("scheduling latency (s)")
    fig.legend(loc="outside lower center", ncols=1, fontsize=FONT)


def plot_churn(fig: Any, rates: np.ndarray,
               lines: list[tuple[str, str, str, list[float | None]]], title: str = "") -> None:
    """p99 scheduling latency against the pod arrival rate (log-log), one line per
    ``(label, colour, linestyle, p99_s)`` (``None``: the backlog grows without bound, so the
    line ends), the 5 s SLO dashed and the churn beyond the SLO's condition shaded. The
    legend sits under the axes, off the data."""
    ax = fig.subplots()
    for label, colour, ls, p99 in lines:
        ax.plot(rates, [np.nan if p is None else p for p in p99], ls=ls, color=colour,
                label=label)
    ax.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
    ax.axvspan(SLO_MAX_CHURN_PODS_PER_S, 1000, color=style.LIMIT, alpha=0.08, lw=0)
    ax.text(SLO_MAX_CHURN_PODS_PER_S * 1.1, 200,      # above the data, which ends lower
            f"churn > {SLO_MAX_CHURN_PODS_PER_S:g} pods/s:\nSLO not judged", fontsize=FONT,
            color=style.LIMIT, va="top")
    ax.text(1, POD_STARTUP_SLO_S, " 5 s SLO", va="bottom", fontsize=FONT, color=style.LIMIT)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks([1, 10, 100, 1000], ["1", "10", "100", "1,000"])
    ax.set_yticks([1e-3, 1e-2, 0.1, 1, 10, 100],
                  ["1 ms", "10 ms", "0.1 s", "1 s", "10 s", "100 s"])
    ax.set_ylim(1e-3, 300)
    ax.set_xlim(1, 1000)
    ax.set_xlabel("pod arrival rate (pods/s)")
    ax.set_ylabel("p99 scheduling latency")
    ax.set_title(title, fontsize=FONT)
    fig.legend(loc="outside lower center", ncols=2, fontsize=FONT)
