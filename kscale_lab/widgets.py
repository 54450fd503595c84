"""Widgets from metadata: one explorer for every chapter's model.

:func:`explore` reads a model's :class:`~kscale_lab.dimensions.Dimensions` and builds one
control per dimension — a slider for a number (integer, real or logarithmic, with the range
and unit from the field's metadata and its help text as a tooltip), a drop-down for a choice,
a checkbox for an on/off setting. Moving a control recomputes naive *and* improved and
redraws the chapter's figure beside a table of the metrics.

Three promises:

* **What the controls show is what was computed.** A move the model refuses (a grace period
  shorter than the heartbeat, say) puts the control back where it was and says why; a
  slider whose range depends on another dimension (a failure time within the simulated time)
  follows that dimension.
* **Fast.** Sliders use ``continuous_update=False`` (nothing recomputes while a handle is
  dragged), and the figure is redrawn by :class:`~kscale_lab.figures.live.LiveFigure`: the
  axes, ticks and labels are rendered once, only the data on every move.
* **Still axes.** A chapter's figure keeps its axes across slider positions, so two
  positions can be compared by eye.

Where no kernel runs (the published website), controls could only move while nothing
recomputes. So an explorer displays in two forms at once: the live widget, which Jupyter
shows, and, as its ``text/html`` form, a note that it needs a running kernel — with the
figure and the metrics at its current settings and a ``<span class="kscale-launch">`` that the
website turns into one-click launch or download links — which the website shows
(``nb_mime_priority_overrides`` in ``_config.yml`` prefers it to the widget view).
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import ipywidgets as W

from kscale_lab.dimensions import DimensionSpec
from kscale_lab.figures.live import LiveFigure
from kscale_lab.model import Comparison, Model

__all__ = ["Explorer", "control_for", "explore"]

_WIDE = {"style": {"description_width": "18em"}, "layout": W.Layout(width="40em",
                                                                    max_width="100%")}


def control_for(spec: DimensionSpec, value: Any, hi: float | None = None) -> W.ValueWidget:
    """The control a dimension's metadata asks for, set to ``value`` (``hi``: a tighter
    upper bound than the spec's, for a range that depends on another dimension)."""
    desc = spec.label + (f" ({spec.unit})" if spec.unit else "")
    common = dict(description=desc, tooltip=spec.help, **_WIDE)
    if spec.kind == "bool":
        return W.Checkbox(value=bool(value), indent=False, **common)
    if spec.kind == "choice":
        return W.Dropdown(options=list(spec.choices), value=value, **common)
    hi = spec.hi if hi is None else min(hi, spec.hi)
    common["continuous_update"] = False
    if spec.log:
        lo, top = math.log10(spec.lo), math.log10(hi)
        return W.FloatLogSlider(value=max(value, spec.lo), base=10, min=lo, max=top,
                                step=(top - lo) / 200,
                                readout_format=",.0f" if spec.integer else ".3g", **common)
    if spec.integer:
        return W.IntSlider(value=int(value), min=int(spec.lo), max=int(hi),
                           step=int(spec.step or 1), **common)
    return W.FloatSlider(value=value, min=spec.lo, max=hi,
                         step=spec.step or (spec.hi - spec.lo) / 100, readout_format=".4g",
                         **common)


def _from_control(spec: DimensionSpec, v: Any) -> Any:
    """A control's value back in the dimension's domain (log sliders give floats)."""
    if not spec.numeric:
        return v
    v = min(max(v, spec.lo), spec.hi)
    if spec.integer:
        return int(round(v))
    if spec.step:                       # 0.1 + 0.2 on a slider is 0.30000000000000004
        return float(round(v / spec.step) * spec.step)
    return float(v)


def _set_max(control: W.ValueWidget, spec: DimensionSpec, hi: float) -> None:
    hi = min(hi, spec.hi)
    control.max = math.log10(hi) if spec.log else (int(hi) if spec.integer else hi)


def metrics_html(c: Comparison) -> str:
    """The comparison as a small HTML table, naive and improved in their colours."""
    from kscale_lab.tables import comparison_table

    return comparison_table(c)


