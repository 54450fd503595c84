"""Chapter 5's figure: throughput against #nodes, and p99 latency against the SLO."""

from __future__ import annotations

from typing import Any

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.scheduler.model import TALK, SchedulerModel
from kscale_lab.scheduler.queue import POD_STARTUP_SLO_S
from kscale_lab.units import human_seconds

LATENCY_TOP_S = 2e3        # an unbounded latency is drawn as a hatched bar this tall


def rate_label(v: float, _pos: Any = None) -> str:
    """``1,234`` pods/s, or two significant digits below one."""
    if v >= 1:
        return f"{v:,.0f}"
    return f"{v:.2g}"


class SchedulerFigure(ChapterFigure):
    """Left: throughput against #nodes, both versions, with the talk's points and the
    arrival rate. Right: p99 scheduling latency against the 5 s pod startup SLO."""

    def layout(self, dims: Any) -> None:
        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.1, 1])
        ax, bx = self.ax, self.bx
        ax.plot([2000, 5000], [TALK["naive_2000"], TALK["naive_5000"]], "s", mfc="none",
                mec=style.LIMIT, ms=9, mew=1.5)
        ax.plot([5000], [TALK["naive_5000_anti_affinity"]], "v", mfc="none", mec=style.LIMIT,
                ms=9, mew=1.5)
        ax.axvline(5000, color=style.LIMIT, lw=0.8, ls=":")
        ax.text(5000, 2e-3, "5,000 ", ha="right", fontsize=8, color=style.LIMIT)
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_locator(NullLocator())
        ax.set_xlim(8, 2e4)
        ax.set_xticks([10, 100, 1000, 10000], ["10", "100", "1,000", "10,000"])
        ax.yaxis.set_major_locator(FixedLocator([1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4]))
        ax.set_ylim(1e-3, 1e6)
        ax.yaxis.set_major_formatter(FuncFormatter(rate_label))
        ax.set_xlabel("nodes")
        ax.set_ylabel("throughput (pods/s)")
        ax.set_title(" ", fontsize=10)
        handles = [Line2D([], [], color=style.colour(v), label=v.label)
                   for v in SchedulerModel.versions]
        handles += [Line2D([], [], marker="s", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                           ls="none", label="talk (no anti-affinity)"),
                    Line2D([], [], marker="v", mfc="none", mec=style.LIMIT, ms=9, mew=1.5,
                           ls="none", label="talk: < 5 pods/min, anti-affinity")]
        ax.legend(handles=handles, loc="upper right", fontsize=8, ncols=2)
        bx.axhline(POD_STARTUP_SLO_S, color=style.LIMIT, ls="--", lw=1)
        bx.text(1.45, POD_STARTUP_SLO_S * 1.15, "5 s SLO", ha="right", fontsize=8,
                color=style.LIMIT)
        bx.set_yscale("log")
        bx.yaxis.set_minor_locator(NullLocator())
        ticks = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000]
        bx.set_yticks(ticks, ["1 ms", "10 ms", "0.1 s", "1 s", "10 s", "100 s", "1,000 s"])
        bx.set_ylim(1e-3, LATENCY_TOP_S * 10)
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], ["naive", "improved"])
        bx.set_ylabel("p99 scheduling latency (s)")
        bx.set_title(" ", fontsize=10)

    def draw(self, comparison: Any) -> list:
        d = comparison.dimensions
        ax, bx = self.ax, self.bx
        out: list = []
        for version, outcome in comparison:
            colour = style.colour(version)
            out += ax.plot(outcome.curve["nodes"], outcome.curve["pods_per_s"], color=colour)
            out += ax.plot(d.nodes, outcome.pods_per_s, "o", color=colour, ms=7)
        out.append(ax.axhline(d.arrival_rate, color=style.NEUTRAL, ls="--", lw=1))
        out.append(ax.text(11, d.arrival_rate * 1.12,
                           f"arrivals {rate_label(d.arrival_rate)} pods/s", fontsize=8,
                           color=style.NEUTRAL))
        out.append(ax.text(0.5, 1.02, f"{d.pods_per_node} pods/node, anti-affinity "
                           f"{d.anti_affinity_fraction:.0%}", transform=ax.transAxes,
                           ha="center", va="bottom", fontsize=10))
        values = [outcome.p99_scheduling_latency_s for _, outcome in comparison]
        heights = [v if v is not None else LATENCY_TOP_S for v in values]
        bars = bx.bar([0, 1], heights, color=[style.NAIVE, style.IMPROVED],
                      hatch=["//" if v is None else "" for v in values], alpha=0.9,
                      bottom=1e-3)
        out.append(bars)
        out += bx.bar_label(bars, labels=["unbounded" if v is None else human_seconds(v)
                                          for v in values], fontsize=9)
        out.append(bx.text(0.5, 1.02, f"at {rate_label(d.arrival_rate)} pods/s",
                           transform=bx.transAxes, ha="center", va="bottom", fontsize=10))
        return out
