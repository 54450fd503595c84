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

__all__ = ["ChapterFigure", "keep_out_of_layout", "new_figure"]


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
