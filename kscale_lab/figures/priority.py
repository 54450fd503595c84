"""Chapter 8's API Priority and Fairness figures: seats per pool or level, who is refused,
and the toy timeline of a flood."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.patches import Patch

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.units import human_seconds

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

CLIENTS = ("Lease\nrenewals", "noisy\nclient", "well-\nbehaved")


class PriorityFigure(ChapterFigure):
    """Left: one horizontal bar per max-inflight pool (orange, the two at the top) and per
    priority level (teal, below): its seats as an outline and the seats in use filled in; a
    cross where the requests sent to it would need more seats than it has. Right: the share
    of each client's requests refused with 429 (the Lease renewals, the noisy client, the
    well-behaved controller), the pools' in orange beside APF's in teal."""

    height_in = 4.6

    @classmethod
    def layout_key(cls, dims: Any) -> Any:
        return (dims.max_requests_inflight, dims.max_mutating_requests_inflight)

    def layout(self, dims: Any) -> None:
        from kscale_lab.control_plane.flowcontrol import nominal_concurrency_limits
        from kscale_lab.priority import PriorityModel

        self.ax, self.bx = self.fig.subplots(1, 2, width_ratios=[1.5, 1])
        seats = nominal_concurrency_limits(dims.server_concurrency)
        self.rows = ["read-only", "mutating"] + list(seats)
        capacity = [dims.max_requests_inflight, dims.max_mutating_requests_inflight] + \
            list(seats.values())
        y = np.arange(len(self.rows))
        self.y = dict(zip(self.rows, y))
        colours = [style.NAIVE] * 2 + [style.IMPROVED] * len(seats)
        self.ax.barh(y, capacity, color="none", edgecolor=colours, lw=1.2, height=0.7)
        self.top = max(capacity) * 1.35
        self.ax.set_xlim(0, self.top)
        self.ax.set_ylim(len(self.rows) - 0.5, -0.6)
        self.ax.set_yticks(y, self.rows)
        self.ax.set_xlabel("seats (outline: the limit; filled: in use)")
        self.ax.axhline(1.5, color=style.LIMIT, lw=0.6)
        self.ax.set_title(" \n ")          # room for the data's two-line title
        # Under the panel, off the data (a busy level's bar crosses the whole axes); a legend
        # of the axes, not of the figure, so that a sweep player's strip stays free.
        self.ax.legend(handles=[Patch(color=style.colour(v), label=v.label)
                                for v in PriorityModel.versions], loc="upper center",
                       bbox_to_anchor=(0.5, -0.14))
        self.bx.set_ylim(0, 100)
        self.bx.set_xlim(-0.6, len(CLIENTS) - 0.4)
        self.bx.set_xticks(range(len(CLIENTS)), CLIENTS)
        self.bx.set_ylabel("requests refused (429, %)")

    def draw(self, comparison: Any) -> list:
        out: list = []
        rows, widths, colours = [], [], []
        for version, o in comparison:
            for lv in o.levels:
                rows.append(self.y[lv.name])
                widths.append(lv.in_use)
                colours.append(style.colour(version))
                if lv.offered > lv.seats:
                    out += self.ax.plot([min(lv.offered, self.top * 0.98)], [self.y[lv.name]],
                                        "x", color=style.colour(version), ms=7)
        out.append(self.ax.barh(rows, widths, color=colours, height=0.7, alpha=0.8))
        dims = comparison.dimensions
        rates = (dims.lease_requests_per_s, dims.noisy_requests_per_s,
                 dims.workload_requests_per_s)
        x = np.arange(len(CLIENTS))
        for shift, (version, o) in zip((-0.18, 0.18), comparison):
            refused = (o.lease_renewals_rejected_per_s, o.noisy_rejected_per_s,
                       o.workload_rejected_per_s)
            pct = [100 * r / q if q else 0.0 for r, q in zip(refused, rates)]
            out.append(self.bx.bar(x + shift, pct, width=0.34, color=style.colour(version)))
        n, i = comparison.naive, comparison.improved
        title = self.ax.text(
            0.0, 1.03, f"{dims.nodes:,} nodes, {dims.noisy_client} of "
                       f"{dims.noisy_requests_per_s:,.0f} req/s\nLease p99 "
                       f"{human_seconds(n.lease_renewal_p99_s)} vs "
                       f"{human_seconds(i.lease_renewal_p99_s)}; NotReady "
                       f"{n.nodes_not_ready:,.0f} vs {i.nodes_not_ready:,.0f}",
            transform=self.ax.transAxes, ha="left", va="bottom", fontsize=FONT)
        title.set_in_layout(False)
        out.append(title)
        return out


def plot_flood_timeline(sims: list, fig: Any, nodes: int = 12) -> None:
    """Toy timeline, one column per version: seats in use over time in the Lease's pool or
    level, and in the flood's level if it is another (top), and each Lease renewal of the
    first ``nodes`` nodes (bottom): a dot when accepted, a cross when refused (429). Each
    pool's or level's limit is a thin line, named at its left end; one legend, under the
    panels, says what the line styles and markers mean."""
    from matplotlib.lines import Line2D

    from kscale_lab.priority import PriorityModel, level_of

    labels = {v.side: v.label for v in PriorityModel.versions}
    axes = fig.subplots(2, len(sims), sharex=True, squeeze=False,
                        height_ratios=[1, 1.4])
    for col, sim in enumerate(sims):
        c = style.colour(sim.version)
        top, bottom = axes[0, col], axes[1, col]
        names = list(dict.fromkeys(level_of(sim.dims, who, sim.version)
                                   for who in ("lease", "noisy")))
        for name, ls in zip(names, ("-", ":")):
            top.step(sim.sample_t_s, sim.seat_samples[name], where="post", color=c, ls=ls,
                     lw=1.2)
            top.axhline(sim.seats[name], color=c, ls=ls, lw=0.6, alpha=0.6)
            top.text(0.5, sim.seats[name], f"{name}: {sim.seats[name]}", color=c,
                     fontsize=FONT, va="bottom")
        top.set_ylim(0, 1.45 * max(sim.seats[name] for name in names))
        top.set_title(labels[sim.version], color=c, loc="left")
        top.set_ylabel("seats in use")
        ok = [r for r in sim.renewals if r.node < nodes and r.accepted]
        bad = [r for r in sim.renewals if r.node < nodes and not r.accepted]
        bottom.plot([r.due_s for r in ok], [r.node for r in ok], "o", color=c, ms=3)
        bottom.plot([r.due_s for r in bad], [r.node for r in bad], "x", color=style.LIMIT,
                    ms=5)
        bottom.set_ylim(nodes - 0.5, -0.5)
        bottom.set_yticks(range(0, nodes, 2), [f"node-{i}" for i in range(0, nodes, 2)])
        bottom.set_xlabel("time (s)")
        bottom.set_title("Lease renewals", loc="left")
    handles = [Line2D([], [], color=style.LIMIT, lw=1.2, label="the Lease's pool or level"),
               Line2D([], [], color=style.LIMIT, lw=1.2, ls=":", label="the flood's level"),
               Line2D([], [], ls="none", marker="o", ms=4, color=style.LIMIT,
                      label="renewal accepted"),
               Line2D([], [], ls="none", marker="x", ms=6, color=style.LIMIT,
                      label="renewal refused (429)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)


def plot_flood_sweep(fig: Any, rates: Any, runs: list) -> float:
    """Against the flood's rate: the share of Lease renewals refused (left) and the nodes
    expected to be marked NotReady within the hour (right), the pools in orange, APF in teal.
    A dotted line marks the flood that, beside the renewals and the well-behaved controller,
    fills what the mutating pool's seats can serve. ``runs`` holds one comparison per rate
    (every other dimension the same); returns that rate (requests/s)."""
    from kscale_lab.priority import PriorityModel

    dims = runs[0].dimensions
    ax, bx = fig.subplots(1, 2)
    for version in PriorityModel.versions:
        outs = [c.outcome(version) for c in runs]
        ax.plot(rates, [100 * o.lease_renewals_rejected_per_s / dims.lease_requests_per_s
                        for o in outs], color=style.colour(version), label=version.label)
        bx.plot(rates, [o.nodes_not_ready for o in outs], color=style.colour(version))
    capacity = (dims.max_mutating_requests_inflight / dims.service_s
                - dims.lease_requests_per_s - dims.workload_requests_per_s)
    for axis in (ax, bx):
        axis.axvline(capacity, color=style.LIMIT, ls=":", lw=0.8)
        axis.set_xlabel("Event flood (requests/s)")
    ax.set_ylabel("Lease renewals refused (%)")
    bx.set_ylabel("nodes NotReady within the hour")
    fig.legend(handles=ax.get_lines()[:2], loc="outside lower center", ncols=2)
    return capacity
