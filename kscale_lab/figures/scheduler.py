"""Chapter 5's figures: the loop's throughput against #nodes with the client limit, and p99
latency against the SLO; the fix-by-fix sweep of the chapter."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.scheduler.model import NAIVE_RELEASE, TALK
from kscale_lab.scheduler.queue import POD_STARTUP_SLO_S, SLO_MAX_CHURN_PODS_PER_S
from kscale_lab.units import human_seconds

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
    scheduling latency against the 5 s pod startup SLO."""

    @classmethod
    def layout_key(cls, dims: Any) -> Any:
        return (dims.version,)

    def layout(self, dims: Any) -> None:
        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.1, 1])
        ax, bx = self.ax, self.bx
        talk_markers(ax)
        ax.axvline(5000, color=style.LIMIT, lw=0.8, ls=":")
        ax.text(5000, RATE_RANGE[1] / 3, "5,000 ", ha="right", va="top", fontsize=8,
                color=style.LIMIT)
        rate_axis(ax)
        ax.set_title(" ", fontsize=10)
        handles = [Line2D([], [], color=style.NAIVE, label=f"{NAIVE_RELEASE} loop"),
                   Line2D([], [], color=style.IMPROVED, label=f"{dims.version} loop"),
                   Line2D([], [], color=style.LIMIT, ls="-.", lw=1,
                          label="client limit (--kube-api-qps)"),
                   Line2D([], [], color=style.NEUTRAL, ls="--", lw=1, label="arrivals"),
                   Line2D([], [], marker="s", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                          ls="none", label="talk (30 pods/node)"),
                   Line2D([], [], marker="v", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                          ls="none", label="talk: < 5 pods/min, anti-aff.")]
        ax.legend(handles=handles, loc="lower left", fontsize=7.5, ncols=2)
        bx.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
        bx.text(1.45, POD_STARTUP_SLO_S * 1.15, "5 s SLO", ha="right", fontsize=8,
                color=style.LIMIT)
        bx.set_yscale("log")
        bx.yaxis.set_minor_locator(NullLocator())
        ticks = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000]
        bx.set_yticks(ticks, ["1 ms", "10 ms", "0.1 s", "1 s", "10 s", "100 s", "1,000 s"])
        bx.set_ylim(1e-3, LATENCY_TOP_S * 10)
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], [NAIVE_RELEASE, dims.version])
        bx.set_ylabel("p99 scheduling latency")
        bx.set_title(" ", fontsize=10)

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
                           f"arrivals {rate_label(d.arrival_rate)} pods/s", fontsize=8,
                           color=style.NEUTRAL))
        aff = (f"{d.anti_affinity_fraction:.0%} {d.anti_affinity_kind} anti-affinity"
               if d.anti_affinity_fraction else "no anti-affinity")
        out.append(ax.text(0.5, 1.02, f"{d.pods_per_node} pods/node, {aff}, "
                           f"limit {d.kube_api_qps} req/s", transform=ax.transAxes,
                           ha="center", va="bottom", fontsize=9.5))
        values = [outcome.p99_scheduling_latency_s for _, outcome in comparison]
        heights = [v if v is not None else LATENCY_TOP_S for v in values]
        bars = bx.bar([0, 1], heights, color=[style.NAIVE, style.IMPROVED],
                      hatch=["//" if v is None else "" for v in values], alpha=0.9,
                      bottom=1e-3)
        out.append(bars)
        out += bx.bar_label(bars, labels=["unbounded" if v is None else human_seconds(v)
                                          for v in values], fontsize=9)
        judged = d.arrival_rate <= SLO_MAX_CHURN_PODS_PER_S
        out.append(bx.text(0.5, 1.02, f"at {rate_label(d.arrival_rate)} pods/s"
                           + ("" if judged else " (> 20: SLO not judged)"),
                           transform=bx.transAxes, ha="center", va="bottom", fontsize=9.5))
        return out


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
        ax.set_title(titles[panel], fontsize=10)
        ax.legend(loc="lower left", fontsize=7.5, ncols=2)
    axes[1].set_ylabel("")


def _shades(k: int) -> list:
    """``k`` colours from the naive orange to the improved teal."""
    from matplotlib.colors import to_rgb

    a, b = np.array(to_rgb(style.NAIVE)), np.array(to_rgb(style.IMPROVED))
    return [tuple(a + (b - a) * i / max(1, k - 1)) for i in range(k)]
