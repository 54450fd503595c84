"""Chapter 4's figures: per-packet work and update cost against #services; the rollout."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.kube_proxy.model import KubeProxyModel, growth_exponent
from kscale_lab.kube_proxy.sync import SyncRun

SERVICES_RANGE = (7, 7e4)
PANELS = (("rules_per_packet", "rules evaluated per new connection", "routing a packet",
           (1, 1e5)),
          ("update_latency_s", "time to apply one endpoint change (s)", "updating the rules",
           (3e-5, 1e3)))


class KubeProxyFigure(ChapterFigure):
    """Log-log sweeps over #services: rules per packet (left), one update (right); the dots
    are the cluster the sliders describe."""

    def layout(self, dims: Any) -> None:
        self.axes = self.fig.subplots(1, 2)
        for ax, (_, ylabel, title, ylim) in zip(self.axes, PANELS):
            ax.set_xlabel("services")
            ax.set_ylabel(ylabel)
            ax.set_title(title, y=1.0)        # a fixed position: no auto-placement pass
            log_axes(ax, SERVICES_RANGE, ylim)
        self.fig.suptitle(" ", fontsize=10)   # room for the line that names the cluster

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        out: list = []
        for ax, (name, *_rest) in zip(self.axes, PANELS):
            handles = []
            for version, outcome in comparison:
                xs, ys = outcome.curve["services"], outcome.curve[name]
                k = growth_exponent(xs, ys)
                colour = style.colour(version)
                out += ax.plot(xs, ys, color=colour)
                out += ax.plot(dims.services, getattr(outcome, name), "o", color=colour, ms=7)
                handles.append(Line2D([], [], color=colour,
                                      label=f"{version.label}: ∝ services^{k:.2f}"))
            out.append(ax.legend(handles=handles, loc="upper left", handlelength=1.2))
        out.append(self.axes[1].axvline(dims.services, color=style.LIMIT, lw=0.8, ls=":"))
        out.append(self.fig.text(0.5, 0.99, f"{dims.backends_per_service:,} backends per "
                                 f"service; dots: {dims.services:,} services", ha="center",
                                 va="top", fontsize=10))
        return out


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
            ax.text(until, -1.7, "syncs ", ha="right", va="center", fontsize=8, color=c)
        label = {v.side: v.label for v in KubeProxyModel.versions}[side]
        ax.set_title(f"{label}: mean lag {run.mean_lag_s() * 1000:,.1f} ms"
                     if run.mean_lag_s() < 1 else
                     f"{label}: mean lag {run.mean_lag_s():.1f} s", color=c, loc="left")
        ax.set_ylim(-2.4, steps + 0.8)
        ax.set_yticks(range(0, steps + 1, max(1, steps // 5)))
        ax.set_ylabel("new backends")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, until)
