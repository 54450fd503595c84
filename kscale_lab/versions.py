"""Which Kubernetes release has which fix: the course's history as one table of data.

Every chapter follows one bottleneck from the talk's era to its fix. The fixes landed in
different releases, some in steps (alpha, beta and on by default, GA), one was switched on,
off and on again in patch releases. :data:`FIXES` lists them, one row per change, each with
its source (``/work/shared/kubernetes-facts.md`` and the talk; the rows' ``source`` names the
KEP or PR the facts file gives). :func:`release` reads the table for one release and says
what that release runs, chapter by chapter: naive, improved, or something in between (the
Lease with 1-minute status reports, say, before 1.17 made them 5-minute ones).

>>> r = release("1.13")
>>> r.node_lease, r.secrets_strategy, r.go_client, r.watch_bookmarks
(False, 'Watch', 'go1.10', False)
>>> release("1.35").node_status_report_frequency_s, release("1.35").apf
(300, True)

Three rules the table cannot state by itself, each the course's reading:

* **A release string names its first patch release**: ``"1.13"`` is 1.13.0. Only chapter 3
  changed within a minor release (the watch strategy, off in 1.12.7 and 1.13.5, on again in
  1.14.2), so :data:`RELEASES` offers those patch releases too.
* **What counts is what a release does by default**: an alpha feature is off; a feature that
  is beta *and on by default* (the facts say so for the Lease in 1.14 and APF in 1.20) is on.
  Where the facts give only "beta" (bookmarks in 1.16, KEP-3453's partial restore in 1.27),
  the course takes beta as on by default too: **unverified**, as chapter 7 already says.
* **Not every change is modelled.** Rows with ``modelled=False`` are history the lab does
  not compute (immutable Secrets, nftables mode, IPVS's deprecation, the zone label); they
  are listed so the table is complete, and the capstone says so where they matter.

Which components report Events through the new ``events.k8s.io`` API in which release is
**not** in the facts file. The table records only when that API reached v1 (1.19, KEP-383);
the capstone makes "components on the new Event API" a dimension the reader chooses
(:class:`~kscale_lab.capstone.CapstoneDimensions`), never a silent assumption.

"Today's release" (:data:`TODAY`) is the newest release the facts file names: 1.35, in
which IPVS mode is deprecated (KEP-5495).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIXES", "RELEASES", "TALK_ERA", "TODAY", "Fix", "Release", "fixes_for",
           "parse_version", "release", "version_name"]

#: The newest release the facts file names (KEP-5495 deprecates IPVS mode in v1.35).
TODAY = "1.35"
#: The oldest release the capstone covers: the talk names IPVS GA in 1.11, and 1.11 carries
#: the first of the scheduler's fixes.
OLDEST = "1.11"
#: The releases the talk was about (1.11–1.15), as the facts file says the course models them.
TALK_ERA = ("1.11", "1.12", "1.13", "1.14", "1.15")
#: The releases the capstone offers: every minor from 1.11 to today, plus the patch releases
#: in which chapter 3's watch strategy was switched off (1.12.7, 1.13.5) and on (1.14.2).
RELEASES: tuple[str, ...] = (
    "1.11", "1.12", "1.12.7", "1.13", "1.13.5", "1.14", "1.14.2",
    *(f"1.{m}" for m in range(15, int(TODAY.split(".")[1]) + 1)))

_VERSION = re.compile(r"^\s*v?1\.(\d+)(?:\.(\d+))?\s*$")


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.13.4"`` → ``(1, 13, 4)``; ``"v1.14"`` → ``(1, 14, 0)``.

    Raises ``ValueError`` naming the accepted forms and the releases the table covers.
    """
    m = _VERSION.match(version) if isinstance(version, str) else None
    if m is None:
        raise ValueError(f"version must look like '1.13' or 'v1.13.4' ({OLDEST} to {TODAY}); "
                         f"got {version!r}")
    parsed = (1, int(m.group(1)), int(m.group(2) or 0))
    if not _minor(OLDEST) <= parsed[1] <= _minor(TODAY):
        raise ValueError(f"version must be from {OLDEST} to {TODAY} (the releases the "
                         f"course's table covers); got {version!r}")
    return parsed


