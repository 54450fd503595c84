"""Chapter figures: the static parts drawn once, the data drawn for each comparison.

A chapter's key figure is a :class:`ChapterFigure` with two methods:

* :meth:`~ChapterFigure.layout` — the axes, their limits, ticks, labels and any legend built
  from proxy artists: everything that does not depend on the numbers being shown;
* :meth:`~ChapterFigure.draw` — the data of one :class:`~kscale_lab.model.Comparison`
  (lines, bars, markers, annotations, a title that quotes values), returned as a list of
  artists. ``draw`` only *adds* artists; it never changes an axis.

The split is what makes sliders fast (:class:`~kscale_lab.figures.live.LiveFigure` renders
the static parts once and, on every move, only the data) and what keeps the axes still while
a reader compares two slider positions by eye, or plays a sweep. When a dimension moves an
axis (the quota sets the y-limit of the heartbeat figure, say), :meth:`layout_key` returns
something that changes with it, and the figure is laid out again.

This is the only layer besides the widgets that imports Matplotlib.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any, ClassVar

from kscale_lab.style import new_figure

__all__ = ["ChapterFigure", "fitted_decades", "keep_out_of_layout", "new_figure"]


def fitted_decades(values: Any, *, include: tuple[float, ...] = (), floor: float = 0.0
                   ) -> tuple[float, float]:
    """Log-axis limits on whole powers of ten that fit ``values`` (and ``include``).

    The lower limit is the power of ten at or below the smallest value above ``floor``,
    lowered by a decade when that value sits within a third of a decade of it; the upper is
    the power of ten above the largest with at least half a decade to spare (room for a bar's
    label). Values at or below ``floor`` (nothing, or "≈0") are drawn at the lower limit.

    >>> fitted_decades([30, 280])
    (10.0, 1000.0)
    >>> fitted_decades([0.0, 100, 55_500], include=(1e6,))
    (10.0, 10000000.0)
    """
    import math

    import numpy as np

    v = np.concatenate([np.ravel(np.asarray(values, dtype=float)), np.asarray(include, float)])
    v = v[np.isfinite(v) & (v > floor)]
    if v.size == 0:
        raise ValueError(f"values must hold a finite number above {floor:g}; got none")
    lo = math.floor(math.log10(v.min()) - 0.3)
    hi = math.ceil(math.log10(v.max()) + 0.5)
    return 10.0 ** lo, 10.0 ** max(hi, lo + 2)


def keep_out_of_layout(artists: list) -> list:
    """Take the texts among ``artists`` out of constrained layout, and return ``artists``.

    A :meth:`ChapterFigure.draw` returns what it added; the room for its titles and labels is
    reserved in :meth:`ChapterFigure.layout` (placeholder titles). A figure drawn in one go
    (:meth:`~kscale_lab.model.Model.figure`) is laid out after ``draw``, and would otherwise
    shrink its axes around a long data label, so that two settings no longer share axes.
    """
    from matplotlib.text import Text

    for artist in artists:
        if isinstance(artist, Text):
            artist.set_in_layout(False)
    return artists


class ChapterFigure(ABC):
    """A chapter's key figure on ``fig``, laid out for ``dims``.

    Subclasses set :attr:`height_in` if the default does not suit, and implement
    :meth:`layout` and :meth:`draw`. After :meth:`layout`, autoscaling is switched off on
    every axes, so drawing data can never move an axis.
    """

    height_in: ClassVar[float] = 3.6
    alt: ClassVar[str] = ""
    """Alt text: what the figure shows, in a sentence or two written for a reader who cannot
    see it. Empty: the first paragraph of the subclass's docstring, which says the same."""

    @classmethod
    def describe(cls) -> str:
        """The figure's alt text (:attr:`alt`, or the first paragraph of the class docstring)."""
        if cls.alt:
            return cls.alt
        doc = cls.__dict__.get("__doc__") or ""
        first = " ".join(doc.strip().split("\n\n")[0].split())
        if not first:
            raise TypeError(f"{cls.__name__} needs an alt text: set `alt` or write a docstring "
                            "whose first paragraph says what the figure shows")
        return first

    def __init__(self, fig: Any, dims: Any) -> None:
        self.fig = fig
        self.dims = dims
        self.layout(dims)
        for ax in fig.axes:
            ax.set_autoscale_on(False)

    @classmethod
    def layout_key(cls, dims: Any) -> Hashable:
        """What the static parts depend on; when it changes, the figure is laid out again."""
        return ()

    @abstractmethod
    def layout(self, dims: Any) -> None:
        """Create the axes with fixed limits, ticks, labels and static legends."""

    @abstractmethod
    def draw(self, comparison: Any) -> list:
        """Add the data of ``comparison``; return every artist added."""

    def fit(self, comparison: Any) -> None:
        """Narrow the fixed axes to ``comparison``'s data, for a figure drawn once (a
        chapter's static figure: :meth:`~kscale_lab.model.Model.figure` with ``fit=True``).
        Called after :meth:`layout` and before :meth:`draw`. The explorer and the sweep
        players never call it, so their axes stay put from one setting to the next.

        The default does nothing: a figure whose fixed axes suit every setting has nothing
        to fit."""
        return None
