"""Widgets from metadata: one explorer for every chapter's model.

:func:`explore` reads a model's :class:`~kscale_lab.dimensions.Dimensions` and builds one
slider per dimension (integer, float or logarithmic, with the range and unit from the field's
metadata and its help text as a tooltip). Moving a slider recomputes naive *and* improved and
redraws the chapter's figure beside a table of the metrics. Sliders use
``continuous_update=False``: nothing is recomputed while a handle is being dragged, only when
it is released (or moved with the keyboard), which keeps the kernel free and the page calm.
"""

from __future__ import annotations

import io
import math
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import Image, display

from kscale_lab.dimensions import DimensionSpec
from kscale_lab.model import Comparison, Model

__all__ = ["Explorer", "explore", "slider_for"]


def slider_for(spec: DimensionSpec, value: float) -> W.ValueWidget:
    """The slider a dimension's metadata asks for, set to ``value``."""
    desc = spec.label + (f" ({spec.unit})" if spec.unit else "")
    common = dict(description=desc, continuous_update=False, tooltip=spec.help,
                  style={"description_width": "18em"}, layout=W.Layout(width="40em"))
    if spec.log:
        lo, hi = math.log10(max(spec.lo, 1e-12)), math.log10(spec.hi)
        s = W.FloatLogSlider(value=max(value, spec.lo), base=10, min=lo, max=hi,
                             step=(hi - lo) / 200,
                             readout_format=",.0f" if spec.integer else ".3g", **common)
    elif spec.integer:
        s = W.IntSlider(value=int(value), min=int(spec.lo), max=int(spec.hi),
                        step=int(spec.step or 1), **common)
    else:
        s = W.FloatSlider(value=value, min=spec.lo, max=spec.hi,
                          step=spec.step or (spec.hi - spec.lo) / 100, readout_format=".4g",
                          **common)
    return s


def _clip(spec: DimensionSpec, v: float) -> int | float:
    """Slider values back into a dimension's domain (log sliders give floats)."""
    v = min(max(v, spec.lo), spec.hi)
    return int(round(v)) if spec.integer else float(v)


def metrics_html(c: Comparison) -> str:
    """The comparison as a small HTML table, naive and improved in their colours."""
    from kscale_lab import style

    a, b = c.naive.formatted(), c.improved.formatted()
    rows = "".join(
        f"<tr><td>{k}</td><td style='text-align:right'>{value}</td>"
        f"<td style='text-align:right'>{b[k][0]}</td><td>{unit}</td></tr>"
        for k, (value, unit) in a.items())
    return ("<table class='kscale-metrics'><thead><tr><th>metric</th>"
            f"<th style='color:{style.NAIVE}'>{c.model.naive_label}</th>"
            f"<th style='color:{style.IMPROVED}'>{c.model.improved_label}</th><th>unit</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


class Explorer:
    """Sliders over a model's dimensions, a figure and a metrics table that follow them.

    ``only`` limits the sliders to some dimensions (the others keep the values in ``dims``);
    ``changes`` set initial values. :meth:`update` is what a slider calls; tests and the
    benchmark call it directly.
    """

    def __init__(self, model: Model, dims: Any = None, only: list[str] | None = None,
                 **changes: Any) -> None:
        self.model = model
        dims = dims or model.dimensions()
        self.dims = dims.replace(**changes) if changes else dims
        specs = model.dimensions.specs()
        if only is not None:
            for name in only:
                model.dimensions.spec(name)
            specs = [s for s in specs if s.name in only]
        self.specs = {s.name: s for s in specs}
        self.sliders = {s.name: slider_for(s, getattr(self.dims, s.name)) for s in specs}
        self.output = W.Output(layout=W.Layout(min_height="24em"))
        self.table = W.HTML()
        self.message = W.HTML()
        for name, sl in self.sliders.items():
            sl.observe(self._on_change(name), names="value")
        self.comparison: Comparison | None = None
        self._positions: list | None = None      # the first figure's layout, reused
        self.widget = W.VBox([W.VBox(list(self.sliders.values())), self.message,
                              self.output, self.table])
        self.update()

    def _on_change(self, name: str):
        def handler(change: dict) -> None:
            self.update(**{name: _clip(self.specs[name], change["new"])})
        return handler

    def update(self, **changes: Any) -> Comparison | None:
        """Apply ``changes`` to the dimensions, recompute and redraw; returns the comparison."""
        try:
            dims = self.dims.replace(**changes) if changes else self.dims
            comparison = self.model.compare(dims)
        except ValueError as err:     # cross-field rules: say why, keep the last good figure
            self.message.value = f"<b style='color:#b00'>Not a valid cluster:</b> {err}"
            return None
        self.dims, self.comparison = dims, comparison
        self.message.value = ""
        self.output.clear_output(wait=True)
        with self.output:
            display(Image(self.render(comparison)))
        self.table.value = metrics_html(comparison)
        return comparison

    def render(self, comparison: Comparison) -> bytes:
        """The figure as PNG bytes.

        The first figure is laid out by Matplotlib's constrained layout; later ones reuse its
        axes positions, which saves a third of an update's time.
        """
        from kscale_lab import style

        fig = style.new_figure(layout=None if self._positions else "constrained")
        self.model.plot(comparison, fig)
        if self._positions and len(self._positions) == len(fig.axes):
            for ax, pos in zip(fig.axes, self._positions):
                ax.set_position(pos)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        if not self._positions:
            self._positions = [ax.get_position() for ax in fig.axes]
        plt.close(fig)
        return buf.getvalue()
        self.table.value = metrics_html(comparison)
        return comparison

    def _ipython_display_(self) -> None:
        display(self.widget)


def explore(model: Model | str, only: list[str] | None = None, **changes: Any) -> Explorer:
    """Build (and, in a notebook, show) an :class:`Explorer` for a model or chapter key."""
    if isinstance(model, str):
        from kscale_lab.chapters import get

        model = get(model)
    return Explorer(model, only=only, **changes)

