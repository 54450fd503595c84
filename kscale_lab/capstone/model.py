"""The capstone's model: every chapter at one cluster, on the release you pick and on today's.

``CapstoneModel().run(dims, version)`` runs every chapter's model at the cluster ``dims``
describes, as the release runs it, and returns a :class:`CapstoneOutcome`: each chapter's
:class:`~.headroom.Headroom` (its load or delay over the limit that breaks), which bites
first, and the loads of every chapter, which add up into one picture of the apiserver and
etcd.

**Naive and improved.** The naive side is the release the reader picks (``version``); the
improved side is today's release (:data:`~kscale_lab.versions.TODAY`, 1.35): "what changes
when the version moves forward". Picking 1.35 shows the same release twice.

``kscale run capstone --json`` (and ``kscale bottleneck --json``) also answers at the top, for
the release picked: ``first_bottleneck``, ``headroom`` and ``load_by_chapter``
(:meth:`CapstoneModel.summary`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kscale_lab.capstone.dimensions import CapstoneDimensions
from kscale_lab.capstone.headroom import MECHANISMS, Headroom, headrooms, main_etcd_bytes
from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.model import Comparison, Model, Outcome, Version, format_value, metric
from kscale_lab.versions import TODAY, Release, release

__all__ = ["CapstoneModel", "CapstoneOutcome", "assess"]


@dataclass(frozen=True)
class CapstoneOutcome(Outcome):
    """Every chapter's headroom at one cluster on one release, and what bites first.

    ``headroom`` (model key → ratio) and ``load_by_chapter`` (model key → the chapter's
    :class:`~kscale_lab.control_plane.ApiLoad` as a dict) are declared as metrics so that
    ``kscale run capstone --json`` carries them beside the scalars; ``load`` is their sum.
    """

    release: str = metric(help="The release this side runs")
    first_bottleneck: str | None = metric(
        none="none", help="The mechanism whose limit is broken furthest (largest ratio above "
                          "1; the envelope's thresholds are reported, never named); if none "
                          "is but the main etcd's shared quota is, the chapter holding the "
                          "most of it; null: nothing breaks")
    worst_ratio: float = metric(unit="× limit", help="The largest ratio among the mechanisms "
                                                     "(the envelope not counted)")
    broken: int = metric(unit="mechanisms", help="Mechanisms past their limit (ratio above 1; "
                                                 "the envelope not counted)")
    within_envelope: bool = metric(help="Whether every threshold of the envelope holds "
                                        "(chapter 1)")
    main_etcd_ratio: float = metric(
        unit="× quota", help="Bytes every chapter holds in the main etcd at the peak ÷ the "
                             "quota (the heartbeats' and the endpoints'; Events have their "
                             "own etcd)")
    headroom: dict = metric(unit="× limit", help="Model key → load or delay ÷ the limit that "
                                                 "breaks it (above 1: broken)")
    load_by_chapter: dict = metric(help="Model key → the load its clients put on the "
                                        "apiserver and etcd (requests/s by verb, etcd write "
                                        "bytes/s, watch bytes/s …)")
    headrooms: tuple[Headroom, ...] = field(default=(), repr=False)
    """Every chapter's :class:`~.headroom.Headroom`, in chapter order."""
    outcomes: dict = field(default_factory=dict, repr=False)
    """Model key → the chapter model's own outcome at this cluster and release."""
    loads: dict = field(default_factory=dict, repr=False)
    """Model key → its :class:`~kscale_lab.control_plane.ApiLoad`."""
    settings: Release | None = field(default=None, repr=False)
    """What the release runs, chapter by chapter."""

    def metrics(self) -> dict[str, Any]:
        """The scalars, and ``headroom`` and ``load_by_chapter`` as plain dicts (JSON-ready)."""
        return {"release": self.release, "first_bottleneck": self.first_bottleneck,
                "worst_ratio": float(self.worst_ratio) + 0.0, "broken": int(self.broken),
                "within_envelope": bool(self.within_envelope),
                "main_etcd_ratio": float(self.main_etcd_ratio) + 0.0,
                "headroom": {k: float(v) + 0.0 for k, v in self.headroom.items()},
                "load_by_chapter": {k: dict(v) for k, v in self.load_by_chapter.items()}}

    def formatted(self) -> dict[str, tuple[str, str]]:
        """Rows for tables: the scalars, then one row per chapter's headroom and requests."""
        out = {"release": (self.release, ""),
               "first_bottleneck": (self.first_bottleneck or "none", ""),
               "worst_ratio": (format_value(self.worst_ratio), "× limit"),
               "broken": (format_value(self.broken), "mechanisms"),
               "within_envelope": (format_value(self.within_envelope), ""),
               "main_etcd_ratio": (format_value(self.main_etcd_ratio), "× quota")}
        for h in self.headrooms:
            out[f"headroom: {h.key}"] = (format_value(h.ratio), "× limit")
        for key, ld in self.loads.items():
            if ld.requests_per_s or ld.watch_bytes_per_s:
                out[f"requests: {key}"] = (format_value(ld.requests_per_s), "req/s")
        return out

    def ranked(self) -> list[Headroom]:
        """The headrooms, most broken (largest ratio) first."""
        return sorted(self.headrooms, key=lambda h: -h.ratio)

    def by_key(self, key: str) -> Headroom:
        """The headroom of model ``key`` (``ValueError`` naming the keys if unknown)."""
        for h in self.headrooms:
            if h.key == key:
                return h
        raise ValueError(f"key must be one of {', '.join(h.key for h in self.headrooms)}; "
                         f"got {key!r}")


