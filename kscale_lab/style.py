"""One plotting style for every figure in the course.

Naive is always :data:`NAIVE` (orange) and improved always :data:`IMPROVED` (teal), in every
chapter, so a reader never has to read a legend twice. Colours come from ColorBrewer's
colour-blind-safe *Dark2* set. Figures are sized for the book's content width (about 7 inches
at 100 dpi) and every axis label carries its unit.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib

NAIVE = "#d95f02"        # orange: the mechanism before the fix
IMPROVED = "#1b9e77"     # teal: the mechanism after the fix
LIMIT = "#555555"        # grey: quotas, thresholds, SLOs
NEUTRAL = "#7570b3"      # purple: anything that is neither
WIDTH_IN = 7.0           # fits the book's content column

RC = {
    "figure.figsize": (WIDTH_IN, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
}


def apply() -> None:
    """Set the course's Matplotlib defaults (idempotent)."""
    matplotlib.rcParams.update(RC)


def new_figure(height_in: float = 3.6, layout: str | None = "constrained", **kwargs: Any):
    """A Matplotlib :class:`~matplotlib.figure.Figure` in the course style.

    Uses ``pyplot`` so the figure shows inline in notebooks and book pages.
    """
    import matplotlib.pyplot as plt

    apply()
    return plt.figure(figsize=(WIDTH_IN, height_in), layout=layout, **kwargs)


def colour(version: str) -> str:
    """The colour of ``"naive"`` or ``"improved"``."""
    return {"naive": NAIVE, "improved": IMPROVED}[version]


_BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def human_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``; binary units, as etcd's quota is set."""
    if n is None:
        return "never"
    if n < 1024:
        return f"{n:.0f} B"
    k = min(int(math.log(n, 1024)), len(_BYTE_UNITS) - 1)
    return f"{n / 1024 ** k:.3g} {_BYTE_UNITS[k]}"


def human_seconds(s: float | None) -> str:
    """``None`` → ``'never'``; ``95`` → ``'1 min 35 s'``; ``7200`` → ``'2 h'``."""
    if s is None:
        return "never"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        m, r = divmod(round(s), 60)
        return f"{m} min {r} s" if r else f"{m} min"
    h, r = divmod(round(s), 3600)
    return f"{h} h {r // 60} min" if r // 60 else f"{h} h"


def bytes_axis(ax: Any, axis: str = "y") -> None:
    """Label an axis's ticks in binary units (KiB, MiB, GiB)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: human_bytes(v) if v > 0 else "0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