def _minor(name: str) -> int:
    return int(name.split(".")[1])


def version_name(version: tuple[int, int, int]) -> str:
    """``(1, 13, 0)`` → ``"1.13"``; ``(1, 13, 5)`` → ``"1.13.5"``."""
    major, minor, patch = version
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


@dataclass(frozen=True)
class Fix:
    """One change to Kubernetes that a chapter follows, and the release it landed in.

    Attributes
    ----------
    chapter : str
        The model key it belongs to (``"heartbeats"``, ``"secrets"``, … ``"priority"``).
    key : str
        A short name for the change (``"lease-on"``), used by :func:`release`.
    what : str
        The change, in words.
    since : str
        The first release that has it (a patch release where that matters).
    status : str
        ``"alpha"``, ``"beta"``, ``"on by default"``, ``"GA"``, ``"default"``, ``"off"``
        (a fix taken out again) or ``"deprecated"``.
    modelled : bool
        Whether the lab computes its effect (otherwise: history, listed for completeness).
    source : str
        Where the facts file (or the talk) has it.
    """

    chapter: str
    key: str
    what: str
    since: str
    status: str
    modelled: bool
    source: str

    @property
    def version(self) -> tuple[int, int, int]:
        return parse_version(self.since)


#: Every change the course follows, by chapter, in the order they landed. The source is the
#: facts file's, which names the KEP or PR; "the talk" is SIG Scalability's 2019 slides.
FIXES: tuple[Fix, ...] = (
    # chapter 2 — node heartbeats (KEP-589)
    Fix("heartbeats", "lease-alpha", "node Lease heartbeats (alpha, off by default)", "1.13",
        "alpha", True, "KEP-589; the talk: 1.13 (alpha)"),
    Fix("heartbeats", "lease-on", "node Lease heartbeats on by default; NodeStatus reported "
        "every 1 min (nodeStatusReportFrequency)", "1.14", "on by default", True,
        "KEP-589; the talk: 1.14 (beta)"),
    Fix("heartbeats", "report-5min", "NodeStatus reported every 5 min (node objects had grown "
        "to \"~30 KB\" with managed fields); Lease GA", "1.17", "GA", True,
        "KEP-589; kubelet defaults.go (NodeStatusReportFrequency)"),
    Fix("heartbeats", "grace-50s", "node-monitor-grace-period 50 s (was 40 s)", "1.32",
        "default", True, "KEP-589; kube-controller-manager flag"),
    # chapter 3 — kubelet secrets and configmaps
    Fix("secrets", "watch-on", "kubelet watches each referenced Secret/ConfigMap (Watch "
        "strategy), with a Go 1.10–1.11 client that blocks when 250 streams are busy",
        "1.12", "default", True, "PR #64752; the talk: enabled till 1.12.6; golang/go#27044. "
        "That it was on from 1.12.0 and off (TTL polling) before 1.12 is the course's "
        "reading: unverified (the facts give only \"on until 1.12.6\")"),
    Fix("secrets", "watch-off-1.12", "Watch strategy switched off (back to TTL polling)",
        "1.12.7", "off", True, "PR #74755; the talk: disabled from 1.12.7"),
    Fix("secrets", "watch-off-1.13", "Watch strategy switched off in 1.13 too", "1.13.5",
        "off", True, "the talk: enabled till 1.13.4, disabled from 1.13.5"),
    Fix("secrets", "watch-go1.12", "Watch strategy back on, built with Go 1.12 (a new "
        "connection when streams run out)", "1.14.2", "default", True,
        "PR #74781; the talk: enabled from 1.14.2"),
    Fix("secrets", "immutable", "immutable Secrets/ConfigMaps: the kubelet stops watching "
        "them", "1.18", "alpha", False, "KEP-1412 (alpha 1.18, GA 1.21)"),
    Fix("secrets", "streams-100", "kube-apiserver allows 100 HTTP/2 streams per connection "
        "(was Go's 250)", "1.29", "default", True,
        "PR #121120 (late 2023; the course reads that as 1.29: unverified)"),
    # chapter 4 — kube-proxy
    Fix("kube-proxy", "ipvs-ga", "IPVS mode GA (beta since 1.9); iptables stays the default "
        "mode", "1.11", "GA", True, "KEP-265; the talk: 1.11 (GA)"),
    Fix("kube-proxy", "partial-restore", "iptables partial restore: only changed services' "
        "chains written (KEP-3453 alpha 1.26, GA 1.28)", "1.27", "beta", True,
        "KEP-3453 (beta taken as on by default: unverified)"),
    Fix("kube-proxy", "nftables", "nftables mode (alpha 1.29, beta 1.31, GA 1.33); iptables "
        "remains the default", "1.33", "GA", False, "KEP-3866"),
    Fix("kube-proxy", "ipvs-deprecated", "IPVS mode deprecated, users steered to nftables",
        "1.35", "deprecated", False, "KEP-5495"),
    # chapter 5 — the scheduler (kscale_lab.scheduler.releases.FIXES)
    Fix("scheduler", "affinity-by-node", "anti-affinity predicate: matching pods precomputed "
        "once per cycle", "1.11", "default", True, "PR #62211"),
    Fix("scheduler", "percentage-50", "percentageOfNodesToScore, fixed default 50 %", "1.12",
        "default", True, "scheduler docs; the talk: 1.12"),
    Fix("scheduler", "topology-pairs", "anti-affinity by topology-pair maps", "1.12",
        "default", True, "PRs #66948, #67788; the talk: 1.12"),
    Fix("scheduler", "adaptive-percentage", "adaptive percentage 50 − nodes/125 % (at least "
        "5 % and 100 nodes)", "1.14", "default", True, "PR #72140"),
    Fix("scheduler", "snapshot-recency", "snapshot walks NodeInfos by recency", "1.14",
        "default", True, "PR #74041; the talk: 1.14"),
    Fix("scheduler", "zone-label", "zone label topology.kubernetes.io/zone", "1.17",
        "default", False, "API"),
    # chapter 6 — events
    Fix("events", "events-v1", "events.k8s.io/v1: isomorphic events and series (which "
        "components use it in which release is not in the facts file)", "1.19", "GA", True,
        "KEP-383"),
    # chapter 7 — watch bookmarks (KEP-956) and the watch cache
    Fix("watch", "bookmarks-alpha", "watch bookmarks (alpha, off by default)", "1.15",
        "alpha", True, "KEP-956; the talk: 1.15 (alpha)"),
    Fix("watch", "bookmarks-beta", "watch bookmarks beta (taken as on by default: "
        "unverified)", "1.16", "beta", True, "KEP-956"),
    Fix("watch", "bookmarks-ga", "watch bookmarks GA", "1.17", "GA", True, "KEP-956"),
    Fix("watch", "dynamic-cache", "dynamic watch cache: 100 … 102,400 events, about 75 s of "
        "history", "1.19", "default", True, "apiserver cacher/watch_cache.go"),
    # chapter 8 — EndpointSlices (KEP-0752) and API Priority and Fairness (KEP-1040)
    Fix("endpoints", "slices-alpha", "EndpointSlices (alpha)", "1.16", "alpha", False,
        "KEP-0752"),
    Fix("endpoints", "slices-kube-proxy", "kube-proxy reads EndpointSlices (beta since "
        "1.17, GA 1.21)", "1.19", "default", True, "KEP-0752"),
    Fix("priority", "apf-alpha", "API Priority and Fairness (alpha)", "1.18", "alpha", False,
        "KEP-1040"),
    Fix("priority", "apf-on", "API Priority and Fairness on by default (beta; GA 1.29)",
        "1.20", "on by default", True, "KEP-1040"),
)