def _first(rooms: tuple[Headroom, ...], loads: dict[str, ApiLoad],
           main_ratio: float) -> str | None:
    worst = max((h for h in rooms if h.key in MECHANISMS), key=lambda h: h.ratio)
    if worst.broken:
        return worst.key
    if main_ratio > 1:                        # only the sum fills the shared quota
        return max(("heartbeats", "endpoints"), key=lambda k: loads[k].etcd_bytes)
    return None


@lru_cache(maxsize=256)
def assess(dims: CapstoneDimensions, version: str) -> CapstoneOutcome:
    """Every chapter at ``dims`` on release ``version`` (cached: dimensions are hashable).

    Parameters
    ----------
    dims : CapstoneDimensions
        The cluster (its own ``version`` is ignored here).
    version : str
        A release from 1.11 to today (``"1.13"``, ``"1.14.2"``).

    Returns
    -------
    CapstoneOutcome
        Every chapter's headroom, the first bottleneck, each chapter's outcome and load.

    >>> o = assess(CapstoneDimensions(nodes=2000), "1.11")
    >>> o.first_bottleneck, o.by_key("heartbeats").broken
    ('heartbeats', True)
    >>> assess(CapstoneDimensions(nodes=2000), "1.14").first_bottleneck is None
    True
    """
    r = release(version)
    rooms, outcomes, loads = headrooms(dims, r)
    main_ratio = main_etcd_bytes(loads) / (dims.quota_gib * 2**30)
    return CapstoneOutcome(
        release=r.name, first_bottleneck=_first(rooms, loads, main_ratio),
        worst_ratio=max(h.ratio for h in rooms if h.key in MECHANISMS),
        broken=sum(h.broken for h in rooms if h.key in MECHANISMS),
        within_envelope=not rooms[0].broken,
        main_etcd_ratio=main_ratio, headroom={h.key: h.ratio for h in rooms},
        load_by_chapter={k: ld.as_dict() for k, ld in loads.items()},
        headrooms=rooms, outcomes=outcomes, loads=loads, settings=r,
        load=sum(loads.values(), ApiLoad()))


class CapstoneModel(Model[CapstoneDimensions, CapstoneOutcome]):
    """Which bottleneck bites first: the release you pick (naive) against today's (improved)."""

    key = "capstone"
    chapter = 9
    title = "Capstone: which bottleneck bites first"
    dimensions = CapstoneDimensions
    versions = (Version("naive", "your release (--version)"),
                Version("improved", f"today's release ({TODAY})"))
    figure_class = "kscale_lab.figures.capstone:CapstoneFigure"

    def run(self, dims: CapstoneDimensions, version: Version) -> CapstoneOutcome:
        return assess(dims, dims.version if version.is_naive else TODAY)

    #: What :meth:`summary` lifts from the chosen release's side to the top of the JSON.
    SUMMARY_KEYS = ("release", "first_bottleneck", "headroom", "load_by_chapter")

    def summary(self, comparison: Comparison) -> dict[str, Any]:
        """The capstone's answer for the release the reader picked (the naive side), at the
        top of ``kscale run capstone --json`` / ``kscale bottleneck --json``: ``release``,
        ``first_bottleneck`` (``null``: nothing breaks), ``headroom`` (model key → ratio)
        and ``load_by_chapter`` (model key → its load). Today's release keeps its own under
        ``improved``."""
        chosen = comparison.naive.metrics()
        return {key: chosen[key] for key in self.SUMMARY_KEYS}
