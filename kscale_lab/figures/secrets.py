"""Chapter 3's figures: seats, streams, staleness and heartbeats; the toy connection; sweeps."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure, keep_out_of_layout
from kscale_lab.units import human_seconds

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: Fixed ranges, wide enough for every slider value.
WATCHES_RANGE = (0.8, 40_000.0)          # watches on one kubelet: up to 500 pods × 50 objects
DELAY_RANGE = (1e-3, 3e5)                # seconds from a change until the kubelet has it
GAP_RANGE = (3.0, 5000.0)                # seconds between two heartbeats
ROWS = {"naive": 1, "improved": 0}       # bar positions, naive on top


def _seconds(v: float, _pos: Any = None) -> str:
    if v < 1:
        return f"{v * 1000:g} ms"
    if v < 60:
        return f"{v:g} s"
    if v < 3600:
        return f"{v / 60:g} min"
    if v < 86400:
        return f"{v / 3600:g} h"
    return f"{v / 86400:g} d"


def _log_ticks(ax: Any, axis: str, values: list[float], fmt: Any) -> None:
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator(values))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(fmt))


def _count(v: float, _pos: Any = None) -> str:
    return f"{v:,.0f}" if v >= 1 else f"{v:g}"


class SecretsFigure(ChapterFigure):
    """Four panels, naive (orange) and improved (teal):

    * the apiserver's read-only seats in use (share of ``--max-requests-inflight``);
    * the watches one kubelet wants on its HTTP/2 connection, against the stream limit;
    * how long a changed Secret or ConfigMap takes to reach the kubelet;
    * one node's heartbeats over the hour after the kubelets start: the gap before each
      answered heartbeat, against the node-monitor-grace-period.

    The three bar panels are stacked above the heartbeat panel, each as wide as the figure
    so that its labels fit at the course's text size; the legend sits under the figure, off
    the data.
    """

    height_in = 7.9
    alt = ("Four panels, one above the other, comparing polling kubelets (Cache, orange) with "
           "watching ones (Watch, teal). First, horizontal bars: the share of the apiserver's "
           "read-only seats the kubelets' GETs hold, with their GETs per second (about 12 % "
           "and 4,600 GETs per second at the defaults); the Watch bar stays at zero. Second, "
           "on a log scale: the watches one kubelet keeps on its HTTP/2 connection, against a "
           "dashed line at the stream limit (250 by default); Cache has none, and Watch has "
           "331 at the defaults, more than the limit. Third, on a log scale from a "
           "millisecond to a day: how long a changed secret takes to reach the kubelet, "
           "minutes for Cache and at once for Watch. Last, one node's heartbeats over the "
           "hour after the kubelets start: the gap before each answered heartbeat against a "
           "dashed line at the grace period (40 seconds by default). The gaps stay at "
           "10 seconds for both versions, unless the kubelet is built with Go 1.10–1.11 and "
           "watches more objects than its connection has streams: then the Watch kubelet's "
           "gaps jump to minutes, far above the grace period, and its node goes NotReady.")

    def layout(self, dims: Any) -> None:
        from kscale_lab.secrets.model import HORIZON_S, SecretsModel

        grid = self.fig.add_gridspec(4, 1, height_ratios=[1, 1.35, 1, 2.3])
        self.seats = self.fig.add_subplot(grid[0])
        self.streams = self.fig.add_subplot(grid[1])
        self.delay = self.fig.add_subplot(grid[2])
        self.beats = self.fig.add_subplot(grid[3])
        labels = ["Watch", "Cache"]
        for ax in (self.seats, self.streams, self.delay):
            ax.set_ylim(-0.6, 1.6)
            ax.set_yticks([0, 1], labels)
            ax.grid(axis="y", visible=False)
        self.streams.set_ylim(-1.5, 1.6)          # a row under the bars for the note
        s = self.seats
        s.set_xlim(0, 100)
        s.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100 %"])
        s.set_title("read-only seats in use", fontsize=FONT)
        w = self.streams
        w.set_xscale("log")
        w.set_xlim(*WATCHES_RANGE)
        _log_ticks(w, "x", [1, 10, 100, 1000, 10_000], _count)
        w.set_title("watches on one kubelet's connection", fontsize=FONT)
        w.text(1.0, 1, "none: GETs come and go", va="center", fontsize=FONT)
        d = self.delay
        d.set_xscale("log")
        d.set_xlim(*DELAY_RANGE)
        _log_ticks(d, "x", [1e-3, 1, 60, 3600, 86400], _seconds)
        d.set_title("a changed secret reaches the kubelet after", fontsize=FONT)
        b = self.beats
        b.set_yscale("log")
        b.set_ylim(*GAP_RANGE)
        _log_ticks(b, "y", [10, 60, 300, 3600], _seconds)
        b.set_xlim(0, HORIZON_S / 60)
        b.set_xticks([0, 15, 30, 45, 60])
        b.set_xlabel("time after the kubelets start (min)")
        b.set_ylabel("gap before a heartbeat")
        b.set_title(" \n ", fontsize=FONT)       # room for the title drawn with the data
        naive, improved = SecretsModel.versions
        # Under the figure, off the data (heartbeat gaps can reach any height).
        self.fig.legend(handles=[
            Line2D([], [], lw=2.5, color=style.NAIVE, label=naive.label),
            Line2D([], [], ls="", marker="s", ms=5, mfc="none", color=style.IMPROVED,
                   label=improved.label),
            Line2D([], [], color=style.LIMIT, ls="--", lw=1,
                   label="limit: stream limit, grace period")],
            loc="outside lower center", ncols=2, fontsize=FONT)
        self.fig.suptitle(" ", fontsize=FONT)     # room for the line drawn with the data

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        out: list = []
        naive, improved = comparison.naive, comparison.improved
        colours = [style.NAIVE, style.IMPROVED]
        rows = [ROWS["naive"], ROWS["improved"]]
        # seats
        shares = [100 * o.readonly_inflight_share for o in (naive, improved)]
        out.append(self.seats.barh(rows, shares, color=colours, height=0.6))
        for row, o, share in zip(rows, (naive, improved), shares):
            text = f"{share:.1f} %  ·  {o.get_requests_per_s:,.0f} GET/s"
            if o.rejected_per_s >= 0.005:
                text += f"  ·  {o.rejected_per_s:,.1f} × 429/s"
            inside = share > 50                  # a long bar carries its label inside
            out.append(self.seats.text(share - 1.5 if inside else share + 1.5, row, text,
                                       va="center", ha="right" if inside else "left",
                                       color="white" if inside else "black", fontsize=FONT))
        # watches on one connection
        limit = dims.http2_max_streams_per_connection
        wanted = [0, improved.unique_objects_per_node]        # polling holds no watch
        out.append(self.streams.barh(rows, [max(v, 1e-9) for v in wanted], color=colours,
                                     height=0.6, left=WATCHES_RANGE[0]))
        out.append(self.streams.axvline(limit, color=style.LIMIT, ls="--", lw=1))
        out.append(self.streams.text(limit, 1.55, f" {limit:,} streams", fontsize=FONT,
                                     va="top", color=style.LIMIT))
        if improved.blocked_nodes:
            note = f"{wanted[1] - limit:,} wait; so does the heartbeat"
        elif improved.tcp_connections_per_node > 1:
            note = f"{improved.tcp_connections_per_node} connections"
        else:
            note = "1 connection"
        out.append(self.streams.text(1.0, -1.0, f"{wanted[1]:,} watches · {note}",
                                     fontsize=FONT, va="center"))
        # staleness
        delays = [o.propagation_delay_s for o in (naive, improved)]
        shown = [min(max(d, DELAY_RANGE[0]), DELAY_RANGE[1]) for d in delays]
        out.append(self.delay.barh(rows, shown, color=colours, height=0.6,
                                   left=DELAY_RANGE[0]))
        for row, d, width in zip(rows, delays, shown):
            label = ("0 (at once)" if d == 0 else "≈ 0" if d < DELAY_RANGE[0]
                     else human_seconds(d))
            out.append(self.delay.text((DELAY_RANGE[0] + width) * 1.5, row, label,
                                       va="center", fontsize=FONT))
        # heartbeats
        out.append(self.beats.axhline(dims.grace_period_s, color=style.LIMIT, ls="--", lw=1))
        for version, o in comparison:
            hb = o.heartbeats
            colour = style.colour(version)
            if not len(hb.answered_s):
                continue
            if version.is_naive:                   # a line: one heartbeat every 10 s
                out += self.beats.plot(hb.answered_s / 60, hb.gaps_s, color=colour, lw=2.5)
            else:                                  # markers, at most about one a minute
                every = max(1, len(hb.answered_s) // 60)
                out += self.beats.plot(hb.answered_s[::every] / 60, hb.gaps_s[::every], "s",
                                       ms=5, color=colour, mfc="none", mew=1.2)
            if hb.longest_gap_s >= hb.horizon_s - 1e-9 and not len(hb.answered_s):
                out.append(self.beats.text(1, GAP_RANGE[1] / 2, "no heartbeat answered in "
                                           "the hour", color=colour, fontsize=FONT, va="top"))
        if improved.blocked_nodes:
            note = (f"Watch: NotReady {100 * improved.notready_nodes / dims.nodes:.0f} % of "
                    f"the hour, marked {improved.notready_marks_per_node:.0f}×")
        else:
            note = "no node goes NotReady"
        out.append(self.beats.text(0.5, 1.02, f"one node's heartbeats\n{note}", fontsize=FONT,
                                   ha="center", va="bottom", transform=self.beats.transAxes))
        ttl = ("Get: no cache" if dims.strategy == "Get" else
               f"TTL {dims.ttl_s:g} s" + (" (TTL controller)" if dims.ttl_controller else ""))
        out.append(self.fig.text(
            0.5, 0.995, f"{dims.nodes:,} nodes × {dims.pods_per_node} pods · "
            f"{improved.unique_objects_per_node:,} objects/node · {ttl} · {dims.go_client}",
            ha="center", va="top", fontsize=FONT))
        return keep_out_of_layout(out)


def plot_connection_timeline(sims: list, fig: Any, until_s: float = 900.0) -> None:
    """Toy scale: one kubelet's connection over time, one row per simulation.

    Streams in use (filled) and requests waiting for one (line) on the left axis; every
    answered heartbeat as a tick along the top; the spans where the node's newest heartbeat
    is older than the grace period (NotReady) shaded.
    """
    axes = fig.subplots(len(sims), 1, sharex=True, squeeze=False)[:, 0]
    for ax, sim in zip(axes, sims):
        dims = sim.dims
        sample = sim.streams
        keep = sample.t_s <= until_s
        t = sample.t_s[keep] / 60
        colour = style.NEUTRAL if sim.version == "naive" else style.colour(sim.version)
        ax.fill_between(t, sample.streams_in_use[keep], step="post", color=colour, alpha=0.35,
                        lw=0, label="streams in use")
        ax.step(t, sample.waiting_requests[keep], where="post", color=colour, lw=1.5,
                label="requests waiting for a stream")
        limit = dims.http2_max_streams_per_connection
        ax.axhline(limit, color=style.LIMIT, ls="--", lw=1)
        ax.text(until_s / 60, limit, f"{limit} streams ", ha="right", va="bottom", fontsize=FONT,
                color=style.LIMIT)
        top = 1.35 * max(limit, sample.streams_in_use.max(), sample.waiting_requests.max(), 1)
        beats = sim.heartbeats[0]
        beats = beats[beats <= until_s]
        ax.plot(beats / 60, np.full(len(beats), 0.93 * top), "|", ms=9, mew=1.5,
                color=style.LIMIT, label="heartbeat answered")
        last = 0.0
        for b in [*beats, until_s]:
            if b - last > dims.grace_period_s:
                ax.axvspan((last + dims.grace_period_s) / 60, b / 60, color=style.NAIVE,
                           alpha=0.12, lw=0)
            last = b
        ax.set_ylim(0, top)
        ax.set_ylabel("streams / requests")
        ax.set_title(f"{dims.unique_objects_per_node} watches, kubelet built with "
                     f"{dims.go_client}", loc="left", fontsize=FONT)
    colour = style.colour(sims[-1].version) if sims[-1].version != "naive" else style.NEUTRAL
    fig.legend(handles=[
        Patch(color=colour, alpha=0.35, label="streams in use"),
        Line2D([], [], color=colour, label="requests waiting for a stream"),
        Line2D([], [], ls="", marker="|", ms=9, mew=1.5, color=style.LIMIT,
               label="heartbeat answered"),
        Patch(color=style.NAIVE, alpha=0.12, label="node NotReady")],
        loc="outside lower center", fontsize=FONT, ncols=2)
    axes[-1].set_xlabel("time after the kubelet starts (min)")
    axes[-1].set_xlim(0, until_s / 60)


def plot_read_load(comparisons: list, fig: Any) -> None:
    """Cluster scale, against the number of nodes: the polling kubelets' GETs per second
    beside the watches the watching kubelets keep open and the WATCH requests that resume
    them (left); the read-only seats the GETs hold and the staleness they buy (right)."""
    nodes = np.array([c.dimensions.nodes for c in comparisons])
    ax, bx = fig.subplots(1, 2)
    gets = [c.naive.get_requests_per_s for c in comparisons]
    watches = [c.improved.watches_open for c in comparisons]
    resumes = [c.improved.load.requests_per_s_by_verb["WATCH"] for c in comparisons]
    ax.plot(nodes, gets, color=style.NAIVE, label="Cache: GET/s")
    ax.plot(nodes, watches, color=style.IMPROVED, label="Watch: watches open")
    ax.plot(nodes, resumes, color=style.IMPROVED, ls=":", label="Watch: WATCH requests/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("nodes")
    ax.set_ylabel("per second / open")
    ax.set_title("load on the apiserver", fontsize=FONT)
    share = [100 * c.naive.readonly_inflight_share for c in comparisons]
    stale = [c.naive.propagation_delay_s for c in comparisons]
    bx.plot(nodes, share, color=style.NAIVE, label="Cache: seats in use (%)")
    bx.set_xscale("log")
    bx.set_xlabel("nodes")
    bx.set_ylabel("read-only seats in use (%)", color=style.NAIVE)
    bx.set_ylim(0, max(100.0, 1.1 * max(share)))
    cx = bx.twinx()
    cx.plot(nodes, np.array(stale) / 60, color=style.NEUTRAL, ls="--",
            label="Cache: staleness (min)")
    cx.set_ylabel("Cache: staleness (min)", color=style.NEUTRAL)
    cx.set_ylim(0, 1.15 * max(stale) / 60)
    cx.grid(False)
    cx.spines["right"].set_visible(True)
    bx.set_title("what polling costs", fontsize=FONT)
    for axis in (ax, bx):
        axis.set_xticks([10, 100, 1000, 10_000], ["10", "100", "1,000", "10,000"])
        axis.xaxis.set_minor_locator(NullLocator())
        axis.set_xlim(nodes[0], nodes[-1])
    # Under the panels, off the data.
    handles = [*ax.get_lines(), *bx.get_lines(), *cx.get_lines()]
    fig.legend(handles=handles, labels=[h.get_label() for h in handles],
               loc="outside lower center", ncols=2, fontsize=FONT)


def plot_stream_cliff(objects: np.ndarray, outcomes: dict[str, list], fig: Any,
                      grace_period_s: float, limit: int) -> None:
    """One kubelet against the objects it watches: the longest its Lease goes unrenewed
    (left) and the share of the hour its node is NotReady (right), one line per Go client."""
    ax, bx = fig.subplots(1, 2, sharex=True)
    styles = {"go1.10": (style.NAIVE, "-"), "go1.12": (style.IMPROVED, "-"),
              "go1.9": (style.NEUTRAL, ":")}
    for client, outs in outcomes.items():
        colour, ls = styles[client]
        ax.plot(objects, [o.longest_heartbeat_gap_s for o in outs], color=colour, ls=ls,
                label=f"built with {client}")
        bx.plot(objects, [100 * o.notready_nodes / max(o.blocked_nodes, 1)
                          if o.blocked_nodes else 0.0 for o in outs], color=colour, ls=ls)
    ax.axhline(grace_period_s, color=style.LIMIT, ls="--", lw=1)
    ax.text(objects[0], grace_period_s, " grace period", va="bottom", fontsize=FONT,
            color=style.LIMIT)
    ax.set_yscale("log")
    _log_ticks(ax, "y", [10, 60, 300, 3600], _seconds)
    ax.set_ylim(5, 5000)
    ax.set_ylabel("longest heartbeat gap in the hour")
    bx.set_ylabel("share of the hour NotReady (%)")
    bx.set_ylim(0, 100)
    for axis in (ax, bx):
        axis.axvline(limit, color=style.LIMIT, lw=0.8, ls=":")
        axis.set_xlabel("objects the kubelet watches")
        axis.set_xlim(objects[0], objects[-1])
    bx.text(limit, 95, f" {limit} streams", fontsize=FONT, color=style.LIMIT, va="top")
    fig.legend(handles=ax.get_lines()[:len(outcomes)], loc="outside lower center",
               ncols=len(outcomes), fontsize=FONT)     # under the panels, off the data
