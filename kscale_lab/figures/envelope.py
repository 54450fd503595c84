"""Chapter 1's figures: each dimension against its threshold, and the envelope's shape."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from kscale_lab import style
from kscale_lab.envelope import (
    THRESHOLDS,
    ClusterDimensions,
    EnvelopeModel,
    _percent,
    max_pods_per_node,
    pods_per_node_limit,
    threshold,
)
from kscale_lab.figures import ChapterFigure

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: The ratio axis: from 0.1 % to 10,000 % of a threshold covers every cluster the sliders
#: allow, and stays the same for every cluster so two can be compared by eye.
RATIO_RANGE = (1e-3, 1e2)


class EnvelopeFigure(ChapterFigure):
    """Value ÷ threshold per dimension: the naive check (one bar) beside the envelope.

    Bars in the version's colour; a bar past the grey line at 100 % is outside its threshold
    and is drawn solid and hatched, with its percentage in bold.
    """

    height_in = 4.2

    def layout(self, dims: Any) -> None:
        lo, hi = RATIO_RANGE
        self.axes = self.fig.subplots(1, 2, sharey=True, sharex=True)
        labels = [t.label for t in THRESHOLDS]
        for ax in self.axes:
            ax.axvspan(1.0, hi, color=style.LIMIT, alpha=0.08, lw=0)
            ax.axvline(1.0, color=style.LIMIT, lw=1.5)
            ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            # Labels every other decade, so they fit at the course's smallest font size.
            ax.xaxis.set_major_locator(FixedLocator([1e-2, 1, 100]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _percent(v)))
            ax.xaxis.set_minor_locator(FixedLocator([1e-3, 0.1, 10]))  # few: each costs time
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.grid(axis="y", visible=False)
            ax.text(1.08, len(labels) - 0.45, "outside", fontsize=FONT, color=style.LIMIT,
                    va="center")
        self.fig.supxlabel("value as % of its threshold (log scale; past 100% is outside)",
                           fontsize=FONT)
        self.axes[0].set_yticks(np.arange(len(labels)), labels)
        self.axes[0].set_ylim(len(labels) - 0.3, -0.7)

    def draw(self, comparison: Any) -> list:
        lo = RATIO_RANGE[0]
        out: list = []
        all_checks = comparison.improved.checks
        for ax, (version, outcome) in zip(self.axes, comparison):
            colour = style.colour(version)
            checked = {c.name: c for c in outcome.checks}
            for i, c in enumerate(all_checks):
                if c.name not in checked:
                    out.append(ax.text(lo * 1.3, i, "not checked", va="center", ha="left",
                                       fontsize=FONT, color=style.LIMIT, style="italic"))
                    continue
                r = min(max(c.ratio, lo), RATIO_RANGE[1])
                out.append(ax.barh(i, r - lo, left=lo, color=colour,
                                   alpha=0.45 if c.inside else 1.0,
                                   hatch=None if c.inside else "///",
                                   edgecolor="white" if c.inside else "black", height=0.7,
                                   lw=0.5))
                out.append(ax.text(min(r * 1.15, RATIO_RANGE[1] / 3), i, _percent(c.ratio),
                                   va="center", fontsize=FONT,
                                   fontweight="normal" if c.inside else "bold"))
            verdict = "inside" if outcome.within_envelope else "OUTSIDE"
            out.append(ax.text(0.5, 1.02, f"{version.label}: {verdict}", color=colour,
                               transform=ax.transAxes, ha="center", va="bottom", fontsize=FONT + 1))
        return out


def plot_sweep(fig: Any, cores_per_node: float = 16, namespaces: float = 200,
               clusters: dict[str, tuple[float, float]] | None = None) -> None:
    """The envelope in the (#nodes, pods/node) plane: naive region beside the real one.

    Left, what "one number" allows: any density up to 5,000 nodes. Right, the envelope:
    pods/node is capped by ``min(110, 10 × cores)``, then by ``150,000 / nodes`` (and by
    ``3,000 × namespaces / nodes``). ``clusters`` maps a label to ``(nodes, pods_per_node)``
    points to mark on both panels.
    """
    nodes = np.geomspace(100, 15_000, 600)
    node_limit = threshold("nodes").limit
    y_max = 200.0
    inside_nodes = nodes <= node_limit
    naive_cap = np.where(inside_nodes, y_max, np.nan)
    real_cap = np.where(inside_nodes, max_pods_per_node(nodes, cores_per_node, namespaces),
                        np.nan)
    axes = fig.subplots(1, 2, sharey=True, sharex=True)
    panels = tuple(zip(EnvelopeModel.versions, (naive_cap, real_cap)))
    dims = ClusterDimensions(cores_per_node=int(cores_per_node), namespaces=int(namespaces))
    model = EnvelopeModel()
    for ax, (version, cap) in zip(axes, panels, strict=True):
        title = version.label
        colour = style.colour(version)
        ax.fill_between(nodes, 0, cap, color=colour, alpha=0.25, lw=0)
        ax.plot(nodes, cap, color=colour)
        ax.axvline(node_limit, color=style.LIMIT, lw=1, ls="--")
        ax.text(node_limit * 1.05, y_max * 0.97, "5,000\nnodes", fontsize=FONT, va="top",
                color=style.LIMIT)
        for name, (n, ppn) in (clusters or {}).items():
            d = dims.replace(nodes=int(n), pods_per_node=int(ppn))
            verdict = model.run(d, version)
            inside = verdict.within_envelope
            ax.plot(n, ppn, marker="o" if inside else "X", ms=8, ls="none",
                    color="white" if inside else "black", mec="black")
            ax.annotate(name, (n, ppn), xytext=(6, 4), textcoords="offset points", fontsize=FONT)
        ax.set_xscale("log")
        ax.set_xlim(nodes[0], nodes[-1])
        ax.set_ylim(0, y_max)
        ax.set_xlabel("cluster size (nodes, log scale)")
        ax.set_title(f"{title}: supported region", color=colour)
    per_node = pods_per_node_limit(cores_per_node)
    axes[1].text(120, per_node + 4, f"min(110, 10 × cores) = {per_node:.0f}", fontsize=FONT)
    pods_total = threshold("pods").limit
    pods_ns = threshold("pods_per_namespace").limit * namespaces
    numerator = min(pods_total, pods_ns)
    knee = numerator / per_node
    if knee < node_limit:       # the density cap bends down before 5,000 nodes
        what = ("150,000 pods ÷ nodes" if pods_total <= pods_ns else
                f"3,000 × {namespaces:,.0f} namespaces ÷ nodes")
        at = math.sqrt(max(knee, nodes[0]) * node_limit)
        axes[1].annotate(what, (at, numerator / at), xytext=(0.3, 0.35),
                         textcoords="axes fraction", fontsize=FONT, ha="center",
                         arrowprops={"arrowstyle": "->", "color": style.LIMIT})
    axes[0].set_ylabel("pods per node (pods/node)")
    if clusters:
        axes[0].plot([], [], marker="o", color="white", mec="black", ls="none", label="inside")
        axes[0].plot([], [], marker="X", color="black", ls="none", label="outside")
        # Below the panels, off the data.
        axes[0].legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncols=2, title="verdict",
                       title_fontsize=FONT, alignment="left")
