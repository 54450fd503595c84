"""Dimensions as data: the inputs of every model, with range, unit and help text.

A chapter's model takes a frozen dataclass of *dimensions* — the quantities the talk says
"suffer" (#nodes, #images/node, …) and the Kubernetes settings that shape the mechanism
(update periods, compaction interval, quota, a Go client version, "bookmarks on" …). Each
field is declared with one of four helpers, which store what the field may hold in its
metadata:

* :func:`dimension` — a number (whole or real) in an inclusive range, with a unit;
* :func:`choice` — one of a few named values (IPVS ``rr``/``lc``, a Kubernetes version);
* :func:`flag` — on or off;
* :func:`shared` — a dimension several chapters have (``nodes``, ``services`` …), declared
  once in :data:`SHARED` with one range, so no two chapters disagree on what "nodes" may be.

That metadata is read by every consumer, so nothing is written twice: validation when the
dataclass is constructed, the widgets (one control per field), the ``kscale`` command line
(one ``--option`` per field) and the exercises.

Example::

    @dataclass(frozen=True)
    class Cluster(Dimensions):
        nodes: int = shared("nodes", 100)
        mode: str = choice("rr", choices=("rr", "lc"), help="IPVS scheduler")

    Cluster(nodes=20000)   # ValueError: nodes must be a whole number from 1 to 15,000 nodes;
                           # got 20,000

A rule between fields (a grace period longer than the heartbeat period, say) is declared in
:meth:`Dimensions.check` and raised as a :class:`DimensionConflict`, which names every field
involved, so a caller can say which of *its* values conflicts with which other value.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SHARED", "DimensionConflict", "DimensionSpec", "Dimensions", "choice",
           "dimension", "flag", "format_given", "format_number", "shared"]

_META = "kscale_dimension"
_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}


class DimensionConflict(ValueError):
    """Values that are each valid but not together; ``fields`` names every field involved."""

    def __init__(self, message: str, fields: Iterable[str]) -> None:
        super().__init__(message)
        self.rule = message
        self.fields = tuple(fields)


def require_grace_beyond(grace_period_s: float, period_s: float, what: str,
                          *fields: str) -> None:
    """The node lifecycle controller's rule, shared by every chapter with a
    ``grace_period_s``: the grace period must be longer than the heartbeat ``period_s`` (the
    ``what``), or healthy nodes are marked NotReady between two heartbeats. ``fields`` names
    the dimensions besides ``grace_period_s`` that set the period."""
    if grace_period_s <= period_s:
        raise DimensionConflict(
            f"grace_period_s must be longer than the {what} ({format_number(period_s)} s), "
            f"or healthy nodes would be marked NotReady; got {format_number(grace_period_s)} s",
            ("grace_period_s", *fields))


def format_number(x: float) -> str:
    """A number as a reader wants it: ``15,000``, ``0.25``, ``1e+308``; never ``-0``."""
    if isinstance(x, bool):
        return "on" if x else "off"
    if isinstance(x, numbers.Integral):
        x = int(x)
        if abs(x) < 10**15:
            return f"{x:,}"
        exponent = int(math.log10(abs(x)))            # exact for integers of any size
        return f"{x / 10**exponent:.3f}e+{exponent}"
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    x += 0.0                                   # -0.0 → 0.0
    if abs(x) >= 1e15:
        return f"{x:.3g}"
    if x.is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


# kept for callers of the old private name
_fmt = format_number


def format_given(x: float) -> str:
    """A value that was refused, exactly as given: ``100.0000000001``, not ``100``.

    :func:`format_number` rounds to what a reader needs (``{:g}``, six digits), which can
    make a refused value look allowed. Here a fraction keeps every digit it has (Python's
    shortest repr that reads back as the same float); whole numbers and huge values keep
    :func:`format_number`'s short forms (``20,000``; ``1e+308``, never 309 digits).
    """
    if isinstance(x, numbers.Integral) or isinstance(x, bool):
        return format_number(x)
    x = float(x)
    if math.isnan(x) or math.isinf(x) or abs(x) >= 1e15 or x.is_integer():
        return format_number(x)
    return repr(x + 0.0)


@dataclass(frozen=True)
class DimensionSpec:
    """What the metadata of one dimension says: its kind, range or choices, unit and help.

    ``kind`` is ``"int"``, ``"float"``, ``"choice"`` or ``"bool"``. Numbers have ``lo`` and
    ``hi`` (inclusive); ``hi_dim`` names another dimension whose value (plus ``hi_offset``)
    bounds this one from above as well — e.g. a failure time inside the simulated time.
    """

    name: str
    default: Any
    kind: str
    help: str
    label: str
    unit: str = ""
    lo: float = 0.0
    hi: float = 0.0
    log: bool = False
    step: float | None = None
    choices: tuple[str, ...] = ()
    hi_dim: str | None = None
    hi_offset: float = 0.0

    @property
    def integer(self) -> bool:
        return self.kind == "int"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    def allowed(self) -> str:
        """The allowed values in words: ``a whole number from 1 to 15,000 nodes``."""
        if self.kind == "bool":
            return "on or off"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "a whole number" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind} from {format_number(self.lo)} to {format_number(self.hi)}{unit}"

    def _refuse(self, shown: str) -> ValueError:
        return ValueError(f"{self.name} must be {self.allowed()}; got {shown}")

    def check(self, value: Any) -> Any:
        """Return ``value`` in this dimension's type if it is allowed, else raise ``ValueError``.

        The message names the dimension, what is allowed (with the unit) and the value given.
        NumPy scalars are accepted like Python numbers; ``inf``, NaN, enormous integers,
        strings and booleans given for numbers are refused, never let through to a model.
        """
        if self.kind == "bool":
            if isinstance(value, (bool,)) or _is_numpy_bool(value):
                return bool(value)
            raise self._refuse(_shown(value))
        if self.kind == "choice":
            if isinstance(value, str):
                for c in self.choices:
                    if value.strip().lower() == c.lower():
                        return c
            raise self._refuse(_shown(value))
        if isinstance(value, bool) or _is_numpy_bool(value) \
                or not isinstance(value, numbers.Real):
            raise self._refuse(_shown(value))
        if isinstance(value, numbers.Integral):
            value = int(value)
            if not (self.lo <= value <= self.hi):   # exact for integers of any size
                raise self._refuse(format_number(value))
            return value if self.integer else float(value)
        value = float(value)
        if math.isnan(value):
            raise self._refuse("NaN")
        if not (self.lo <= value <= self.hi):
            raise self._refuse(format_given(value))
        if self.integer:
            if not value.is_integer():
                raise self._refuse(format_given(value))
            return int(value)
        return value + 0.0

    def parse(self, text: str) -> Any:
        """A value typed on the command line, checked: ``"5000"``, ``"1e3"``, ``"on"``, ``"rr"``."""
        t = text.strip()
        if self.kind == "bool":
            if t.lower() in _TRUE:
                return True
            if t.lower() in _FALSE:
                return False
            raise self._refuse(repr(text))
        if self.kind == "choice":
            return self.check(t)
        try:
            number: float | int = int(t)
        except ValueError:
            try:
                number = float(t)
            except ValueError:
                raise self._refuse(repr(text)) from None
        return self.check(number)

    def format(self, value: Any) -> str:
        """``value`` as text with its unit: ``5,000 nodes``, ``on``, ``rr``."""
        if self.kind == "choice":
            return str(value)
        return format_number(value) + (f" {self.unit}" if self.unit and self.numeric else "")


def _is_numpy_bool(value: Any) -> bool:
    return type(value).__name__ == "bool_"


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return format_given(value) if isinstance(value, numbers.Real) else repr(value)
    return f"{value!r} ({type(value).__name__})"


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
    hi_dim: str | None = None,
    hi_offset: float = 0.0,
) -> Any:
    """Declare a numeric dimension of a model as a dataclass field.

    ``lo`` and ``hi`` are inclusive bounds (use ``lo`` > 0 where zero makes no sense);
    ``integer`` defaults to whether ``default`` is an ``int``; ``log`` asks widgets for a
    logarithmic slider; ``label`` is the short name shown beside a slider; ``hi_dim`` (with
    ``hi_offset``) bounds the value by another dimension's value too.
    """
    if integer is None:
        integer = isinstance(default, int) and not isinstance(default, bool)
    if not lo <= default <= hi:
        raise ValueError(f"default {default!r} outside {lo}…{hi}")
    if log and lo <= 0:
        raise ValueError(f"a logarithmic dimension needs lo > 0; got {lo}")
    return dataclasses.field(default=default, metadata={_META: dict(
        kind="int" if integer else "float", lo=lo, hi=hi, unit=unit, help=help, log=log,
        step=step, label=label, hi_dim=hi_dim, hi_offset=hi_offset)})


def choice(default: str, *, choices: Iterable[str], help: str, label: str | None = None) -> Any:
    """Declare a categorical dimension: one of ``choices`` (strings, matched ignoring case)."""
    choices = tuple(choices)
    if default not in choices:
        raise ValueError(f"default {default!r} is not one of {choices}")
    return dataclasses.field(default=default, metadata={_META: dict(
        kind="choice", choices=choices, help=help, label=label)})


def flag(default: bool, *, help: str, label: str | None = None) -> Any:
    """Declare an on/off dimension (``--bookmarks on`` on the command line)."""
    return dataclasses.field(default=bool(default), metadata={_META: dict(
        kind="bool", help=help, label=label)})


#: Dimensions several chapters share, each declared once with one range and unit. A chapter
#: picks its own default (and may add a sentence of help), never its own range.
SHARED: Mapping[str, dict[str, Any]] = {
    "nodes": dict(lo=1, hi=15_000, unit="nodes", log=True, label="nodes",
                  help="Nodes in the cluster (the envelope's threshold is 5,000)"),
    "pods_per_node": dict(lo=0, hi=500, unit="pods/node", label="pods/node",
                          help="Pods running on each node (the threshold is "
                               "min(110, 10 × cores))"),
    "services": dict(lo=1, hi=50_000, unit="services", log=True, label="services",
                     help="Services in the cluster (the threshold is 10,000)"),
    "backends_per_service": dict(lo=1, hi=2_000, unit="endpoints/service", log=True,
                                 label="backends/service",
                                 help="Endpoints (backend pods) behind each service (the "
                                      "threshold is 250)"),
    "namespaces": dict(lo=1, hi=50_000, unit="namespaces", log=True, label="namespaces",
                       help="Namespaces in the cluster (the threshold is 10,000)"),
    # The lower end is the node lifecycle controller's 5-s check (--node-monitor-period,
    # heartbeats.NODE_MONITOR_PERIOD_S; not in the facts file): a
    # grace period must also outlast the heartbeat that renews it, but that period is
    # another dimension or a chapter's constant, so each chapter says so in its check().
    "grace_period_s": dict(lo=5, hi=600, unit="s", label="node-monitor-grace-period",
                           help="How stale a node's newest heartbeat may be before the node "
                                "lifecycle controller marks the node NotReady "
                                "(--node-monitor-grace-period: 40 s in the talk's era, 50 s "
                                "from 1.32); it must be longer than the heartbeat's period"),
    "max_requests_inflight": dict(lo=1, hi=4000, unit="seats",
                                  label="max-requests-inflight",
                                  help="kube-apiserver --max-requests-inflight: read-only "
                                       "seats (default 400)"),
    "endpoint_changes_per_s": dict(lo=0.1, hi=1000.0, unit="changes/s", log=True,
                                   label="endpoint changes",
                                   help="Endpoint changes per second across the cluster "
                                        "(pods starting, stopping, becoming ready)"),
}


def shared(name: str, default: float, *, help: str | None = None) -> Any:
    """Declare one of the :data:`SHARED` dimensions with this chapter's ``default``.

    ``help``, if given, is appended to the shared help text (what the dimension means in
    this chapter); the range, unit and scale are the shared ones.
    """
    if name not in SHARED:
        raise ValueError(f"unknown shared dimension {name!r}; shared: {', '.join(SHARED)}")
    spec = dict(SHARED[name])
    if help:
        spec["help"] = f"{spec['help']}. {help}"
    return dimension(default, **spec)


@dataclass(frozen=True)
class Dimensions:
    """Base class for a model's dimensions: validates every field on construction.

    Fields are validated one by one (:meth:`DimensionSpec.check`), then the bounds that one
    field puts on another (``hi_dim``), then :meth:`check`, the subclass's own rules.
    """

    def __post_init__(self) -> None:
        specs = self.specs()
        for spec in specs:
            object.__setattr__(self, spec.name, spec.check(getattr(self, spec.name)))
        for spec in specs:
            if spec.hi_dim is None:
                continue
            bound = getattr(self, spec.hi_dim) + spec.hi_offset
            value = getattr(self, spec.name)
            if value > bound:
                off = (f" {'+' if spec.hi_offset > 0 else '−'} {format_number(abs(spec.hi_offset))}"
                       if spec.hi_offset else "")
                raise DimensionConflict(
                    f"{spec.name} must be from {format_number(spec.lo)} to {spec.hi_dim}{off} "
                    f"({spec.format(bound)}); got {spec.format(value)}",
                    (spec.name, spec.hi_dim))
        self.check()

    def check(self) -> None:
        """Cross-field rules; subclasses override and raise :class:`DimensionConflict`."""

    @classmethod
    def specs(cls) -> list[DimensionSpec]:
        """The :class:`DimensionSpec` of every field, in declaration order."""
        out = []
        for f in dataclasses.fields(cls):
            meta = f.metadata.get(_META)
            if meta is None:
                continue
            meta = dict(meta)
            label = meta.pop("label", None) or f.name.replace("_", " ")
            out.append(DimensionSpec(name=f.name, default=f.default, label=label, **meta))
        return out

    @classmethod
    def range_ends(cls) -> list[tuple[str, Dimensions]]:
        """Labelled points at the ends of the ranges: the defaults, every numeric dimension
        alone at the bottom and at the top of its range, and every one at the top at once
        (as far as the rules between dimensions allow); each point once. The benchmarks look
        among them for a model's most expensive point; the contract tests run every model at
        all of them."""
        base = cls()
        out: list[tuple[str, Dimensions]] = [("defaults", base)]
        top = base
        for s in cls.specs():
            if not s.numeric:
                continue
            for end, value in (("lo", s.lo), ("hi", s.hi)):
                try:
                    out.append((f"{s.name}={end}", base.replace(**{s.name: value})))
                except ValueError:            # a rule with another dimension forbids it
                    pass
            try:
                top = top.replace(**{s.name: s.hi})
            except ValueError:
                pass
        out.append(("every dimension at its top", top))
        seen: set[tuple] = set()
        unique = []
        for label, dims in out:
            key = tuple(sorted(dims.as_dict().items()))
            if key not in seen:
                seen.add(key)
                unique.append((label, dims))
        return unique

    @classmethod
    def spec(cls, name: str) -> DimensionSpec:
        """The spec of dimension ``name``; ``ValueError`` listing the known ones if unknown."""
        for s in cls.specs():
            if s.name == name:
                return s
        known = ", ".join(s.name for s in cls.specs())
        raise ValueError(f"unknown dimension {name!r}; known dimensions: {known}")

    def replace(self, **changes: Any) -> Dimensions:
        """A copy with some dimensions changed, validated like a new instance.

        When the new values break a rule between fields, the message says which of the
        *changed* values conflicts with which value that was kept (and whether that is the
        default), e.g. ``horizon_s = 60 s conflicts with failed_node_at_s = 100 s (its
        default)``.
        """
        for name in changes:
            self.spec(name)
        try:
            return dataclasses.replace(self, **changes)
        except DimensionConflict as err:
            raise self._explain(err, changes) from None

    def _explain(self, err: DimensionConflict, changes: Mapping[str, Any]) -> DimensionConflict:
        given = [f for f in err.fields if f in changes]
        kept = [f for f in err.fields if f not in changes]
        if not given or not kept:
            return err
        parts = []
        for name in kept:
            spec = self.spec(name)
            value = getattr(self, name)
            why = " (its default)" if value == spec.default else ""
            parts.append(f"{name} = {spec.format(value)}{why}")
        you = ", ".join(f"{n} = {self.spec(n).format(self.spec(n).check(changes[n]))}"
                        for n in given)
        return DimensionConflict(f"{you} conflicts with {', '.join(parts)}: {err.rule}",
                                 err.fields)

    def as_dict(self) -> dict[str, Any]:
        """Every dimension by name (numbers, strings for choices, booleans for flags)."""
        return {s.name: getattr(self, s.name) for s in self.specs()}
