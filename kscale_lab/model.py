"""One interface for every mechanism: dimensions in, naive and improved outcomes out.

Every chapter's model is a :class:`Model` with

* ``dimensions`` — a :class:`~kscale_lab.dimensions.Dimensions` dataclass (the inputs);
* ``versions`` — its two :class:`Version` values, the mechanism *before* the fix (naive) and
  *after* it (improved), each with the label the chapter uses ("NodeStatus every 10 s");
* ``run(dims, version)`` — the mechanism in that version, returning an :class:`Outcome`;
* ``figure`` — the dotted path of its :class:`~kscale_lab.figures.ChapterFigure`, the
  chapter's key figure (imported only when something is drawn, so models never import
  Matplotlib).

``compare`` runs both versions and returns a :class:`Comparison`, which the widgets draw and
``kscale run`` prints as a table or as JSON (with the model's :meth:`~Model.summary` of it, a
dict that is empty unless the chapter has one answer to give at the top). Outcome fields
declared with :func:`metric` are the scalar results (units in the name, ``None`` meaning
"never"); every outcome also carries ``load``, an :class:`~kscale_lab.control_plane.ApiLoad`
in the one currency all chapters share, so the capstone can add chapters together. Other
fields (time series, curves) are there for figures: a figure draws from the comparison it is
given and never reruns the model.

Every metric is deterministic: the same dimensions give the same numbers in any process.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import Dimensions

__all__ = ["Comparison", "DimsT", "Model", "Outcome", "OutcomeT", "Version", "format_value",
           "metric", "side_of"]

SIDES = ("naive", "improved")


@dataclass(frozen=True)
class Version:
    """One version of a mechanism: its ``side`` of the fix and the chapter's label for it.

    >>> Version("naive", "NodeStatus every 10 s").is_naive
    True
    """

    side: str
    """``"naive"`` (before the fix) or ``"improved"`` (after it)."""
    label: str
    """What the chapter calls this version, e.g. ``"Lease + rare NodeStatus"``."""

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"side must be 'naive' or 'improved'; got {self.side!r}")

    @property
    def is_naive(self) -> bool:
        return self.side == "naive"

    def __str__(self) -> str:
        return self.label

    def __format__(self, spec: str) -> str:
        return format(self.label, spec)


def side_of(version: Version | str) -> str:
    """``"naive"`` or ``"improved"``, from a :class:`Version` or from that string itself
    (the lower-level simulations accept either)."""
    side = getattr(version, "side", version)
    if side not in SIDES:
        raise ValueError(f"version must be 'naive' or 'improved'; got {version!r}")
    return side


def metric(*, unit: str = "", help: str, none: str = "never") -> Any:
    """Declare a scalar result of an :class:`Outcome`.

    ``None`` is an allowed value; tables show it as ``none`` ("never" by default, e.g.
    "unbounded" for a latency whose queue never drains).
    """
    return dataclasses.field(metadata={"kscale_metric": {"unit": unit, "help": help,
                                                         "none": none}})


@dataclass(frozen=True)
class Outcome:
    """Base class of a model's result; subclasses declare fields with :func:`metric`.

    ``load`` (keyword-only, required) is what this version puts on the apiserver and etcd.
    """

    load: ApiLoad = dataclasses.field(kw_only=True, repr=False)

    @classmethod
    def metric_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if "kscale_metric" in f.metadata]

    def metrics(self) -> dict[str, float | int | bool | None]:
        """The scalar results, by name, as plain Python numbers (JSON-ready)."""
        out: dict[str, float | int | bool | None] = {}
        for f in self.metric_fields():
            v = getattr(self, f.name)
            if v is None or isinstance(v, bool) or type(v).__name__ == "bool_":
                out[f.name] = None if v is None else bool(v)
            elif isinstance(v, int) or (hasattr(v, "dtype") and v.dtype.kind in "iu"):
                out[f.name] = int(v)
            else:
                out[f.name] = float(v) + 0.0
        return out

    def as_dict(self) -> dict[str, Any]:
        """The metrics and the ``load`` object: one version's part of ``kscale run --json``."""
        return {**self.metrics(), "load": self.load.as_dict()}

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
    """Both versions' outcomes of one model at one point of its dimensions.

    Iterating gives ``(version, outcome)`` pairs, naive first.
    """

    model: Model
    dimensions: Dimensions
    naive: Outcome
    improved: Outcome

    def __iter__(self) -> Iterator[tuple[Version, Outcome]]:
        yield self.model.versions[0], self.naive
        yield self.model.versions[1], self.improved

    def outcome(self, version: Version) -> Outcome:
        return self.naive if version.is_naive else self.improved

    def as_dict(self) -> dict[str, Any]:
        """``{"chapter", "dimensions", "naive", "improved"}``, the ``kscale run --json`` shape;
        each version holds its metrics and its ``load`` object. The model's
        :meth:`~Model.summary` of this comparison, if any, follows at the top level."""
        out = {"chapter": self.model.key, "dimensions": self.dimensions.as_dict(),
               "naive": self.naive.as_dict(), "improved": self.improved.as_dict()}
        summary = self.model.summary(self)
        clash = sorted(set(summary) & set(out))
        if clash:
            raise ValueError(f"summary keys must not be {', '.join(sorted(out))}; "
                             f"{self.model.key} gives {', '.join(clash)}")
        return {**out, **summary}

    def table(self) -> str:
        """A plain-text table: one row per metric, naive and improved side by side."""
        naive, improved = self.model.versions
        rows = [("metric", naive.label, improved.label, "unit")]
        a, b = self.naive.formatted(), self.improved.formatted()
        for name, (value, unit) in a.items():
            rows.append((name, value, b[name][0], unit))
        for name, getter, unit in LOAD_ROWS:
            rows.append((name, format_value(getter(self.naive.load), unit),
                         format_value(getter(self.improved.load), unit), unit))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if j in (0, 3) else c.rjust(w)
                                   for j, (c, w) in enumerate(zip(r, widths))).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


