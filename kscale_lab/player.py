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

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation

from kscale_lab.dimensions import _fmt
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
                 interval_ms: int = 900, **fixed: Any):
    """An HTML player of the model's figure as ``dimension`` takes each of ``values``.

    Other dimensions take their defaults, or the values in ``fixed``. Returns an
    :class:`IPython.display.HTML` object (display it, or take ``.data`` for the markup).
    """
    from IPython.display import HTML

    from kscale_lab import style

    m = _model(model)
    spec = m.dimensions.spec(dimension)
    comparisons = sweep_frames(m, dimension, values, **fixed)
    fig = style.new_figure()
    unit = f" {spec.unit}" if spec.unit else ""

    def draw(i: int) -> list:
        fig.clf()
        m.plot(comparisons[i], fig)
        fig.suptitle(f"{spec.label} = {_fmt(comparisons[i].dimensions.as_dict()[dimension])}"
                     f"{unit}   (frame {i + 1} of {len(comparisons)})", fontsize=10,
                     color=style.NEUTRAL)
        return []

    anim = FuncAnimation(fig, draw, frames=len(comparisons), interval=interval_ms, blit=False)
    markup = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    # The template links Font Awesome from a CDN for its button icons; the book's theme (and
    # JupyterLab) already ship Font Awesome, and the site must load nothing from other hosts.
    markup = re.sub(r"<link[^>]*font-awesome[^>]*>", "", markup)
    first = _fmt(comparisons[0].dimensions.as_dict()[dimension])
    last = _fmt(comparisons[-1].dimensions.as_dict()[dimension])
    alt = html.escape(f"{m.title}: the chapter's figure, naive beside improved, for "
                      f"{spec.label} from {first} to {last}{unit}, one frame per value",
                      quote=True)
    markup = re.sub(r"<img id=\"(_anim_img[0-9a-f]+)\"", rf'<img id="\1" alt="{alt}"', markup)
    return HTML(markup)
