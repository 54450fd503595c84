"""Fast redraws for the widgets: static parts rendered once, data blitted on every move.

Drawing a Matplotlib figure from scratch costs most of its time in text: tick labels, axis
labels, titles, legends. Those do not change when a slider moves (a chapter's
:class:`~kscale_lab.figures.ChapterFigure` keeps its axes fixed), so :class:`LiveFigure`
renders them once, keeps the pixels, and on every update restores those pixels, draws only
the data artists over them (*blitting*) and encodes the result as PNG. The figure is laid out
and rendered again only when :meth:`~kscale_lab.figures.ChapterFigure.layout_key` changes.
"""

from __future__ import annotations

import io
from typing import Any

from kscale_lab.figures import new_figure


def encode_png(rgba: Any, size: tuple[int, int]) -> bytes:
    """PNG bytes of an RGBA buffer (fast compression: a widget image lives for seconds)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB").save(
        buf, format="png", compress_level=1)
    return buf.getvalue()


def flatten(items: Any) -> list:
    """Artists out of lists and Matplotlib containers (a ``BarContainer`` is a tuple)."""
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


class LiveFigure:
    """A model's key figure, rendered to PNG bytes for one comparison after another."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.painter_class = model.painter()
        self.painter: Any = None
        self._key: Any = object()
        self._artists: list = []
        self._background: Any = None
        self.full_redraws = 0
        """How often the static parts were rendered (for tests and benchmarks)."""

    def _lay_out(self, dims: Any) -> None:
        fig = new_figure(self.painter_class.height_in)
        self.painter = self.painter_class(fig, dims)
        fig.canvas.draw()                       # constrained layout runs once, here
        fig.set_layout_engine("none")           # then the axes stay where they are
        self._background = fig.canvas.copy_from_bbox(fig.bbox)
        self._artists = []
        self.full_redraws += 1

    def render(self, comparison: Any) -> bytes:
        """The figure of ``comparison`` as PNG bytes."""
        key = self.painter_class.layout_key(comparison.dimensions)
        if key != self._key:
            self._lay_out(comparison.dimensions)
            self._key = key
        fig = self.painter.fig
        for item in self._artists:
            item.remove()                        # containers remove their children too
        canvas = fig.canvas
        canvas.restore_region(self._background)
        self._artists = list(self.painter.draw(comparison))
        renderer = canvas.get_renderer()
        for artist in sorted(flatten(self._artists), key=lambda a: a.get_zorder()):
            artist.draw(renderer)
        width, height = canvas.get_width_height()
        return encode_png(canvas.buffer_rgba(), (width, height))

    def figure(self) -> Any:
        """The Matplotlib figure behind the images (for tests)."""
        return None if self.painter is None else self.painter.fig
