"""The talk's claims beside what the lab's models compute (the "Reproducing the talk" page).

Each :class:`Claim` quotes a slide, says **how** the lab's number for it is obtained, and
states its **tolerance before anything is compared**; its check runs the chapter's model and
returns a :class:`Finding` (the number, in words). The verdict follows from those three
things, by rules that are the same for every claim (:meth:`Claim.verdict`):

* ``calibrated`` — the model was fitted to this very number: it matches by construction, so
  it is reported as a *calibration point*, never as reproduced;
* ``predicted`` — the number follows from the mechanism and the defaults (and from
  constants calibrated on *other* points): reproduced or not, against the tolerance —
  :class:`About` (a value within a relative band), :class:`Below` (a one-sided bound,
  reported as a bound: "within the bound", not "reproduced") or :class:`Shows` (a behaviour
  the model either shows or does not);
* ``illustrated`` — the model shows the shape the talk describes, with illustrative
  constants or with the rule the claim is about built in: "shown", not evidence.

Claims are data, registered where they are written. A chapter's claims live in
``kscale_lab/claims/<module>.py`` (or anywhere its modules import), each declared with
:func:`claim`; the chapter registry (:mod:`kscale_lab.chapters`) lists their keys in the
chapter's ``claims``. :func:`claims` imports each chapter's claims module, checks that every
key the registry lists is registered (and every registered claim belongs to a chapter), and
returns them in the book's order. Claims of chapters not written yet are registered as
*planned* (``kscale_lab/claims/planned.py``); a chapter that arrives registers the same key
and replaces the planned one. Adding a chapter's claims therefore needs its own module and
its keys in its registry record — no central list.

Nothing here is a stored result: every number is computed when the page is built.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["About", "Below", "Claim", "Finding", "HOW", "Shows", "claim", "claims",
           "claims_html", "claims_table", "registered"]

#: How the lab's number for a claim is obtained, in the words the page uses.
HOW = {
    "calibrated": "calibrated on it",
    "predicted": "predicted",
    "illustrated": "illustrated",
}


@dataclass(frozen=True)
class Finding:
    """What the lab computes for a claim: ``value`` (the number compared with the tolerance,
    or for :class:`Shows` whether the behaviour is there) and ``computed``, the same in words
    with the inputs that produced it."""

    value: float | bool | None
    computed: str


@dataclass(frozen=True)
class About:
    """The talk's "~x": the lab's value must be within ``rel_tol`` of ``value`` (both sides)."""

    value: float
    rel_tol: float
    unit: str = ""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        lo, hi = self.value * (1 - self.rel_tol), self.value * (1 + self.rel_tol)
        return (f"~{self.value:g}{unit} ± {self.rel_tol:.0%}, i.e. {lo:.3g}–{hi:.3g}{unit}")

    def holds(self, value: float) -> bool:
        return abs(value / self.value - 1) <= self.rel_tol

    words = ("reproduced", "not reproduced")


@dataclass(frozen=True)
class Below:
    """The talk's "< x", a one-sided bound: the lab's value must be below ``value``."""

    value: float
    unit: str = ""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"below {self.value:g}{unit} (a one-sided bound)"

    def holds(self, value: float) -> bool:
        return value < self.value

    words = ("within the bound", "outside the bound")


@dataclass(frozen=True)
class Shows:
    """A behaviour, not a number: the check says whether the model shows ``what``."""

    what: str

    def describe(self) -> str:
        return self.what

    def holds(self, value: bool) -> bool:
        return bool(value)

    words = ("shown", "not shown")


Tolerance = About | Below | Shows


@dataclass(frozen=True)
class Claim:
    """One claim of the talk, how the lab gets its number, and the tolerance, stated before
    the check runs.

    ``key`` is the name the chapter registry uses; ``chapter`` is set for planned claims
    only (a written chapter's number comes from the registry).
    """

    key: str
    slide: str
    says: str
    how: str
    tolerance: Tolerance
    check: Callable[[], Finding]
    planned: bool = False
    chapter: int | None = None

    def __post_init__(self) -> None:
        if self.how not in HOW:
            raise ValueError(f"how must be one of {', '.join(HOW)}; got {self.how!r}")

    def verdict(self, finding: Finding) -> str:
        """The verdict, from how the number was obtained and the tolerance."""
        if self.planned:
            return "not modelled yet"
        if self.how == "calibrated":
            return "calibration point (matches by construction, not evidence)"
        if finding.value is None or (isinstance(finding.value, float)
                                     and math.isnan(finding.value)):
            return "no value"
        right, wrong = self.tolerance.words
        word = right if self.tolerance.holds(finding.value) else wrong
        return f"{word} (illustrative)" if self.how == "illustrated" and word == right \
            else word

    def counts_as_reproduced(self, finding: Finding) -> bool:
        """Only a prediction that meets its tolerance counts (never a calibration point,
        an illustration, or a planned claim)."""
        return (not self.planned and self.how == "predicted"
                and self.tolerance.holds(finding.value))


_REGISTRY: dict[str, Claim] = {}


def claim(key: str, *, slide: str, says: str, how: str, tolerance: Tolerance,
          planned: bool = False, chapter: int | None = None
          ) -> Callable[[Callable[[], Finding]], Callable[[], Finding]]:
    """Register the decorated check as the claim ``key`` (see the module docstring).

    A planned claim is replaced by a real one with the same key; two real claims with the
    same key are an error.
    """
    def register(check: Callable[[], Finding]) -> Callable[[], Finding]:
        new = Claim(key, slide, says, how, tolerance, check, planned, chapter)
        old = _REGISTRY.get(key)
        if old is not None and not old.planned and not planned \
                and old.check.__qualname__ != check.__qualname__:
            raise ValueError(f"claim {key!r} is registered twice ({old.check.__module__} and "
                             f"{check.__module__})")
        if old is None or old.planned or not planned:
            _REGISTRY[key] = new
        return check
    return register


def _load_claim_modules() -> None:
    """Import every chapter's claims module (``kscale_lab.claims.<module>``) and the planned
    claims; a chapter may also register claims from its own modules."""
    from kscale_lab.chapters import CHAPTERS

    for module in [f"kscale_lab.claims.{c.module}" for c in CHAPTERS] + [
            "kscale_lab.claims.planned"]:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def registered() -> dict[str, Claim]:
    """Every registered claim by key (after loading the chapters' claims modules)."""
    _load_claim_modules()
    return dict(_REGISTRY)


def claims() -> list[tuple[int, Claim]]:
    """``(chapter number, claim)`` for every claim, in the book's order.

    Raises ``ValueError`` if a chapter lists a claim key nobody registers, if a registered
    claim belongs to no chapter, or if a key is listed by two chapters.
    """
    from kscale_lab.chapters import CHAPTERS

    known = registered()
    out: list[tuple[int, Claim]] = []
    listed: dict[str, int] = {}
    for c in CHAPTERS:
        for key in c.claims:
            if key in listed:
                raise ValueError(f"claim {key!r} is listed by chapters {listed[key]} and "
                                 f"{c.number}")
            if key not in known or known[key].planned:
                raise ValueError(f"chapter {c.number} ({c.key}) lists claim {key!r}, but no "
                                 f"module registers it (kscale_lab/claims/{c.module}.py)")
            listed[key] = c.number
            out.append((c.number, known[key]))
    for key, cl in known.items():
        if key in listed:
            continue
        if not cl.planned:
            raise ValueError(f"claim {key!r} ({cl.check.__module__}) is in no chapter's "
                             "claims in kscale_lab/chapters.py")
        out.append((cl.chapter or 0, cl))
    order = {key: i for i, (_, cl) in enumerate(out) for key in [cl.key]}
    return sorted(out, key=lambda item: (item[0], order[item[1].key]))


def claims_table() -> list[dict[str, str]]:
    """One row per claim: slide, what the talk says, chapter, how the lab's number is
    obtained, the tolerance (stated before comparing), what the lab computes, the verdict."""
    rows = []
    for number, cl in claims():
        finding = cl.check()
        rows.append({"slide": cl.slide, "the talk says": cl.says, "ch.": str(number),
                     "how": "—" if cl.planned else HOW[cl.how],
                     "tolerance (stated before comparing)":
                         "—" if cl.planned or cl.how == "calibrated" else
                         cl.tolerance.describe(),
                     "the lab computes": finding.computed,
                     "verdict": cl.verdict(finding)})
    return rows


def claims_html() -> str:
    """The claims table as an HTML table (rendered the same in the book and in JupyterLab)."""
    rows = claims_table()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.values())
                   + "</tr>" for row in rows)
    return (f"<table class='kscale-claims table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
