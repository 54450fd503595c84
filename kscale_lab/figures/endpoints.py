"""Chapter 8's EndpointSlices figures: bytes per change against the Service's size, the object
against etcd's request limit, and the toy rolling update."""

from __future__ import annotations

from typing import Any

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from kscale_lab import style
from kscale_lab.figures import ChapterFigure
from kscale_lab.units import human_bytes

#: Every text in these figures is at least this size (points).
FONT = style.MIN_FONT_PT

#: Fixed ranges covering every slider value (1 node × the smallest object … 15,000 nodes ×
#: a rolling update of 2,000 backends in JSON), and past the sliders' 2,000 backends.
SENT_RANGE = (100.0, 1e14)
OBJECT_RANGE = (100.0, 16 * 1024.0**2)
BACKENDS_RANGE = (1, 20_000)
THRESHOLD_BACKENDS = 250          # the scalability thresholds' endpoints per service


def _bytes_ticks(ax: Any, lo: float, hi: float) -> None:
    ticks = [1024.0 ** k for k in range(0, 6) if lo <= 1024.0 ** k <= hi]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human_bytes(v)))


class EndpointsFigure(ChapterFigure):
    """Left: the bytes sent to all kube-proxies for one backend change (solid) and for a
    rolling update (dashed), against the backends per Service, both on log scales, one
    Endpoints object in orange and EndpointSlices in teal, with dots at the chosen size.
    Right: the largest object holding the Service's endpoints, against a dashed line at
    etcd's 1.5 MiB request limit."""

    height_in = 4.6

    def layout(self, dims: Any) -> None:
        from kscale_lab.dimensions import SHARED
        from kscale_lab.endpoints import ETCD_MAX_REQUEST_BYTES, EndpointsModel

        self.ax, self.bx = self.fig.subplots(1, 2)
        slider_hi = SHARED["backends_per_service"]["hi"]
        for axis in (self.ax, self.bx):
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlim(*BACKENDS_RANGE)
            axis.set_xlabel("backends per Service")
            axis.axvline(THRESHOLD_BACKENDS, color=style.LIMIT, lw=0.8, ls=":")
            axis.xaxis.set_major_locator(FixedLocator([1, 10, 100, 1000, 10_000]))
            axis.xaxis.set_major_formatter(FuncFormatter(
                lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}"))
            axis.xaxis.set_minor_locator(NullLocator())
            axis.axvspan(slider_hi, BACKENDS_RANGE[1], color=style.LIMIT, alpha=0.07, lw=0)
        self.ax.set_ylim(*SENT_RANGE)
        _bytes_ticks(self.ax, *SENT_RANGE)
        self.ax.set_ylabel("bytes sent to all kube-proxies")
        self.ax.set_title(" \n ")          # room for the data's two-line title
        self.bx.set_ylim(*OBJECT_RANGE)
        _bytes_ticks(self.bx, *OBJECT_RANGE)
        self.bx.set_ylabel("largest object")
        self.bx.axhline(ETCD_MAX_REQUEST_BYTES, color=style.LIMIT, ls="--", lw=1)
        # The dotted line (the thresholds' 250) and the shaded band (beyond the sliders) are
        # named in the captions: a label would not fit beside them at a readable size.
        self.bx.text(1.3, ETCD_MAX_REQUEST_BYTES * 1.25, "etcd limit 1.5 MiB",
                     fontsize=FONT, color=style.LIMIT)
        # Under the panels, off the data (the curves cross the whole axes): the colours
        # under the left one, the line styles under the right one. Legends of the axes, not
        # of the figure, so that a sweep player's strip under the figure stays free.
        self.ax.legend(handles=[Line2D([], [], color=style.colour(v), label=v.label)
                                for v in EndpointsModel.versions],
                       loc="upper center", bbox_to_anchor=(0.5, -0.2))
        self.bx.legend(handles=[Line2D([], [], color=style.LIMIT, lw=1.2,
                                       label="one backend change"),
                                Line2D([], [], color=style.LIMIT, lw=1.2, ls="--",
                                       label="rolling update")],
                       loc="upper center", bbox_to_anchor=(0.5, -0.2))

    def draw(self, comparison: Any) -> list:
        dims = comparison.dimensions
        n = dims.backends_per_service
        out: list = []
        for version, o in comparison:
            c = style.colour(version)
            x = o.curve_backends
            out += self.ax.plot(x, o.curve_bytes_per_update, color=c, lw=1.8)
            out += self.ax.plot(x, o.curve_bytes_per_rolling_update, color=c, lw=1.2, ls="--")
            out += self.ax.plot([n, n], [o.bytes_per_update, o.bytes_per_rolling_update], "o",
                                color=c, ms=5)
            out += self.bx.plot(x, o.curve_object_bytes, color=c, lw=1.8)
            out += self.bx.plot([n], [o.object_bytes], "o", color=c, ms=5)
        ratio = comparison.naive.bytes_per_update / comparison.improved.bytes_per_update
        title = self.ax.text(
            0.0, 1.03, f"{n:,} backends, {dims.nodes:,} kube-proxies, {dims.encoding}:\none "
                       f"change sends {human_bytes(comparison.naive.bytes_per_update)} vs "
                       f"{human_bytes(comparison.improved.bytes_per_update)} ({ratio:.1f}×)",
            transform=self.ax.transAxes, ha="left", va="bottom", fontsize=FONT)
        title.set_in_layout(False)
        out.append(title)
        return out


def plot_rolling_update(runs: list, fig: Any, nodes: int = 4) -> None:
    """Toy rolling update, one panel per version: each row is a kube-proxy (and, on top,
    the controller's writes to etcd); each marker one write or one watch event, its area
    following the bytes."""
    from kscale_lab.endpoints import EndpointsModel

    labels = {v.side: v.label for v in EndpointsModel.versions}
    axes = fig.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0]
    top = max(max(r.size_bytes for r in run.received) for run in runs)
    for ax, run in zip(axes, runs):
        c = style.colour(run.version)
        updates = [w for w in run.writes if w.t_s >= 1.0]
        ax.scatter([w.t_s for w in updates], [-1] * len(updates), marker="s", color=c,
                   s=[12 + 300 * w.size_bytes / top for w in updates], edgecolors="none")
        got = [r for r in run.received if r.node < nodes]
        ax.scatter([r.t_s for r in got], [r.node for r in got], marker="o", color=c,
                   s=[12 + 300 * r.size_bytes / top for r in got], alpha=0.8,
                   edgecolors="none")
        ax.set_yticks(range(-1, nodes), ["etcd write"] + [f"kube-proxy {i}"
                                                         for i in range(nodes)])
        ax.set_ylim(nodes - 0.5, -1.6)
        ax.set_title(f"{labels[run.version]}: {human_bytes(run.watch_bytes)} sent to "
                     f"{len({r.node for r in run.received})} kube-proxies", color=c, loc="left")
    axes[-1].set_xlabel("time (s)")