def fixes_for(chapter: str) -> tuple[Fix, ...]:
    """The rows of :data:`FIXES` of one chapter's model key (``ValueError`` if none)."""
    rows = tuple(f for f in FIXES if f.chapter == chapter)
    if not rows:
        known = ", ".join(dict.fromkeys(f.chapter for f in FIXES))
        raise ValueError(f"chapter must be one of {known}; got {chapter!r}")
    return rows


def _since(key: str) -> tuple[int, int, int]:
    for f in FIXES:
        if f.key == key:
            return f.version
    raise KeyError(key)


@dataclass(frozen=True)
class Release:
    """What one release runs, chapter by chapter, read from :data:`FIXES`.

    Each attribute is named after the Kubernetes setting or behaviour it stands for; the
    capstone hands them to each chapter's model.
    """

    name: str
    version: tuple[int, int, int]
    node_lease: bool
    """The kubelet renews a Lease (chapter 2's improved version); before 1.14 it writes the
    whole NodeStatus every 10 s."""
    node_status_report_frequency_s: int
    """With the Lease: 60 s (1.14–1.16), 300 s from 1.17. Without: the 10-s update period."""
    node_monitor_grace_period_s: int
    """40 s; 50 s from 1.32."""
    secrets_strategy: str
    """``"Cache"`` (TTL polling) or ``"Watch"`` (chapter 3)."""
    go_client: str
    """The kubelet's Go HTTP/2 client where it matters: ``"go1.10"`` blocks when streams run
    out, ``"go1.12"`` opens another connection (``"go1.12"`` where it does not matter)."""
    http2_max_streams_per_connection: int
    """250 (Go's default); 100 from the release the course reads PR #121120 into (1.29)."""
    iptables_restore: str
    """``"full"`` or ``"partial"`` (KEP-3453) for kube-proxy's iptables mode."""
    scheduler: str
    """The scheduler release chapter 5 models for this release (its minor)."""
    events_v1: bool
    """Whether ``events.k8s.io/v1`` exists (from 1.19)."""
    watch_bookmarks: bool
    """Whether reflectors get bookmarks by default (beta from 1.16, unverified default)."""
    dynamic_watch_cache: bool
    """The 1.19+ watch cache sized to ~75 s of history, instead of a fixed capacity."""
    endpoint_slices: bool
    """kube-proxy reads EndpointSlices (from 1.19) instead of one Endpoints per service."""
    apf: bool
    """API Priority and Fairness on by default (from 1.20) instead of the two in-flight pools."""

    def differences(self, other: Release) -> list[tuple[str, object, object]]:
        """``(setting, here, there)`` for every setting ``other`` runs differently: what
        changes when the version moves from this release to ``other``."""
        out = []
        for name in self.__dataclass_fields__:
            if name in ("name", "version"):
                continue
            here, there = getattr(self, name), getattr(other, name)
            if here != there:
                out.append((name, here, there))
        return out


