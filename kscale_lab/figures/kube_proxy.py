"""Chapter 4's figures: per-packet work and update cost against #services; the rollout."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure, keep_out_of_layout
from kscale_lab.kube_proxy.model import KubeProxyModel, growth_exponent
from kscale_lab.kube_proxy.sync import SyncRun

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

SERVICES_RANGE = (7, 7e4)
PANELS = (("rules_per_packet", "rules evaluated per new connection", "routing a packet",
           (1, 1e5)),
          ("update_latency_s", "time (s)", "applying endpoint changes", (3e-5, 1e4)))


class KubeProxyFigure(ChapterFigure):
    """Log-log sweeps over #services: rules per packet (left), one update (right); the dots
    are the cluster the sliders describe, and the triangles (right) its p99 network
    programming latency at the given churn and minimum sync period.

    The legend is static (proxy artists) and sits under the panels, off the data; what
    changes with the sliders — the growth exponents, the cluster, the restore mode — is one
    line of text per panel."""

    height_in = 4.4
    alt = ("Two log-log panels against the number of services, from 10 to 50,000, iptables "
           "in orange and IPVS in teal; dots mark the cluster the settings describe (10,000 "
           "services with 10 backends by default). Left, the rules (or IPVS entries) the "
           "first packet of a connection is checked against: the iptables line rises "
           "straight, in proportion to the services, to thousands of rules at the default "
           "cluster; the IPVS line stays at about 2 up to a thousand services and then "
           "rises gently, to about 20. Right, the time to apply one endpoint change on its "
           "own: iptables rises in proportion to the services, to seconds at the default "
           "cluster, while IPVS stays flat at a tenth of a millisecond; hollow triangles "
           "mark the p99 network programming latency at the chosen churn, above the "
           "iptables dot. The growth exponents are printed above each panel: about 1 for "
           "iptables, 0 for an IPVS change.")

    def layout(self, dims: Any) -> None:
        self.axes = self.fig.subplots(1, 2)
        for ax, (_, ylabel, _title, ylim) in zip(self.axes, PANELS):
            ax.set_xlabel("services")
            ax.set_ylabel(ylabel)
            ax.set_title(" \n ", fontsize=FONT)  # room for the lines drawn with the data
            log_axes(ax, SERVICES_RANGE, ylim)
            ax.xaxis.set_major_formatter(FuncFormatter(_compact))
        self.fig.suptitle(" \n ", fontsize=FONT)  # room for the lines naming the cluster
        versions = KubeProxyModel.versions
        self.fig.legend(handles=[Line2D([], [], color=style.colour(v), label=v.label)
                                 for v in versions]
                        + [Line2D([], [], ls="", marker="o", color="0.3",
                                  label="your cluster: one change, alone"),
                           Line2D([], [], ls="", marker="^", mfc="none", color="0.3",
                                  label="p99 network programming latency")],
                        loc="outside lower center", ncols=2, handlelength=1.2, fontsize=FONT)

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        out: list = []
        for ax, (name, _ylabel, title, _ylim) in zip(self.axes, PANELS):
            slopes = []
            for version, outcome in comparison:
                xs, ys = outcome.curve["services"], outcome.curve[name]
                colour = style.colour(version)
                out += ax.plot(xs, ys, color=colour)
                out += ax.plot(dims.services, getattr(outcome, name), "o", color=colour, ms=7)
                if name == "update_latency_s":
                    out += ax.plot(dims.services, outcome.network_programming_latency_p99_s,
                                   "^", color=colour, mfc="none", ms=9, mew=1.5)
                slopes.append(f"{version.label} ∝ S^{round(growth_exponent(xs, ys), 2) + 0.0:.2f}")
            # Aligned on the panels' outer edges, so that the line stays inside the figure.
            left = ax is self.axes[0]
            out.append(ax.text(0.0 if left else 1.0, 1.02, f"{title}\n{' · '.join(slopes)}",
                               fontsize=FONT, transform=ax.transAxes,
                               ha="left" if left else "right", va="bottom",
                               multialignment="left" if left else "right"))
        restore = ("full restores" if dims.iptables_restore == "full"
                   else "partial restores (KEP-3453)")
        out.append(self.fig.text(
            0.5, 0.995, f"dots: {dims.services:,} services × {dims.backends_per_service:,} "
            f"backends, {dims.endpoint_changes_per_s:g} changes/s;\niptables with {restore}, "
            f"min sync period {dims.min_sync_period_s:g} s",
            ha="center", va="top", fontsize=FONT))
        return keep_out_of_layout(out)


def log_axes(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float],
             every: tuple[int, int] = (1, 1)) -> None:
    """Log-log axes with ticks at the powers of ten inside the limits (every ``every`` th
    decade on x and y), labelled plainly, and no minor ticks (Matplotlib's log minor ticks
    cost ~40 ms per figure)."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis, (lo, hi), setlim, step in ((ax.xaxis, xlim, ax.set_xlim, every[0]),
                                         (ax.yaxis, ylim, ax.set_ylim, every[1])):
        decades = 10.0 ** np.arange(np.ceil(np.log10(lo)), np.floor(np.log10(hi)) + 1, step)
        axis.set_major_locator(FixedLocator(decades))
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(_tick))
        setlim(lo, hi)


