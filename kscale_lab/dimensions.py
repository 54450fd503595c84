"""Dimensions as data: the inputs of every model, with range, unit and help text.

A chapter's model takes a frozen dataclass of *dimensions* — the quantities the talk says
"suffer" (#nodes, #images/node, …) and the Kubernetes settings that shape the mechanism
(update periods, compaction interval, quota …). Each field is declared with :func:`dimension`,
which stores its allowed range, unit and help text in the field's metadata. That metadata is
read by three consumers, so nothing is written twice:

* validation, when the dataclass is constructed (:class:`Dimensions`);
* the widgets, which build one slider per field (:mod:`kscale_lab.widgets`);
* the ``kscale`` command line, which builds one ``--option`` per field (:mod:`kscale_lab.cli`).

Example::

    @dataclass(frozen=True)
    class Cluster(Dimensions):
        nodes: int = dimension(100, lo=1, hi=5000, unit="nodes", help="Nodes in the cluster")

    Cluster(nodes=6000)   # ValueError: nodes must be between 1 and 5000 nodes; got 6000
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DimensionSpec:
    """What the metadata of one dimension says: its range, unit, scale and help text."""

    name: str
    default: float
    lo: float
    hi: float
    unit: str
    help: str
    integer: bool
    log: bool
    step: float | None
    label: str

    def check(self, value: Any) -> int | float:
        """Return ``value`` as int/float if it lies in range, else raise ``ValueError``.

        The message names the dimension, the allowed range with its unit and the value given.
        """
        rng = f"{_fmt(self.lo)} to {_fmt(self.hi)}{' ' + self.unit if self.unit else ''}"
        kind = "a whole number" if self.integer else "a number"
        where = f"{self.name} must be {kind} from {rng}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{where}; got {value!r} ({type(value).__name__})")
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"{where}; got NaN")
        if self.integer:
            if value != math.floor(value):
                raise ValueError(f"{where}; got {value!r}")
            value = int(value)
        else:
            value = float(value)
        if not (self.lo <= value <= self.hi):
            raise ValueError(f"{where}; got {_fmt(value)}")
        return value


def _fmt(x: float) -> str:
    if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
        return str(x)
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def dimension(
    default: float,
    *,
    lo: float,
    hi: float,
    unit: str = "",
    help: str,
    integer: bool | None = None,
    log: bool = False,
    step: float | None = None,
    label: str | None = None,
) -> Any:
    """Declare one dimension of a model as a dataclass field.

    ``lo`` and ``hi`` are inclusive bounds (use ``lo`` > 0 where zero makes no sense);
    ``integer`` defaults to whether ``default`` is an ``int``; ``log`` asks widgets for a
    logarithmic slider; ``label`` is the short name shown beside a slider.
    """
    if integer is None:
        integer = isinstance(default, int) and not isinstance(default, bool)
    meta = {"kscale_dimension": {"lo": lo, "hi": hi, "unit": unit, "help": help,
                                 "integer": integer, "log": log, "step": step, "label": label}}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Dimensions:
    """Base class for a model's dimensions: validates every field on construction."""

    def __post_init__(self) -> None:
        for spec in self.specs():
            value = spec.check(getattr(self, spec.name))
            object.__setattr__(self, spec.name, value)
        self.check()

    def check(self) -> None:
        """Cross-field rules; subclasses override and raise ``ValueError`` naming the fields."""

    @classmethod
    def specs(cls) -> list[DimensionSpec]:
        """The :class:`DimensionSpec` of every field, in declaration order."""
        out = []
        for f in dataclasses.fields(cls):
            meta = f.metadata.get("kscale_dimension")
            if meta is None:
                continue
            out.append(DimensionSpec(
                name=f.name, default=f.default, lo=meta["lo"], hi=meta["hi"], unit=meta["unit"],
                help=meta["help"], integer=meta["integer"], log=meta["log"], step=meta["step"],
                label=meta["label"] or f.name.replace("_", " ")))
        return out

    @classmethod
    def spec(cls, name: str) -> DimensionSpec:
        for s in cls.specs():
            if s.name == name:
                return s
        known = ", ".join(s.name for s in cls.specs())
        raise ValueError(f"unknown dimension {name!r}; known dimensions: {known}")

    def replace(self, **changes: Any) -> Dimensions:
        """A copy with some dimensions changed (validated like a new instance)."""
        for name in changes:
            self.spec(name)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, int | float]:
        return {s.name: getattr(self, s.name) for s in self.specs()}