#: The rows of the shared load shown under every table (the JSON has all of it).
LOAD_ROWS = (
    ("load: requests", lambda ld: ld.requests_per_s, "req/s"),
    ("load: rejected (429)", lambda ld: ld.rejected_per_s, "req/s"),
    ("load: etcd writes", lambda ld: ld.etcd_write_bytes_per_s, "B/s"),
    ("load: watch events", lambda ld: ld.watch_events_per_s, "events/s"),
    ("load: watch bytes", lambda ld: ld.watch_bytes_per_s, "B/s"),
)


def format_value(v: float | int | bool | None, unit: str = "") -> str:
    """Human formatting for tables: ``never`` for None, thousands separators, 4 digits;
    byte quantities (unit ``B`` or ``B/s``) also in binary units, e.g. ``9.54 MiB``."""
    if v is None:
        return "never"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if unit in ("B", "B/s") and v >= 1024:
        from kscale_lab.units import human_bytes

        return human_bytes(v) + ("/s" if unit == "B/s" else "")
    if isinstance(v, int):
        return f"{v:,}"
    if math.isinf(v) or math.isnan(v):
        return str(v)
    v += 0.0
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
        return f"{v:.4g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


#: A model's dimensions type (a :class:`~kscale_lab.dimensions.Dimensions` dataclass).
DimsT = TypeVar("DimsT", bound=Dimensions)
#: A model's outcome type (an :class:`Outcome` dataclass).
OutcomeT = TypeVar("OutcomeT", bound=Outcome)


