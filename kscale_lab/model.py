"""One interface for every mechanism: dimensions in, naive and improved outcomes out.

Every chapter's model is a :class:`Model` with

* ``dimensions`` — a :class:`~kscale_lab.dimensions.Dimensions` dataclass (the inputs),
* ``naive(dims)`` and ``improved(dims)`` — the two versions of the mechanism, returning the
  same :class:`Outcome` type,
* ``plot(comparison, fig)`` — the chapter's key figure, naive beside improved.

``compare`` runs both and returns a :class:`Comparison`, which the widgets draw and the
``kscale run`` command prints as a table or as JSON. Outcome fields declared with
:func:`metric` are the scalar results (units in the name, ``None`` meaning "never");
other fields (time series, tables) are there for figures.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from kscale_lab.dimensions import Dimensions


def metric(*, unit: str = "", help: str, none: str = "never") -> Any:
    """Declare a scalar result of an :class:`Outcome`.

    ``None`` is an allowed value; tables show it as ``none`` ("never" by default, e.g.
    "unbounded" for a latency whose queue never drains).
    """
    return dataclasses.field(metadata={"kscale_metric": {"unit": unit, "help": help,
                                                         "none": none}})


@dataclass(frozen=True)
class Outcome:
    """Base class of a model's result; subclasses declare fields with :func:`metric`."""

    @classmethod
    def metric_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if "kscale_metric" in f.metadata]

    def metrics(self) -> dict[str, float | int | bool | None]:
        """The scalar results, by name, as plain Python numbers (JSON-ready)."""
        out: dict[str, float | int | bool | None] = {}
        for f in self.metric_fields():
            v = getattr(self, f.name)
            if v is None or isinstance(v, bool):
                out[f.name] = v
            elif isinstance(v, int) or (hasattr(v, "dtype") and v.dtype.kind in "iu"):
                out[f.name] = int(v)
            else:
                out[f.name] = float(v)
        return out

    def formatted(self) -> dict[str, tuple[str, str]]:
        """Each metric as ``(human-readable value, unit)``, for tables and widgets."""
        values = self.metrics()
        out = {}
        for f in self.metric_fields():
            meta = f.metadata["kscale_metric"]
            v = values[f.name]
            out[f.name] = (meta["none"] if v is None else format_value(v, meta["unit"]),
                           meta["unit"])
        return out


@dataclass(frozen=True)
class Comparison:
    """Naive and improved outcomes of one model at one point of its dimensions."""

    model: Model
    dimensions: Dimensions
    naive: Outcome
    improved: Outcome

    def as_dict(self) -> dict[str, Any]:
        """``{"chapter", "dimensions", "naive", "improved"}``, the ``kscale run --json`` shape."""
        return {"chapter": self.model.key, "dimensions": self.dimensions.as_dict(),
                "naive": self.naive.metrics(), "improved": self.improved.metrics()}

    def table(self) -> str:
        """A plain-text table: one row per metric, naive and improved side by side."""
        rows = [("metric", self.model.naive_label, self.model.improved_label, "unit")]
        a, b = self.naive.formatted(), self.improved.formatted()
        for name, (value, unit) in a.items():
            rows.append((name, value, b[name][0], unit))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if j in (0, 3) else c.rjust(w)
                                   for j, (c, w) in enumerate(zip(r, widths))).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def format_value(v: float | int | bool | None, unit: str = "") -> str:
    """Human formatting for tables: ``never`` for None, thousands separators, 4 digits;
    byte quantities (unit ``B`` or ``B/s``) also in binary units, e.g. ``9.54 MiB``."""
    if v is None:
        return "never"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if unit in ("B", "B/s") and v >= 1024:
        from kscale_lab.style import human_bytes

        return human_bytes(v) + ("/s" if unit == "B/s" else "")
    if isinstance(v, int):
        return f"{v:,}"
    if math.isinf(v):
        return "inf"
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
        return f"{v:.4g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


class Model(ABC):
    """A chapter's mechanism in two versions behind one interface."""

    key: ClassVar[str]            # the name used by ``kscale run KEY``
    chapter: ClassVar[int]
    title: ClassVar[str]
    dimensions: ClassVar[type[Dimensions]]
    naive_label: ClassVar[str] = "naive"
    improved_label: ClassVar[str] = "improved"

    @abstractmethod
    def naive(self, dims: Dimensions) -> Outcome:
        """The mechanism as it was before the fix."""

    @abstractmethod
    def improved(self, dims: Dimensions) -> Outcome:
        """The mechanism after the fix."""

    @abstractmethod
    def plot(self, comparison: Comparison, fig: Any) -> None:
        """Draw the chapter's key figure for ``comparison`` into the Matplotlib ``fig``."""

    def compare(self, dims: Dimensions | None = None, **changes: Any) -> Comparison:
        """Run both versions at ``dims`` (default dimensions, with ``changes`` applied)."""
        dims = dims if dims is not None else self.dimensions()
        if changes:
            dims = dims.replace(**changes)
        if not isinstance(dims, self.dimensions):
            raise ValueError(f"{self.key} takes {self.dimensions.__name__}, "
                             f"got {type(dims).__name__}")
        return Comparison(self, dims, self.naive(dims), self.improved(dims))

    def figure(self, comparison: Comparison | None = None, **changes: Any):
        """A new Matplotlib figure of :meth:`plot` (handy in chapters and notebooks)."""
        from kscale_lab import style

        comparison = comparison or self.compare(**changes)
        fig = style.new_figure()
        self.plot(comparison, fig)
        return fig