def plot_slice_size_sweep(fig: Any, sizes: Any, improved: list, naive_bytes_per_update: float,
                          default_slice: int = 100) -> None:
    """One Service against the slice controller's ``--max-endpoints-per-slice``: the bytes one
    change sends to all kube-proxies with slices (left, against a dashed line at one
    ``Endpoints`` object's), and the objects holding the Service's endpoints (right); both
    log-log, with a dotted line at the default slice size. ``improved`` holds one improved
    outcome per size."""
    ax, bx = fig.subplots(1, 2)
    sent = [o.bytes_per_update for o in improved]
    ax.loglog(sizes, sent, color=style.IMPROVED)
    ax.axhline(naive_bytes_per_update, color=style.NAIVE, ls="--", lw=1)
    ax.text(sizes[0], naive_bytes_per_update, "one Endpoints object", color=style.NAIVE,
            fontsize=FONT, va="bottom")
    ax.set_ylim(min(sent) / 2, naive_bytes_per_update * 4)
    lo, hi = ax.get_ylim()
    ax.yaxis.set_major_locator(FixedLocator([4.0 ** k for k in range(5, 20)
                                             if lo <= 4.0 ** k <= hi]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human_bytes(v)))
    ax.set_ylabel("bytes per change, all nodes")
    bx.loglog(sizes, [o.objects_per_service for o in improved], color=style.IMPROVED)
    bx.set_ylabel("objects per Service")
    bx.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}"))
    for axis in (ax, bx):
        axis.set_xlabel("max endpoints per slice")
        axis.axvline(default_slice, color=style.LIMIT, ls=":", lw=0.8)
        axis.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}"))