class Explorer:
    """Controls over a model's dimensions, a figure and a metrics table that follow them.

    ``only`` limits the controls to some dimensions (the others keep the values in ``dims``);
    ``changes`` set initial values. :meth:`update` is what a control calls; tests and the
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
        self.controls: dict[str, W.ValueWidget] = {}
        for s in specs:
            bound = self._bound(s, self.dims)
            self.controls[s.name] = control_for(s, getattr(self.dims, s.name), bound)
        self.sliders = self.controls                 # the name the labs have used
        self.live = LiveFigure(model)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.table = W.HTML()
        self.message = W.HTML()
        self._reverting = False
        for name, control in self.controls.items():
            control.observe(self._on_change(name), names="value")
        self.comparison: Comparison | None = None
        self.widget = W.VBox([W.VBox(list(self.controls.values())), self.message,
                              self.image, self.table])
        self.update()

    def _bound(self, spec: DimensionSpec, dims: Any) -> float | None:
        if spec.hi_dim is None:
            return None
        return getattr(dims, spec.hi_dim) + spec.hi_offset

    def _on_change(self, name: str):
        def handler(change: dict) -> None:
            if self._reverting:
                return
            if self.update(**{name: _from_control(self.specs[name], change["new"])}) is None:
                self._revert(name)
        return handler

    def _revert(self, name: str) -> None:
        """Put a refused control back on the value that was computed."""
        self._reverting = True
        try:
            spec, value = self.specs[name], getattr(self.dims, name)
            self.controls[name].value = value if not spec.log else max(value, spec.lo)
        finally:
            self._reverting = False

    def update(self, **changes: Any) -> Comparison | None:
        """Apply ``changes``, recompute and redraw; returns the comparison, or ``None`` (and
        a message saying why) when the model refuses the new dimensions."""
        try:
            dims = self.dims.replace(**changes) if changes else self.dims
            comparison = self.model.compare(dims)
        except ValueError as err:     # a rule between dimensions: say why, keep the figure
            self.message.value = ("<b style='color:#b00'>Not a valid cluster:</b> "
                                  f"{html.escape(str(err))} <i>(the control went back)</i>")
            return None
        self.dims, self.comparison = dims, comparison
        for name, spec in self.specs.items():      # ranges that follow other dimensions
            if spec.hi_dim in changes:
                self._reverting = True
                try:
                    _set_max(self.controls[name], spec, self._bound(spec, dims))
                finally:
                    self._reverting = False
        self.message.value = ""
        self.image.value = self.render(comparison)
        self.table.value = metrics_html(comparison)
        return comparison

    def render(self, comparison: Comparison) -> bytes:
        """The figure of ``comparison`` as PNG bytes."""
        return self.live.render(comparison)

    def settings_text(self) -> str:
        """The explorer's controls and their values: ``nodes = 5,000 nodes; …``."""
        return "; ".join(f"{spec.label} = {spec.format(getattr(self.dims, name))}"
                         for name, spec in self.specs.items())

    def figure_alt(self) -> str:
        """Alt text of the figure: what the chapter's figure shows, at which settings."""
        return f"{self.live.painter_class.describe()} Settings: {self.settings_text()}."

    def static_html(self) -> str:
        """What a page without a kernel shows instead of the live controls.

        A note that the explorer needs a running kernel (with a placeholder the website
        replaces by its launch or download links), the figure at the current settings as an
        image with alt text, and the metrics table.
        """
        png = base64.b64encode(self.image.value).decode("ascii")
        controls = ", ".join(spec.label for spec in self.specs.values())
        return (
            '<div class="kscale-needs-kernel">'
            '<p class="kscale-needs-kernel-title">Live explorer: needs a running Python kernel'
            "</p>"
            f"<p>In Jupyter this is an explorer with controls for {html.escape(controls)}; "
            "moving one recomputes both versions and redraws the figure. This page has no "
            "kernel to recompute, so instead of controls that would move while nothing "
            "changes, it shows the figure and the metrics at the lab's settings "
            f"({html.escape(self.settings_text())}). "
            '<span class="kscale-launch">Run this notebook in Jupyter to use the controls.'
            "</span></p>"
            f'<img src="data:image/png;base64,{png}" alt="{html.escape(self.figure_alt())}">'
            f"{self.table.value}</div>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget for Jupyter, and :meth:`static_html` for a page without a kernel."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = (f"Explorer of {self.model.title} ({self.settings_text()}); "
                                "its controls need a running kernel")
        bundle["text/html"] = self.static_html()
        return bundle


def explore(model: Model | str, only: list[str] | None = None, **changes: Any) -> Explorer:
    """Build (and, in a notebook, show) an :class:`Explorer` for a model or chapter key."""
    if isinstance(model, str):
        from kscale_lab.chapters import get

        model = get(model)
    return Explorer(model, only=only, **changes)
