"""Chapter 1's figures: each dimension against its threshold, and the envelope's shape."""

from __future__ import annotations

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
    min_nodes,
    pods_per_node_limit,
    threshold,
)
from kscale_lab.figures import ChapterFigure

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: The ratio axis: from 0.1 % to 10,000 % of a threshold covers every cluster the sliders
#: allow, and stays the same for every cluster so two can be compared by eye.
RATIO_RANGE = (1e-3, 1e2)


def _tick(ratio: float) -> str:
    """A ratio axis tick: percentages up to 100 %, then ``10×``, ``100×`` (narrow labels)."""
    return f"{ratio:.0f}×" if ratio > 1 else _percent(ratio)


class EnvelopeFigure(ChapterFigure):
    """Value ÷ threshold per dimension: the naive check (one bar) beside the envelope.

    Bars in the version's colour; a bar past the grey line at 100 % is outside its threshold
    and is drawn solid and hatched, with its percentage in bold. Each ratio is against the
    limit for this cluster's size (cluster-wide limits, marked †, are proportionally lower
    below 5,000 nodes).
    """

    height_in = 4.2

    def layout(self, dims: Any) -> None:
        lo, hi = RATIO_RANGE
        self.axes = self.fig.subplots(1, 2, sharey=True, sharex=True)
        labels = [t.label + (" †" if t.scales else "") for t in THRESHOLDS]
        for ax in self.axes:
            ax.axvspan(1.0, hi, color=style.LIMIT, alpha=0.08, lw=0)
            ax.axvline(1.0, color=style.LIMIT, lw=1.5)
            ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            # Labels every other decade, so they fit at the course's smallest font size.
            ax.xaxis.set_major_locator(FixedLocator([1e-2, 1, 100]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick(v)))
            ax.xaxis.set_minor_locator(FixedLocator([1e-3, 0.1, 10]))  # few: each costs time
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.grid(axis="y", visible=False)
            ax.text(1.08, len(labels) - 0.45, "outside", fontsize=FONT, color=style.LIMIT,
                    va="center")
        self.fig.supxlabel("value as % of its threshold (log scale; past 100% is outside)\n"
                           "† cluster-wide limit: proportionally lower below 5,000 nodes",
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
               services: float = 2000,
               clusters: dict[str, tuple[float, float]] | None = None) -> None:
    """The envelope in the plane of cluster size and total pods: one number beside the
    envelope.

    Left, what "one number" allows: any number of pods up to 5,000 nodes. Right, the
    envelope (:func:`~kscale_lab.envelope.max_pods_per_node` × nodes): a wedge under
    ``30 × nodes`` (150,000 pods at 5,000 nodes, proportionally fewer below), cut off on the
    left where the cluster is too small for its namespaces and services, and under
    ``3,000 × namespaces`` when namespaces are few. The dashed rectangle is the table read
    as a box (5,000 nodes, 150,000 pods); the dotted line, 110 pods on *every* node.
    ``clusters`` maps a label to ``(nodes, pods_per_node)`` points to mark on both panels.
    """
    node_limit = threshold("nodes").limit
    pods_limit = threshold("pods").limit
    x_max, y_max = 8_000.0, 250_000.0
    nodes = np.linspace(1.0, x_max, 1600)
    naive_cap = np.where(nodes <= node_limit, y_max, 0.0)
    real_cap = nodes * max_pods_per_node(nodes, cores_per_node, namespaces, services)
    axes = fig.subplots(1, 2, sharey=True, sharex=True)
    panels = tuple(zip(EnvelopeModel.versions, (naive_cap, real_cap)))
    dims = ClusterDimensions(cores_per_node=int(cores_per_node), namespaces=int(namespaces),
                             services=int(services))
    model = EnvelopeModel()
    for ax, (version, cap) in zip(axes, panels, strict=True):
        colour = style.colour(version)
        ax.fill_between(nodes, 0, cap, where=cap > 0, color=colour, alpha=0.25, lw=0)
        ax.plot(nodes, np.where(cap > 0, cap, np.nan), color=colour)
        ax.plot([0, node_limit, node_limit], [pods_limit, pods_limit, 0], color=style.LIMIT,
                lw=1, ls="--")
        for name, (n, ppn) in (clusters or {}).items():
            d = dims.replace(nodes=int(n), pods_per_node=int(ppn))
            inside = model.run(d, version).within_envelope
            ax.plot(n, n * ppn, marker="o" if inside else "X", ms=8, ls="none",
                    color="white" if inside else "black", mec="black")
            ax.annotate(name, (n, n * ppn), xytext=(6, 4), textcoords="offset points",
                        fontsize=FONT)
        ax.set_xlim(0, x_max)
        ax.set_ylim(0, y_max)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_xlabel("cluster size (nodes)")
        ax.set_title(f"{version.label}: supported region", color=colour)
    axes[0].text(node_limit * 1.03, y_max * 0.97, "5,000\nnodes", fontsize=FONT, va="top",
                 color=style.LIMIT)
    axes[1].text(node_limit * 1.03, pods_limit, "the table read\nas a box", fontsize=FONT,
                 va="center", color=style.LIMIT)
    per_node = pods_per_node_limit(cores_per_node)
    every = nodes[nodes * per_node <= y_max]
    axes[1].plot(every, every * per_node, color=style.LIMIT, lw=1, ls=":")
    if every[-1] < 0.8 * x_max:     # the line leaves through the top: label it there
        axes[1].text(every[-1] * 1.04, y_max * 0.97, f"{per_node:.0f} pods on\nevery node",
                     fontsize=FONT, va="top", color=style.LIMIT)
    else:                           # through the right edge
        axes[1].text(x_max * 0.98, every[-1] * per_node * 1.04,
                     f"{per_node:.0f} pods on every node", fontsize=FONT, ha="right",
                     va="bottom", color=style.LIMIT)
    average = pods_limit / node_limit
    if average < per_node:
        at = 0.55 * node_limit
        axes[1].text(at, at * average * 1.12, f"{average:.0f} pods/node\non average",
                     fontsize=FONT, ha="right", va="bottom", color=style.colour("improved"))
    fewest = min_nodes(dims.replace(pods_per_node=1, backends_per_service=1),
                       ("namespaces", "services"))
    if fewest > 1:                  # a left edge: too few nodes for namespaces/services
        axes[1].annotate(f"at least {fewest:,} nodes\nfor {services:,.0f} services,\n"
                         f"{namespaces:,.0f} namespaces", (fewest, y_max * 0.04),
                         xytext=(node_limit * 1.03, y_max * 0.3), fontsize=FONT,
                         color=style.LIMIT,
                         arrowprops={"arrowstyle": "->", "color": style.LIMIT})
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    axes[0].set_ylabel("pods in the cluster")
    if clusters:
        axes[0].plot([], [], marker="o", color="white", mec="black", ls="none", label="inside")
        axes[0].plot([], [], marker="X", color="black", ls="none", label="outside")
        # Below the panels, off the data.
        axes[0].legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncols=2, title="verdict",
                       title_fontsize=FONT, alignment="left")