class Model(ABC, Generic[DimsT, OutcomeT]):
    """A chapter's mechanism in two versions behind one interface.

    Generic in its dimensions and its outcome: a chapter declares
    ``class HeartbeatsModel(Model[HeartbeatDimensions, HeartbeatOutcome])``, so a type
    checker knows that ``run``, ``naive`` and ``improved`` take that chapter's dimensions
    and return that chapter's outcome.
    """

    key: ClassVar[str]
    """The name used by ``kscale run KEY`` (the chapter's registry key)."""
    chapter: ClassVar[int]
    title: ClassVar[str]
    dimensions: ClassVar[type[Dimensions]]
    """The dimensions dataclass (``DimsT`` itself; a class variable cannot name a type
    variable, so it is typed by the bound)."""
    versions: ClassVar[tuple[Version, Version]]
    """``(naive, improved)``."""
    figure_class: ClassVar[str]
    """``"module:Class"`` of the chapter's :class:`~kscale_lab.figures.ChapterFigure`."""

    @abstractmethod
    def run(self, dims: DimsT, version: Version) -> OutcomeT:
        """The mechanism in ``version`` at ``dims``."""

    def summary(self, comparison: Comparison) -> dict[str, Any]:
        """What this chapter answers at the top of ``kscale run KEY --json``, beside
        ``naive`` and ``improved``: JSON-ready values by name (never ``chapter``,
        ``dimensions``, ``naive`` or ``improved``).

        Most chapters compare two versions, and both sides say it all: the default is
        empty. A model whose question has one answer overrides it (the capstone: which
        bottleneck bites first on the release the reader picked).
        """
        return {}

    def version(self, side: str) -> Version:
        """This model's version on ``side`` (``"naive"`` or ``"improved"``)."""
        return self.versions[SIDES.index(side_of(side))]

    def _checked(self, dims: Any) -> DimsT:
        if not isinstance(dims, self.dimensions):
            raise ValueError(f"{self.key} takes {self.dimensions.__name__}, "
                             f"got {type(dims).__name__}")
        return dims  # type: ignore[return-value]  # isinstance of the class DimsT stands for

    def naive(self, dims: DimsT) -> OutcomeT:
        """The mechanism as it was before the fix."""
        return self.run(self._checked(dims), self.versions[0])

    def improved(self, dims: DimsT) -> OutcomeT:
        """The mechanism after the fix."""
        return self.run(self._checked(dims), self.versions[1])

    def compare(self, dims: DimsT | None = None, **changes: Any) -> Comparison:
        """Run both versions at ``dims`` (default dimensions, with ``changes`` applied)."""
        dims = dims if dims is not None else self.dimensions()
        dims = self._checked(dims)
        if changes:
            dims = dims.replace(**changes)
        return Comparison(self, dims, self.naive(dims), self.improved(dims))

    def painter(self) -> type:
        """The chapter's figure class (imports Matplotlib)."""
        module, _, name = self.figure_class.partition(":")
        return getattr(importlib.import_module(module), name)

    def plot(self, comparison: Comparison, fig: Any, *, fit: bool = False) -> Any:
        """Draw the chapter's key figure for ``comparison`` into the Matplotlib ``fig``;
        returns the :class:`~kscale_lab.figures.ChapterFigure` that drew it. ``fit``: axes
        fitted to this comparison's data (:meth:`~kscale_lab.figures.ChapterFigure.fit`)
        instead of the explorer's fixed ones."""
        painter = self.painter()(fig, comparison.dimensions)
        if fit:
            painter.fit(comparison)
        painter.draw(comparison)
        return painter

    def figure(self, comparison: Comparison | None = None, *, fit: bool = False,
               **changes: Any) -> Any:
        """A new Matplotlib figure of the chapter's key figure (for chapters and notebooks).

        ``fit=True`` fits the axes to this comparison's data, for a figure shown on its own
        (a chapter's static figure); by default the axes are the explorer's, fixed so that
        two settings compare by eye.

        The figure is not kept by ``pyplot``, so making many never piles up open figures;
        in a notebook, make it the cell's last expression (or ``display`` it) to show it.
        """
        from kscale_lab.figures import new_figure

        comparison = comparison or self.compare(**changes)
        fig = new_figure(self.painter().height_in)
        self.plot(comparison, fig, fit=fit)
        return fig
