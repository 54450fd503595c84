"""Sweep players: a chapter's key figure over a range of one dimension, playable without Python.

A reader of the published site has no kernel, so saved widgets cannot recompute. A sweep
player precomputes the figure for a handful of values of one dimension, naive beside improved,
and packs the frames into plain HTML and JavaScript (Matplotlib's ``Animation.to_jshtml``):
a slider, play/step buttons and the frames as embedded PNGs. It runs in any browser, offline.

>>> from kscale_lab.player import sweep_player
>>> sweep_player("heartbeats", "nodes", [500, 2000, 5000])    # doctest: +SKIP
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from matplotlib.animation import FuncAnimation

from kscale_lab.model import Model

__all__ = ["sweep_player", "sweep_frames"]


def _model(model: Model | str) -> Model:
    if isinstance(model, str):
        from kscale_lab.chapters import get

        return get(model)
    return model


def sweep_frames(model: Model | str, dimension: str, values: Sequence[float],
                 **fixed: Any) -> list:
    """The comparisons of a sweep, validated up front (a bad value names the dimension)."""
    m = _model(model)
    spec = m.dimensions.spec(dimension)
    base = m.dimensions().replace(**fixed) if fixed else m.dimensions()
    if not values:
        raise ValueError(f"values must list at least one {spec.name}; got none")
    return [m.compare(base.replace(**{dimension: v})) for v in values]


def sweep_player(model: Model | str, dimension: str, values: Sequence[float], *,
                 interval_ms: int = 900, alt: str | None = None, **fixed: Any):
    """An HTML player of the model's figure as ``dimension`` takes each of ``values``.

    Other dimensions take their defaults, or the values in ``fixed``. Every frame is drawn on
    the same axes (the chapter figure's layout for the first frame), so frames compare by
    eye. ``alt`` is the frames' alt text, written by the chapter's author to say what the
    sweep shows; by default it is the figure's own description
    (:meth:`~kscale_lab.figures.ChapterFigure.describe`) and the range swept. Returns an
    :class:`IPython.display.HTML` object (display it, or take ``.data``).
    """
    from IPython.display import HTML

    from kscale_lab import style

    m = _model(model)
    spec = m.dimensions.spec(dimension)
    comparisons = sweep_frames(m, dimension, values, **fixed)
    painter_class = m.painter()
    keys = {painter_class.layout_key(c.dimensions) for c in comparisons}
    if len(keys) > 1:
        raise ValueError(f"sweeping {dimension} changes the figure's axes; a player needs "
                         "one set of axes for every frame (fix the dimensions they depend on)")
    band_in = 0.3                          # a strip under the figure for the frame's value
    height = painter_class.height_in + band_in
    fig = style.new_figure(height)
    fig.get_layout_engine().set(rect=(0, band_in / height, 1, 1 - band_in / height))
    painter = painter_class(fig, comparisons[0].dimensions)
    fig.canvas.draw()
    fig.set_layout_engine("none")          # every frame keeps the first frame's axes
    drawn: list = []

    def draw(i: int) -> list:
        for item in drawn:
            item.remove()
        drawn[:] = painter.draw(comparisons[i])
        drawn.append(fig.text(0.01, 0.01, f"{spec.label} = "
                              f"{spec.format(comparisons[i].dimensions.as_dict()[dimension])}"
                              f"   (frame {i + 1} of {len(comparisons)})",
                              fontsize=style.MIN_FONT_PT, color=style.NEUTRAL, va="bottom"))
        return []

    anim = FuncAnimation(fig, draw, frames=len(comparisons), interval=interval_ms, blit=False)
    markup = anim.to_jshtml(default_mode="once")
    # The template links Font Awesome from a CDN for its button icons; the book's theme (and
    # JupyterLab) already ship Font Awesome, and the site must load nothing from other hosts.
    markup = re.sub(r"<link[^>]*font-awesome[^>]*>", "", markup)
    first = spec.format(comparisons[0].dimensions.as_dict()[dimension])
    last = spec.format(comparisons[-1].dimensions.as_dict()[dimension])
    if alt is None:
        alt = (f"{painter_class.describe()} One frame per value of {spec.label}, from {first} "
               f"to {last}.")
    alt = html.escape(alt, quote=True)
    markup = re.sub(r"<img id=\"(_anim_img[0-9a-f]+)\"", rf'<img id="\1" alt="{alt}"', markup)
    return HTML(markup)
