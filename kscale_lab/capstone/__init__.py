"""Chapter 9 — the capstone: which bottleneck bites first, for your cluster and your release.

"Scalability is a multi-dimensional problem", the talk says; every chapter so far followed
one dimension's bottleneck and its fix. The capstone puts them together: a reader describes a
cluster once and picks a Kubernetes release, and the lab runs every chapter's model at that
point, as that release runs it, and says

* how much **headroom** each chapter has: the load or delay its model predicts over the
  limit at which its mechanism breaks (etcd's quota, the in-flight seats, 250 streams per
  connection, the 5-s pod-startup SLO, 1,000,000 Events, etcd's 1.5 MiB request limit, the
  thresholds …) — above 1 it is broken;
* which one **bites first**: the most broken;
* what its clients put on the apiserver and etcd, chapter by chapter, in the one currency
  every chapter shares (:class:`~kscale_lab.control_plane.ApiLoad`), and their sum;
* what changes when the release moves forward (the improved side is today's release).

Modules:

* :mod:`kscale_lab.versions` — which release has which fix: the history as one table;
* :mod:`~kscale_lab.capstone.dimensions` — :class:`CapstoneDimensions`, the one cluster, and
  how it becomes each chapter's dimensions (every mapping written down);
* :mod:`~kscale_lab.capstone.headroom` — each chapter's load over its limit, with the limit's
  source and what of it is the course's own construction;
* :mod:`~kscale_lab.capstone.model` — :class:`CapstoneModel` (``kscale run capstone``,
  ``kscale bottleneck``);
* :mod:`~kscale_lab.capstone.tour` — the chapter's clusters, the room each dimension has to
  grow, and releases swept;
* :mod:`~kscale_lab.capstone.toy` — a small cluster event by event, every chapter's clients
  on one shared apiserver and etcd (SimPy), whose measured load the closed forms must match.
"""

from kscale_lab.capstone.dimensions import (
    POD_EVENTS_PER_POD,
    CapstoneDimensions,
    chapter_dimensions,
    endpoint_changes_per_s,
)
from kscale_lab.capstone.headroom import LIMITS, Headroom, headrooms, main_etcd_bytes
from kscale_lab.capstone.model import CapstoneModel, CapstoneOutcome, assess

__all__ = ["LIMITS", "POD_EVENTS_PER_POD", "CapstoneDimensions", "CapstoneModel",
           "CapstoneOutcome", "Headroom", "assess", "chapter_dimensions",
           "endpoint_changes_per_s", "headrooms", "main_etcd_bytes"]
