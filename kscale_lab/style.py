"""One plotting style for every figure in the course.

Naive is always :data:`NAIVE` (orange) and improved always :data:`IMPROVED` (teal), in every
chapter, so a reader never has to read a legend twice. Colours come from ColorBrewer's
colour-blind-safe *Dark2* set. Figures are sized for the book's content width (about 7 inches
at 100 dpi) and every axis label carries its unit.

No text in a figure is smaller than :data:`MIN_FONT_PT`: at 100 dpi that is 14.6 CSS pixels
when the figure is shown at its drawn size, as the website does on a phone (a wide figure
scrolls sideways there rather than shrinking), which is at least the smallest text of the
website's body (code, 14 px).
"""

from __future__ import annotations

from typing import Any

import matplotlib

from kscale_lab.units import human_bytes, human_seconds  # noqa: F401  (re-exported)

NAIVE = "#d95f02"        # orange: the mechanism before the fix
IMPROVED = "#1b9e77"     # teal: the mechanism after the fix
LIMIT = "#555555"        # grey: quotas, thresholds, SLOs
NEUTRAL = "#7570b3"      # purple: anything that is neither
WIDTH_IN = 7.0           # fits the book's content column
DPI = 100
MIN_FONT_PT = 10.5       # the smallest text in any figure (see the module docstring)

RC = {
    "figure.figsize": (WIDTH_IN, 3.6),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": MIN_FONT_PT,
    "axes.titlesize": MIN_FONT_PT + 1,
    "axes.labelsize": MIN_FONT_PT,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "figure.titlesize": MIN_FONT_PT + 1,
    "figure.labelsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": MIN_FONT_PT,
    "lines.linewidth": 2.0,
}


def apply() -> None:
    """Set the course's Matplotlib defaults (idempotent)."""
    matplotlib.rcParams.update(RC)


def new_figure(height_in: float = 3.6, layout: str | None = "constrained", **kwargs: Any):
    """A Matplotlib :class:`~matplotlib.figure.Figure` in the course style.

    The figure is not registered with ``pyplot``: making many never piles up open figures
    (nor pyplot's warning after 20), and nothing needs closing. In a notebook, show it by
    making it a cell's last expression or with ``display(fig)``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    apply()
    fig = Figure(figsize=(WIDTH_IN, height_in), layout=layout, **kwargs)
    FigureCanvasAgg(fig)
    _enable_inline_display()
    return fig


def _enable_inline_display() -> None:
    """In IPython, make sure figures display as images (the inline backend's formatter)."""
    import sys

    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and not getattr(shell, "_kscale_figures", False):
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
            shell._kscale_figures = True


def colour(version: Any) -> str:
    """The colour of a :class:`~kscale_lab.model.Version` (or of ``"naive"``/``"improved"``)."""
    side = getattr(version, "side", version)
    return {"naive": NAIVE, "improved": IMPROVED}[side]


def bytes_axis(ax: Any, axis: str = "y") -> None:
    """Label an axis's ticks in binary units (KiB, MiB, GiB)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: human_bytes(v) if v > 0 else "0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
