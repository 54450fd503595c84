"""The registry of chapters, in the order of the talk (and of the book).

One :class:`Chapter` record per chapter says everything the front ends need: its number,
its key (the one name used for its module, its ``kscale run`` key and its files), its title,
its model(s) and the talk's claims it answers. Adding a chapter means writing its own files
and adding its record here — nothing else.

>>> get("heartbeats").title
'Node heartbeats'
>>> chapter("heartbeats").files["lab"]
'notebooks/02-heartbeats.md'
"""

from __future__ import annotations

from dataclasses import dataclass

from kscale_lab.capstone import CapstoneModel
from kscale_lab.endpoints import EndpointsModel
from kscale_lab.envelope import EnvelopeModel
from kscale_lab.events import EventsModel
from kscale_lab.heartbeats import HeartbeatsModel
from kscale_lab.kube_proxy import KubeProxyModel
from kscale_lab.model import Model
from kscale_lab.priority import PriorityModel
from kscale_lab.scheduler import SchedulerModel
from kscale_lab.secrets import SecretsModel
from kscale_lab.watch import WatchModel

__all__ = ["CHAPTERS", "MODELS", "Chapter", "chapter", "get"]


@dataclass(frozen=True)
class Chapter:
    """One chapter of the course and everything that belongs to it."""

    number: int
    key: str
    """The chapter's one name: ``kscale run KEY``, ``book/NN-KEY.md``, ``kscale_lab/KEY``
    (with ``-`` read as ``_``, since Python names cannot hold a hyphen)."""
    title: str
    models: tuple[Model, ...]
    """The chapter's models; the first is its main one (``kscale run KEY``)."""
    claims: tuple[str, ...] = ()
    """Keys of the talk's claims (``kscale_lab.talk``) that this chapter answers."""

    @property
    def model(self) -> Model:
        return self.models[0]

    @property
    def slug(self) -> str:
        """``02-heartbeats``: the stem of the chapter's book, lab and exercise files."""
        return f"{self.number:02d}-{self.key}"

    @property
    def module(self) -> str:
        """The Python name of the chapter: ``kube_proxy`` for ``kube-proxy``."""
        return self.key.replace("-", "_")

    @property
    def exercises_module(self) -> str:
        """The module of the chapter's self-checks."""
        return f"kscale_lab.exercises.{self.module}"

    @property
    def files(self) -> dict[str, str]:
        """The chapter's text sources, by part (the ``.ipynb`` files are generated from the
        lab and exercise sources)."""
        return {"chapter": f"book/{self.slug}.md", "lab": f"notebooks/{self.slug}.md",
                "exercises": f"exercises/{self.slug}.md",
                "solutions": f"exercises/{self.slug}-solutions.md"}


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "envelope", "Scalability is multi-dimensional", (EnvelopeModel(),),
            ("envelope",)),
    Chapter(2, "heartbeats", "Node heartbeats", (HeartbeatsModel(),),
            ("nospace", "images", "writes-stop", "lease", "report-10m")),
    Chapter(3, "secrets", "Kubelet secrets and configmaps", (SecretsModel(),),
            ("secrets-polling", "secrets-seats", "secrets-stopgaps", "secrets-watch",
             "secrets-streams", "secrets-versions")),
    Chapter(4, "kube-proxy", "kube-proxy: iptables vs IPVS", (KubeProxyModel(),),
            ("iptables-rules", "iptables-updates", "ipvs")),
    Chapter(5, "scheduler", "Scheduling throughput", (SchedulerModel(),),
            ("scheduler-2000", "scheduler-5000", "anti-affinity", "scheduler-fixes")),
    Chapter(6, "events", "Events overload", (EventsModel(),),
            ("events", "events-apiserver", "events-usability", "events-isomorphic")),
    Chapter(7, "watch", "Watch restart cost", (WatchModel(),),
            ("watch-too-old", "watch-overload", "watch-bookmarks", "watch-bookmark-2s")),
    Chapter(8, "endpoints", "What came next: EndpointSlices and API Priority and Fairness",
            (EndpointsModel(), PriorityModel()), ("endpoints-api", "backends-bound")),
    Chapter(9, "capstone", "Capstone: which bottleneck bites first", (CapstoneModel(),),
            ("capstone-multidimensional", "capstone-bounds", "capstone-lease-release",
             "capstone-ipvs-release", "capstone-bookmarks-release")),
)

#: Every model by its ``kscale run`` key.
MODELS: dict[str, Model] = {m.key: m for c in CHAPTERS for m in c.models}


def get(key: str) -> Model:
    """The model whose key is ``key`` (as in ``kscale run KEY``); ``ValueError`` if unknown."""
    try:
        return MODELS[key]
    except KeyError:
        raise ValueError(f"unknown chapter {key!r}; chapters: {', '.join(MODELS)}") from None


def chapter(key: str) -> Chapter:
    """The chapter record of ``key`` (a chapter key or one of its models' keys)."""
    for c in CHAPTERS:
        if c.key == key or any(m.key == key for m in c.models):
            return c
    raise ValueError(f"unknown chapter {key!r}; chapters: {', '.join(c.key for c in CHAPTERS)}")
