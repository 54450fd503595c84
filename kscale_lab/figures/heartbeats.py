"""Chapter 2's figures: etcd's database over time against the quota, and the toy timeline."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.units import human_bytes, human_seconds

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: The bandwidth panel's fixed range: from a few KiB/s to a GiB/s covers every cluster the
#: sliders allow, so bars can be compared across slider positions.
BANDWIDTH_RANGE = (1024.0, 4 * 1024.0**3)


def binary_locator(top_bytes: float) -> Any:
    """Ticks at a power-of-two number of bytes (512 MiB, 1 GiB …), about four to eight."""
    return MultipleLocator(2.0 ** math.floor(math.log2(max(top_bytes, 8.0) / 4)))


class HeartbeatsFigure(ChapterFigure):
    """Left: etcd's database file (thick) and bytes in use (thin) over the simulated time,
    against the quota, with NOSPACE marked. Right: each version's heartbeat write bandwidth
    on a fixed logarithmic scale."""

    height_in = 4.2

    @classmethod
    def layout_key(cls, dims: Any) -> Any:
        return (dims.quota_gib, dims.horizon_s)

    def layout(self, dims: Any) -> None:
        from kscale_lab.heartbeats import HeartbeatsModel

        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[2.2, 1])
        ax, bx = self.ax, self.bx
        top = dims.quota_bytes * 1.15
        ax.axhline(dims.quota_bytes, color=style.LIMIT, ls="--", lw=1)
        ax.text(dims.horizon_s / 60, dims.quota_bytes, "quota ", ha="right", va="bottom",
                fontsize=FONT, color=style.LIMIT)
        ax.set_xlabel("time (min)")
        ax.set_ylabel("etcd database size")
        style.bytes_axis(ax)
        ax.yaxis.set_major_locator(binary_locator(top))
        ax.set_ylim(0, top)
        ax.set_xlim(0, dims.horizon_s / 60)
        handles = [Line2D([], [], color=style.colour(v), label=v.label)
                   for v in HeartbeatsModel.versions]
        handles.append(Line2D([], [], color=style.LIMIT, lw=0.8, alpha=0.6,
                              label="thin: bytes in use"))
        # Under the panel, off the data (the curves can run anywhere in the axes).
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        bx.set_yscale("log")
        bx.set_ylim(*BANDWIDTH_RANGE)
        decades = [1024.0 ** k for k in range(1, 4)]
        bx.yaxis.set_major_locator(FixedLocator(decades))
        bx.yaxis.set_minor_locator(NullLocator())
        bx.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human_bytes(v) + "/s"))
        bx.set_xlim(-0.6, 1.6)
        bx.set_xticks([0, 1], ["naive", "improved"])
        bx.set_ylabel("etcd write bandwidth")
        bx.set_title("heartbeat writes")

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        ax, bx = self.ax, self.bx
        out: list = []
        for version, outcome in comparison:
            tl = outcome.timeline
            colour = style.colour(version)
            every = max(1, len(tl.t_s) // 2000)      # a screen has fewer pixels than steps
            t_min = tl.t_s[::every] / 60
            out += ax.plot(t_min, tl.db_size_bytes[::every], color=colour)
            out += ax.plot(t_min, tl.in_use_bytes[::every], color=colour, lw=0.8, alpha=0.6)
            if outcome.nospace_at_s is not None:
                out += ax.plot(outcome.nospace_at_s / 60, dims.quota_bytes, "X", ms=10,
                               color=colour)
                out.append(ax.annotate(
                    f"NOSPACE at {human_seconds(outcome.nospace_at_s)}",
                    (outcome.nospace_at_s / 60, dims.quota_bytes),
                    xytext=(6, -14 if version.is_naive else -28), textcoords="offset points",
                    fontsize=FONT, color=colour))
        out.append(ax.text(0.5, 1.02, f"{dims.nodes:,} nodes, {human_bytes(dims.node_bytes)} "
                           "Node objects", transform=ax.transAxes, ha="center", va="bottom",
                           fontsize=FONT + 1))
        values = [comparison.naive.etcd_write_bytes_per_s,
                  comparison.improved.etcd_write_bytes_per_s]
        bars = bx.bar([0, 1], values, color=[style.NAIVE, style.IMPROVED], width=0.7,
                      bottom=BANDWIDTH_RANGE[0] / 2)
        out.append(bars)
        out += bx.bar_label(bars, labels=[human_bytes(v) + "/s" for v in values], fontsize=FONT)
        return out


def plot_timeline(sims: list, fig: Any, nodes: int = 6, until_s: float = 180) -> None:
    """Toy-scale picture: every write of the first ``nodes`` nodes, one row per node.

    Marker area follows the object's size, so the Lease's few hundred bytes are specks beside
    the NodeStatus's ~20 KB. The failed node (node 0) and its NotReady mark are highlighted.
    """
    from kscale_lab.heartbeats import HeartbeatsModel

    labels = {v.side: v.label for v in HeartbeatsModel.versions}
    axes = fig.subplots(len(sims), 1, sharex=True, squeeze=False)[:, 0]
    for ax, sim in zip(axes, sims):
        side = getattr(sim.version, "side", sim.version)
        c = style.colour(side)
        for kind, marker in (("NodeStatus", "s"), ("Lease", "o")):
            ev = [w for w in sim.writes if w.kind == kind and w.node < nodes and w.t_s <= until_s]
            if ev:
                ax.scatter([w.t_s for w in ev], [w.node for w in ev], marker=marker, color=c,
                           s=[max(9.0, w.size_bytes / 200) for w in ev], label=kind,
                           edgecolors="none", alpha=0.85)
        mark = [w for w in sim.writes if w.kind == "NotReady" and w.accepted]
        if mark and mark[0].t_s <= until_s:
            ax.axvline(mark[0].t_s, color=style.LIMIT, lw=1)
            ax.text(mark[0].t_s, 0, " node 0 NotReady", va="center", fontsize=FONT,
                    color=style.LIMIT)
        ax.set_yticks(range(nodes), [f"node-{i}" for i in range(nodes)])
        ax.set_ylim(nodes - 0.5, -0.5)
        ax.set_title(labels[side], color=c, loc="left")
        ax.legend(loc="upper right", ncols=2, markerscale=0.8, bbox_to_anchor=(1, 1.25))
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, until_s)
