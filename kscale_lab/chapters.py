"""The registry of chapter models, in the order of the talk (and of the book)."""

from __future__ import annotations

from kscale_lab.envelope import EnvelopeModel
from kscale_lab.heartbeats import HeartbeatsModel
from kscale_lab.kube_proxy import KubeProxyModel
from kscale_lab.model import Model
from kscale_lab.scheduler import SchedulerModel

CHAPTERS: dict[str, Model] = {m.key: m for m in (EnvelopeModel(), HeartbeatsModel(),
                                                   KubeProxyModel(), SchedulerModel())}


def get(key: str) -> Model:
    """The model of chapter ``key`` (as in ``kscale run KEY``); ``ValueError`` if unknown."""
    try:
        return CHAPTERS[key]
    except KeyError:
        raise ValueError(f"unknown chapter {key!r}; chapters: {', '.join(CHAPTERS)}") from None