def release(version: str) -> Release:
    """What Kubernetes ``version`` runs, chapter by chapter (see the module docstring).

    Parameters
    ----------
    version : str
        ``"1.11"`` … ``"1.35"``, ``"v1.13.4"``: any release from 1.11 to today.

    Returns
    -------
    Release
    """
    from kscale_lab.secrets.dimensions import SecretsDimensions
    from kscale_lab.secrets.releases import secrets_at

    v = parse_version(version)
    name = version_name(v)
    lease = v >= _since("lease-on")
    report = 10 if not lease else (300 if v >= _since("report-5min") else 60)
    secrets = secrets_at(SecretsDimensions(), name)
    return Release(
        name=name, version=v, node_lease=lease, node_status_report_frequency_s=report,
        node_monitor_grace_period_s=50 if v >= _since("grace-50s") else 40,
        secrets_strategy=secrets.strategy, go_client=secrets.dims.go_client,
        http2_max_streams_per_connection=100 if v >= _since("streams-100") else 250,
        iptables_restore="partial" if v >= _since("partial-restore") else "full",
        scheduler=f"1.{v[1]}",
        events_v1=v >= _since("events-v1"),
        watch_bookmarks=v >= _since("bookmarks-beta"),
        dynamic_watch_cache=v >= _since("dynamic-cache"),
        endpoint_slices=v >= _since("slices-kube-proxy"),
        apf=v >= _since("apf-on"))