def _compact(v: float, _pos: int) -> str:
    """10, 100, 1k, 10k: tick labels that fit under half a figure."""
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def _tick(v: float, _pos: int) -> str:
    if v >= 1:
        return f"{v:,.0f}"
    return f"{v:g}"


def plot_rollout(runs: list[SyncRun], fig: Any, until_s: float | None = None) -> None:
    """Toy-scale picture: the rollout's new backends in the Deployment (grey) and in the
    kernel's rules (colour), one panel per proxier; iptables syncs as bars underneath."""
    axes = fig.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0]
    until = until_s or max(r.horizon_s for r in runs)
    for ax, run in zip(axes, runs):
        side = getattr(run.version, "side", run.version)
        c = style.colour(side)
        roll = sorted((ch for ch in run.changes if ch.kind == "rollout"), key=lambda ch: ch.t_s)
        steps = len(roll) // 2
        wanted_t = [0.0] + [ch.t_s for ch in roll[::2]] + [until]
        ax.step(wanted_t, [0, *range(1, steps + 1), steps], where="post", color=style.LIMIT,
                ls="--", lw=1.2, label="new backends in the Deployment")
        applied = sorted(ch.applied_s for ch in roll[::2])
        ax.step([0.0, *applied, until], [0, *range(1, steps + 1), steps], where="post",
                color=c, label="new backends in the kernel's rules")
        churn = [ch for ch in run.changes if ch.kind == "churn" and ch.t_s <= until]
        ax.plot([ch.t_s for ch in churn], [-0.9] * len(churn), "|", color=style.NEUTRAL, ms=6,
                label="other endpoint changes")
        if side == "naive":
            bars = [(s, e - s) for s, e, _ in run.syncs if s <= until]
            ax.broken_barh(bars, (-2.1, 0.8), facecolors=c, alpha=0.55, edgecolor="white")
            ax.text(until, -1.7, "syncs ", ha="right", va="center", fontsize=FONT, color=c)
        label = {v.side: v.label for v in KubeProxyModel.versions}[side]
        ax.set_title(f"{label}: mean lag {run.mean_lag_s() * 1000:,.1f} ms"
                     if run.mean_lag_s() < 1 else
                     f"{label}: mean lag {run.mean_lag_s():.1f} s", color=c, loc="left")
        ax.set_ylim(-2.4, steps + 0.8)
        ax.set_yticks(range(0, steps + 1, max(1, steps // 5)))
        ax.set_ylabel("new backends")
    labels = {v.side: v.label for v in KubeProxyModel.versions}
    sides = [getattr(r.version, "side", r.version) for r in runs]
    handles = [Line2D([], [], color=style.LIMIT, ls="--", lw=1.2,
                      label="new backends in the Deployment")]
    handles += [Line2D([], [], color=style.colour(side),
                       label=f"new backends in the kernel ({labels[side]})") for side in sides]
    handles.append(Line2D([], [], ls="", marker="|", ms=6, color=style.NEUTRAL,
                          label="other endpoint changes"))
    if "naive" in sides:
        handles.append(Patch(color=style.colour("naive"), alpha=0.55,
                             label="iptables syncs (whole table each)"))
    # Under the panels, off the data.
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=FONT)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, until)


def plot_measured(timings: list, fig: Any, backends_per_service: int = 10) -> None:
    """The real iptables on this machine (markers) beside the model's prediction (lines).

    Left: one full ``iptables-restore`` and one KEP-3453 partial restore; right: one
    ``iptables -A`` into the loaded table. Filled markers: the legacy back end; hollow: nft.
    ``timings`` are :class:`kscale_lab.real.iptables.Timing` records (may be empty: then only
    the model is drawn, and the figure says so)."""
    from kscale_lab.kube_proxy.model import iptables_append_s, iptables_rules, iptables_sync_s

    ax, bx = fig.subplots(1, 2, sharey=True)
    services = np.geomspace(50, 5000, 40)
    rules = iptables_rules(services, backends_per_service)
    full, partial = style.colour("naive"), style.colour("improved")
    ax.plot(rules, iptables_sync_s(services, backends_per_service, "full"), color=full,
            label="full restore (model)")
    ax.plot(rules, iptables_sync_s(services, backends_per_service, "partial", 1),
            color=partial, label="partial restore (model)")
    bx.plot(rules, iptables_append_s(rules), color=style.NEUTRAL, label="iptables -A (model)")
    for backend, fill in (("legacy", None), ("nft", "none")):
        mine = [t for t in timings if t.backend == backend]
        if not mine:
            continue
        r = [t.rules for t in mine]
        ax.plot(r, [t.full_restore_s for t in mine], "o", color=full, mfc=fill, ms=7,
                label=f"full restore, {backend} (measured)")
        ax.plot(r, [t.partial_restore_s for t in mine], "s", color=partial, mfc=fill, ms=6,
                label=f"partial, {backend} (measured)")
        bx.plot(r, [t.append_s for t in mine], "D", color=style.NEUTRAL, mfc=fill, ms=6,
                label=f"iptables -A, {backend} (measured)")
    for axis, title in ((ax, "one iptables-restore"), (bx, "one iptables -A of one rule")):
        log_axes(axis, (rules[0] * 0.8, rules[-1] * 1.25), (1e-3, 30))
        axis.set_xlabel("rules in the nat table")
        axis.set_title(title, fontsize=FONT)
    ax.set_ylabel("wall time on this machine (s)")
    if not timings:
        bx.text(0.5, 0.5, "not measured on this machine:\nthe model alone",
                transform=bx.transAxes, ha="center", fontsize=FONT, color=style.LIMIT)
    handles = [*ax.get_lines(), *bx.get_lines()]
    fig.legend(handles=handles, labels=[h.get_label() for h in handles],
               loc="outside lower center", ncols=2, fontsize=FONT)   # off the data


def plot_latency_cdf(outcomes: list, fig: Any) -> None:
    """Network programming latency: the fraction of endpoint changes in the rules within a
    given time, one line per ``(label, colour, outcome)``; p50 and p99 dotted."""
    ax = fig.subplots()
    t = np.geomspace(5e-5, 100, 600)
    for label, colour, outcome in outcomes:
        dist = outcome.latency
        ax.plot(t, [dist.cdf(x) for x in t], color=colour, label=label)
    for q in (0.5, 0.99):
        ax.axhline(q, color=style.LIMIT, lw=0.8, ls=":")
        ax.text(6e-5, q, f"p{q * 100:g} ", va="bottom", fontsize=FONT, color=style.LIMIT)
    ax.set_xscale("log")
    ax.set_xlim(5e-5, 100)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(FixedLocator([1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_xlabel("time from an endpoint change until its rules are in place (s)")
    ax.set_ylabel("fraction of changes")
    fig.legend(loc="outside lower center", ncols=1, fontsize=FONT)    # off the data


def plot_backends(comparisons: list, fig: Any, threshold: int = 250) -> None:
    """The other dimension that suffers: against the backends per service (log-log), the
    rules (entries) in the kernel (left) and the proxier time of one rolling update of one
    service (right), one line per proxier; the envelope's threshold dashed.

    ``comparisons`` are :class:`~kscale_lab.model.Comparison` records of
    :class:`~kscale_lab.kube_proxy.model.KubeProxyModel` that differ only in
    ``backends_per_service``."""
    backends = [c.dimensions.backends_per_service for c in comparisons]
    ax, bx = fig.subplots(1, 2)
    for version in KubeProxyModel.versions:
        outs = [c.outcome(version) for c in comparisons]
        colour = style.colour(version)
        ax.plot(backends, [o.rules_total for o in outs], color=colour, label=version.label)
        bx.plot(backends, [o.rolling_update_s for o in outs], color=colour)
    log_axes(ax, (0.8, 700), (1e4, 3e7))
    log_axes(bx, (0.8, 700), (1e-4, 1e7), every=(1, 2))
    for axis in (ax, bx):
        axis.set_xlabel("backends per service")
        axis.axvline(threshold, color=style.LIMIT, ls="--", lw=1)
    ax.plot([], [], color=style.LIMIT, ls="--", lw=1,
            label=f"the envelope's threshold ({threshold} per service)")
    ax.set_ylabel("rules (entries) in the kernel")
    ax.set_title(f"kernel rules, {comparisons[0].dimensions.services:,} services",
                 fontsize=FONT)
    bx.set_ylabel("proxier time (s)")
    bx.set_title("one rolling update", fontsize=FONT)
    fig.legend(loc="outside lower center", ncols=3, fontsize=FONT)    # off the data
