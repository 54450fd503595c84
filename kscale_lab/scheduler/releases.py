"""Which kube-scheduler release carries which fix: the chapter's history as data.

SIG Scalability's 2019 talk sums the scheduler's fixes up in one line — "scoring/affinity
improvements in 1.12, cache snapshot improvements in 1.14" — but the fixes behind that line
landed one by one (``/work/shared/kubernetes-facts.md``, Scheduler section):

=====  =======================================================================  ============
minor  fix                                                                      where
=====  =======================================================================  ============
1.11   the inter-pod anti-affinity predicate precomputes the existing pods       PR #62211
       matching a pod's terms once per cycle, instead of scanning every pod
       for every node
1.12   ``percentageOfNodesToScore``, with a **fixed** default of 50 %            scheduler docs
1.12   topology-pair maps: anti-affinity checked per node by a lookup of the     #66948, #67788
       node's (topology key, value) pairs
1.14   the **adaptive** default, ``50 − nodes/125`` % (at least 5 %, at least    PR #72140
       100 nodes)
1.14   the snapshot walks NodeInfos ordered by recency and stops at the first    PR #74041
       unchanged one, instead of walking all of them
1.17   zones labelled ``topology.kubernetes.io/zone`` (before:                   API
       ``failure-domain.beta.kubernetes.io/zone``)
=====  =======================================================================  ============

A :class:`Release` is the set of those fixes one minor release carries; :func:`release`
turns any version string (``"1.13"``, ``"v1.13.4"``) into one, which is what the capstone
needs to ask "how does the scheduler behave at this version?". The lab models no scheduler
change after these: a recent release (:data:`RECENT`) is modelled as 1.14 with the 1.17 zone
label. Real releases after 1.14 changed the scheduler further in ways this lab does not model.

>>> release("1.13.4").percentage_default
50
>>> release("v1.14").snapshot
'recency'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIXES", "RECENT", "VERSIONS", "Fix", "Release", "release"]

#: The oldest release the lab models: the scheduler before any of the talk's fixes.
OLDEST_MINOR = 10
#: The recent release the ``version`` dimension offers beside the talk's era.
RECENT = "1.33"
#: The releases the ``version`` dimension offers.
VERSIONS = ("1.10", "1.11", "1.12", "1.13", "1.14", RECENT)

HOSTNAME = "kubernetes.io/hostname"
ZONE_BETA = "failure-domain.beta.kubernetes.io/zone"
ZONE_GA = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Fix:
    """One change to kube-scheduler and the minor release it landed in."""

    minor: int
    what: str
    source: str


#: Every change the lab models, in the order they landed.
FIXES: tuple[Fix, ...] = (
    Fix(11, "anti-affinity predicate: matching pods precomputed once per cycle, by node",
        "PR #62211"),
    Fix(12, "percentageOfNodesToScore, fixed default 50 %", "scheduler docs"),
    Fix(12, "anti-affinity by topology-pair maps: one lookup per node", "PRs #66948, #67788"),
    Fix(14, "adaptive percentage: 50 − nodes/125 %, at least 5 % and 100 nodes", "PR #72140"),
    Fix(14, "snapshot walks NodeInfos by recency, stops at the first unchanged", "PR #74041"),
    Fix(17, "zone label topology.kubernetes.io/zone", "API"),
)


@dataclass(frozen=True)
class Release:
    """kube-scheduler at one minor release, as the mechanisms it uses.

    Attributes
    ----------
    name : str
        ``"1.<minor>"``.
    minor : int
        The minor version.
    affinity : str
        How required pod anti-affinity is checked: ``"scan"`` (1.10: for every node, every
        existing pod), ``"by-node"`` (1.11, PR #62211: the pods matching the pod's terms
        found once per cycle, then compared with each node) or ``"topology-pairs"`` (1.12:
        counts per (topology key, value), one lookup per node).
    percentage_default : int or None
        ``None``: no ``percentageOfNodesToScore`` (every node is filtered and scored); 50: the
        fixed default of 1.12–1.13; 0: adaptive (1.14+).
    snapshot : str
        ``"walk-all"`` (every NodeInfo's generation compared each cycle, changed ones cloned)
        or ``"recency"`` (1.14, PR #74041: walk from the most recently changed, stop at the
        first unchanged).
    zone_label : str
        The label that carries a node's zone.
    """

    name: str
    minor: int
    affinity: str
    percentage_default: int | None
    snapshot: str
    zone_label: str

    @property
    def scores_a_percentage(self) -> bool:
        """Whether the release has ``percentageOfNodesToScore`` at all."""
        return self.percentage_default is not None

    def fixes(self) -> tuple[Fix, ...]:
        """The fixes this release carries."""
        return tuple(f for f in FIXES if f.minor <= self.minor)


def _minor(version: str) -> int:
    if not isinstance(version, str):
        raise ValueError(f"version must be a Kubernetes version like '1.14' or 'v1.13.4'; "
                         f"got {version!r}")
    m = re.fullmatch(r"\s*v?1\.(\d+)(?:\.\d+)?\s*", version)
    if m is None:
        raise ValueError(f"version must be a Kubernetes version like '1.14' or 'v1.13.4'; "
                         f"got {version!r}")
    minor = int(m.group(1))
    if minor < OLDEST_MINOR:
        raise ValueError(f"version must be 1.{OLDEST_MINOR} or later (the lab models "
                         f"kube-scheduler from 1.{OLDEST_MINOR}); got {version!r}")
    return minor


def release(version: str | Release) -> Release:
    """The :class:`Release` of a version string: ``"1.12"``, ``"1.13.4"``, ``"v1.14.0"``.

    Parameters
    ----------
    version : str or Release
        A Kubernetes version, 1.10 or later (a :class:`Release` is returned as it is).

    Returns
    -------
    Release
        The mechanisms of that minor release, from :data:`FIXES`.
    """
    if isinstance(version, Release):
        return version
    minor = _minor(version)
    if minor >= 12:
        affinity = "topology-pairs"
    elif minor >= 11:
        affinity = "by-node"
    else:
        affinity = "scan"
    percentage = 0 if minor >= 14 else 50 if minor >= 12 else None
    return Release(name=f"1.{minor}", minor=minor, affinity=affinity,
                   percentage_default=percentage,
                   snapshot="recency" if minor >= 14 else "walk-all",
                   zone_label=ZONE_GA if minor >= 17 else ZONE_BETA)
