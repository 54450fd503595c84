"""Headroom: each chapter's load or delay at one cluster and release, over the limit that breaks.

For every chapter the capstone runs the chapter's own model (at the dimensions
:func:`~.dimensions.chapter_dimensions` gives it, on the side the release runs) and divides
what the model predicts by the limit at which that mechanism breaks:

=============  ===============================================  =============================
key            load or delay ÷                                   limit (source)
=============  ===============================================  =============================
envelope       the cluster's worst value ÷ its threshold         thresholds.md
heartbeats     bytes the heartbeats hold in etcd at the peak     etcd quota (2 GiB default)
secrets        Cache: read-only seats the kubelets' GETs ask     400 read-only seats
               for; Watch: streams a kubelet needs on one        250 (100) streams per HTTP/2
               connection (its watches and its heartbeat)        connection
kube-proxy     seconds of syncing per second of endpoint         1 s per second (the course's)
               changes
scheduler      p99 scheduling latency ÷ 5 s, or pods arriving    the 5 s pod-startup SLO (only
               ÷ pods it can place, the larger                   at churn ≤ 20 pods/s)
events         Event objects held, or bytes in the events etcd   1,000,000 Events; etcd quota
watch          events a restarting pod watch must replay         the pods watch cache's
               (mean), ÷ the events the watch cache holds        capacity (410 beyond it)
endpoints      the largest object holding a Service's backends   etcd's 1.5 MiB request limit
priority       seats asked for in the pool or level the node     200 mutating seats; APF's
               heartbeats use (every chapter's requests there)   node-high level (98 seats)
=============  ===============================================  =============================

A ratio above 1 is past the limit: *broken*. Exactly 1 is at it (a threshold is an "up to").
A ratio of 0 means no limit of the chapter applies on that release (a kubelet whose Go client
opens another connection when its streams run out).

The envelope is a limit of another kind: past a threshold, SIG Scalability no longer
promises its SLOs, but nothing in particular breaks. The capstone reports its ratio beside the
others and never names it the bottleneck that bites first (:data:`MECHANISMS`).

Which of these are the course's own construction, not a published limit, is said in each
:class:`Headroom`'s ``construction``: the envelope's proportional limits (chapter 1's
reading), the proxier's "busy all the time", the scheduling latency standing for part of pod
startup, the watch backlog against the cache, and the seats of every chapter's requests at
one illustrative seat time. The etcd quota, the 1,000,000 Events, 250 streams, the in-flight
seats, the 5-s SLO and etcd's 1.5 MiB request limit are the facts file's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kscale_lab.control_plane.flowcontrol import nominal_concurrency_limits
from kscale_lab.control_plane.load import MUTATING_VERBS, ApiLoad
from kscale_lab.control_plane.watch_cache import init_events_processed_with_bookmarks
from kscale_lab.model import Outcome
from kscale_lab.versions import Release

__all__ = ["APF_NODE_HIGH_SEATS", "LIMITS", "MECHANISMS", "MUTATING_SEATS", "NODE_HIGH_SOURCES",
           "READONLY_SEATS", "Headroom", "headrooms", "main_etcd_bytes"]

#: ``--max-requests-inflight`` and ``--max-mutating-requests-inflight`` (apiserver
#: ``server/config.go``, facts file).
READONLY_SEATS, MUTATING_SEATS = 400, 200
#: The node-high priority level's seats under APF: ceil(600 × 40 / 245) (KEP-1040 defaults).
APF_NODE_HIGH_SEATS = nominal_concurrency_limits(READONLY_SEATS + MUTATING_SEATS)["node-high"]
#: Whose requests land in node-high under APF: the kubelets' (the course's flow schemas send
#: the group ``system:nodes`` there). The events are taken to be the kubelets' (chapter 6's
#: reporters; the scheduler's one "Scheduled" event per pod is counted with them).
NODE_HIGH_SOURCES = ("heartbeats", "secrets", "events", "watch")
#: The keys whose limits are mechanisms that break (all but the envelope's thresholds).
MECHANISMS = ("heartbeats", "secrets", "kube-proxy", "scheduler", "events", "watch",
              "endpoints", "priority")
#: The 5 s pod startup SLO (p99), and the churn under which it is promised (facts file).
POD_STARTUP_SLO_S, SLO_MAX_CHURN = 5.0, 20
#: SIG Scalability's threshold of Event objects per cluster (thresholds.md).
EVENTS_THRESHOLD = 1_000_000


@dataclass(frozen=True)
class Headroom:
    """One chapter's load or delay at one cluster and release, beside the limit that breaks.

    ``ratio = value / limit`` (0 when no limit applies, e.g. a kubelet that opens another
    connection when streams run out); above 1 the mechanism is past its limit.
    """

    key: str
    """The model key (``kscale run KEY``): a chapter's key, or ``"priority"`` (chapter 8)."""
    chapter: int
    ratio: float
    value: float
    """The load or delay the chapter's model predicts, in :attr:`unit`."""
    limit: float
    unit: str
    what: str
    """What :attr:`value` is, in words."""
    limit_label: str
    """The limit, in words."""
    source: str
    """Where the limit comes from."""
    construction: str
    """What of this ratio is the course's own construction ("" if none)."""
    setting: str
    """What the release runs for this chapter ("Lease + NodeStatus every 1 min" …)."""
    side: str
    """``"naive"``, ``"improved"`` or ``"intermediate"`` (a fix in part: the Lease with
    1-minute reports, a watch with the blocking Go client, a partial iptables restore)."""

    @property
    def broken(self) -> bool:
        """Past the limit (``ratio > 1``)."""
        return self.ratio > 1.0


#: Each key's limit, its source, and what of the ratio is the course's construction.
LIMITS: dict[str, tuple[str, str, str]] = {
    "envelope": ("the threshold for this cluster's size",
                 "kubernetes/community sig-scalability thresholds.md",
                 "chapter 1's reading: cluster-wide limits proportionally lower below 5,000 "
                 "nodes; pods and services spread evenly over namespaces"),
    "heartbeats": ("etcd quota (--quota-backend-bytes)", "etcd docs: 2 GiB default, 8 GiB "
                   "suggested maximum", ""),
    "secrets": ("read-only seats (Cache) / HTTP/2 streams per connection (Watch)",
                "apiserver server/config.go (400 seats); x/net http2 server (250 streams), "
                "kube-apiserver 100 since PR #121120; golang/go#27044", ""),
    "kube-proxy": ("1 s of syncing per second", "the course's; chapter 4's costs "
                   "(iptables calibrated on iptables-legacy, IPVS illustrative), "
                   "--iptables-min-sync-period 1 s (KEP-3453)",
                   "a proxier that must sync for longer than the time it has never idles, "
                   "and every change waits for whole syncs: the course's definition of broken"),
    "scheduler": ("5 s pod startup SLO (p99), or placing as fast as pods arrive",
                  "community slos.md (facts file); the SLO holds only at churn ≤ 20 pods/s",
                  "scheduling latency is one part of pod startup, so this ratio is a lower "
                  "bound; above 20 pods/s only the throughput is judged"),
    "events": ("1,000,000 Event objects; the events etcd's quota",
               "community thresholds.md; etcd docs", ""),
    "watch": ("the events the pods watch cache holds",
              "apiserver cachesize (talk era: max(1,000, 50 × nodes)); cacher/watch_cache.go "
              "(1.19+: 100 … 102,400, ~75 s)",
              "the course's: a restart asking for more than the cache holds is answered "
              "410 Gone and relists; the mean backlog against the capacity says how close "
              "a typical restart comes"),
    "endpoints": ("etcd's request limit, 1.5 MiB", "etcd docs", ""),
    "priority": ("seats of the pool or level the heartbeats use",
                 "apiserver server/config.go (200 mutating seats); KEP-1040 (node-high: "
                 "40 of 245 shares of 600 seats)",
                 "every chapter's requests at one illustrative seat time (seat_ms); "
                 "watches hold no seat; under APF the kubelets' requests (heartbeats, secrets, "
                 "their events and pod watches) share node-high (the course's flow schemas)"),
}


# --- each chapter's model, cached on its dimensions -----------------------------------------

@lru_cache(maxsize=512)
def run(key: str, dims: Any, side: str) -> Outcome:
    """Chapter ``key``'s model at ``dims`` on ``side`` (cached: dimensions are hashable)."""
    model = _models()[key]
    return model.run(dims, model.version(side))


@lru_cache(maxsize=1)
def _models() -> dict[str, Any]:
    from kscale_lab.endpoints import EndpointsModel
    from kscale_lab.envelope import EnvelopeModel
    from kscale_lab.events import EventsModel
    from kscale_lab.heartbeats import HeartbeatsModel
    from kscale_lab.kube_proxy import KubeProxyModel
    from kscale_lab.secrets import SecretsModel

    return {m.key: m for m in (EnvelopeModel(), HeartbeatsModel(), SecretsModel(),
                               KubeProxyModel(), EventsModel(), EndpointsModel())}


@lru_cache(maxsize=256)
def _scheduler(dims: Any, version: str) -> Outcome:
    from kscale_lab.scheduler import outcome_at

    return outcome_at(dims, version)


@lru_cache(maxsize=256)
def _watch(dims: Any, version: str, nodes: int) -> Outcome:
    from kscale_lab.watch import watch_at

    return watch_at(dims, version, nodes=nodes)


@lru_cache(maxsize=256)
def _iptables_sync_s(dims: Any) -> float:
    from kscale_lab.kube_proxy.model import iptables_latency

    return iptables_latency(dims)[1]


# --- one function per chapter: (Headroom, outcome, load) ------------------------------------

def _envelope(dims: Any, r: Release, cd: dict) -> tuple:
    out = run("envelope", cd["envelope"], "improved")
    worst = max(out.checks, key=lambda c: c.ratio)
    h = _headroom("envelope", 1, worst.ratio, worst.value, worst.limit, worst.unit,
                  f"{worst.label}: the cluster's value nearest (or furthest past) its "
                  "threshold", "the same thresholds in every release", "improved")
    return h, out, ApiLoad()                # limits, not a client of the control plane


def _heartbeats(dims: Any, r: Release, cd: dict) -> tuple:
    d = cd["heartbeats"]
    side = "improved" if r.node_lease else "naive"
    out = run("heartbeats", d, side)
    held = out.load.etcd_bytes
    if side == "naive":
        setting = f"NodeStatus ({d.node_bytes / 1024:.1f} KiB) every 10 s"
    else:
        setting = (f"Lease every 10 s + NodeStatus every "
                   f"{r.node_status_report_frequency_s // 60} min")
    h = _headroom("heartbeats", 2, held / d.quota_bytes, held, d.quota_bytes, "B",
                  "bytes the heartbeats hold in etcd at the peak: their objects and two "
                  "compaction intervals of their revisions", setting,
                  "naive" if side == "naive" else
                  ("intermediate" if r.node_status_report_frequency_s < 300 else "improved"))
    return h, out, out.load


def _secrets(dims: Any, r: Release, cd: dict) -> tuple:
    sr = cd["secrets"]
    d = sr.dims
    out = run("secrets", d, sr.side)
    streams = d.http2_max_streams_per_connection
    u = d.unique_objects_per_node
    if sr.side == "naive":
        seats = out.get_requests_per_s * d.get_latency_s
        h = _headroom("secrets", 3, seats / d.max_requests_inflight, seats,
                      d.max_requests_inflight, "seats",
                      "read-only seats the kubelets' GETs ask for (GETs/s × seat time)",
                      f"Cache: GET each object when its TTL ({d.ttl_s} s) has passed", "naive")
    elif d.client.blocks_when_full:
        h = _headroom("secrets", 3, (u + 1) / streams, u + 1, streams, "streams",
                      "streams a kubelet needs on its one connection: a watch per object and "
                      "its heartbeat", "Watch, with a Go 1.10–1.11 client that blocks when "
                      "every stream is busy", "intermediate")
    else:
        h = _headroom("secrets", 3, 0.0, u + 1, streams, "streams",
                      "streams a kubelet needs (a watch per object and its heartbeat); no "
                      "limit breaks: a Go ≥ 1.12 client opens another connection when they "
                      "run out", "Watch, with a Go ≥ 1.12 client", "improved")
    return h, out, out.load


def _kube_proxy(dims: Any, r: Release, cd: dict) -> tuple:
    from kscale_lab.kube_proxy.model import IPVS_PER_OP_S

    d = cd["kube-proxy"]
    if dims.proxy_mode == "iptables":
        out = run("kube-proxy", d, "naive")
        sync_s = _iptables_sync_s(d)
        syncs = min(d.endpoint_changes_per_s, 1.0 / max(d.min_sync_period_s, sync_s))
        busy = sync_s * min(d.endpoint_changes_per_s, 1.0 / d.min_sync_period_s)
        h = _headroom("kube-proxy", 4, busy, busy, 1.0, "s/s",
                      f"seconds of syncing a second asks for: one {d.iptables_restore} "
                      f"restore ({sync_s:.2f} s) for every change, at most one per "
                      f"{d.min_sync_period_s:g} s (it manages {syncs:.2g} syncs/s)",
                      f"iptables, {d.iptables_restore} restore",
                      "naive" if d.iptables_restore == "full" else "intermediate")
    else:
        out = run("kube-proxy", d, "improved")
        busy = d.endpoint_changes_per_s * IPVS_PER_OP_S
        h = _headroom("kube-proxy", 4, busy, busy, 1.0, "s/s",
                      "seconds of netlink operations a second asks for: one per change",
                      "IPVS: one hash-table update per change", "improved")
    return h, out, out.load


def _scheduler_headroom(dims: Any, r: Release, cd: dict) -> tuple:
    d = cd["scheduler"]
    out = _scheduler(d, r.scheduler)
    util = out.scheduler_utilisation
    ratio, value, limit, unit = util, float(d.arrival_rate), out.pods_per_s, "pods/s"
    what = "pods arriving per second ÷ pods it can place per second"
    if d.arrival_rate <= SLO_MAX_CHURN and out.p99_scheduling_latency_s is not None:
        slo = out.p99_scheduling_latency_s / POD_STARTUP_SLO_S
        if slo >= util:
            ratio, value, limit, unit = slo, out.p99_scheduling_latency_s, POD_STARTUP_SLO_S, "s"
            what = "p99 scheduling latency: queue, cycle and client token (part of startup)"
    side = "improved" if r.version[1] >= 14 else "intermediate"    # 1.11 has PR #62211
    h = _headroom("scheduler", 5, ratio, value, limit, unit, what,
                  f"the {out.release} scheduler", side)
    bound = min(out.pods_per_s, float(d.arrival_rate))
    # its "Scheduled" event is counted with chapter 6's churn events
    return h, out, ApiLoad({"CREATE": bound})


def _events(dims: Any, r: Release, cd: dict) -> tuple:
    d = cd["events"]
    side = "improved" if (dims.new_event_api and r.events_v1) else "naive"
    out = run("events", d, side)
    quota = dims.quota_gib * 2**30
    by_objects = out.event_objects_stored / EVENTS_THRESHOLD
    by_bytes = out.events_etcd_bytes / quota
    if by_objects >= by_bytes:
        value, limit, unit, what = (float(out.event_objects_stored), EVENTS_THRESHOLD,
                                    "objects", "Event objects held (their 1 h TTL)")
    else:
        value, limit, unit, what = (out.events_etcd_bytes, quota, "B",
                                    "bytes the Events hold in their etcd")
    setting = ("events.k8s.io series" if side == "improved" else
               "core/v1 events, the old correlator" + (
                   "" if r.events_v1 else " (events.k8s.io/v1 comes in 1.19)"))
    h = _headroom("events", 6, max(by_objects, by_bytes), value, limit, unit, what, setting,
                  side)
    return h, out, out.load


def _watch_headroom(dims: Any, r: Release, cd: dict) -> tuple:
    from kscale_lab.capstone.dimensions import watch_release
    from kscale_lab.watch import dynamic_capacity, pods_cache_capacity

    d = cd["watch"]
    out = _watch(d, watch_release(r), dims.nodes)
    s, lam = d.selectivity, d.events_per_s
    capacity = dynamic_capacity(lam) if r.dynamic_watch_cache else pods_cache_capacity(dims.nodes)
    if r.watch_bookmarks and d.bookmarks:
        backlog = init_events_processed_with_bookmarks(lam, s)
        setting = "bookmarks 2 s before each watch times out"
    else:
        backlog = (1 - s) / s
        setting = "re-watch from the last pod event seen (no bookmarks)"
    setting += (", dynamic watch cache" if r.dynamic_watch_cache else
                ", fixed pods watch cache")
    side = ("improved" if r.watch_bookmarks and r.dynamic_watch_cache else
            "intermediate" if r.watch_bookmarks else "naive")
    h = _headroom("watch", 7, backlog / capacity, backlog, capacity, "events",
                  "pod events a kubelet's restarting watch must replay (mean)", setting, side)
    return h, out, out.load


def _endpoints(dims: Any, r: Release, cd: dict) -> tuple:
    from kscale_lab.endpoints import ETCD_MAX_REQUEST_BYTES

    d = cd["endpoints"]
    side = "improved" if r.endpoint_slices else "naive"
    out = run("endpoints", d, side)
    h = _headroom("endpoints", 8, out.object_bytes / ETCD_MAX_REQUEST_BYTES,
                  float(out.object_bytes), ETCD_MAX_REQUEST_BYTES, "B",
                  "the largest object holding one Service's backends",
                  "EndpointSlices of 100" if side == "improved" else
                  "one Endpoints object per Service", side)
    return h, out, out.load


def _priority(dims: Any, r: Release, loads: dict[str, ApiLoad]) -> Headroom:
    seat_s = dims.seat_ms / 1000
    if r.apf:
        asked = sum(ld.requests_per_s - ld.requests_per_s_by_verb["WATCH"]
                    for key, ld in loads.items() if key in NODE_HIGH_SOURCES)
        seats, what = APF_NODE_HIGH_SEATS, ("seats the kubelets' requests ask for in the "
                                            "node-high level (requests/s × seat time)")
        setting = "API Priority and Fairness: heartbeats in node-high with the kubelets"
    else:
        asked = sum(rate for ld in loads.values()
                    for verb, rate in ld.requests_per_s_by_verb.items()
                    if verb in MUTATING_VERBS)
        seats, what = MUTATING_SEATS, ("mutating seats every chapter's writes ask for "
                                       "(requests/s × seat time)")
        setting = "max-inflight pools: the heartbeats share the 200 mutating seats"
    value = asked * seat_s
    return _headroom("priority", 8, value / seats, value, seats, "seats", what, setting,
                     "improved" if r.apf else "naive")


def _headroom(key: str, chapter: int, ratio: float, value: float, limit: float, unit: str,
              what: str, setting: str, side: str) -> Headroom:
    label, source, construction = LIMITS[key]
    ratio = float(ratio) + 0.0
    if not math.isfinite(ratio):
        raise ValueError(f"headroom of {key} must be finite; got {ratio}")
    return Headroom(key, chapter, ratio, float(value) + 0.0, float(limit), unit, what, label,
                    source, construction, setting, side)


_CHAPTERS = (("envelope", _envelope), ("heartbeats", _heartbeats), ("secrets", _secrets),
             ("kube-proxy", _kube_proxy), ("scheduler", _scheduler_headroom),
             ("events", _events), ("watch", _watch_headroom), ("endpoints", _endpoints))


def headrooms(dims: Any, r: Release) -> tuple[tuple[Headroom, ...], dict[str, Outcome],
                                              dict[str, ApiLoad]]:
    """Every chapter's :class:`Headroom` for ``dims`` on release ``r``.

    Parameters
    ----------
    dims : CapstoneDimensions
        The cluster.
    r : Release
        What the release runs (:func:`kscale_lab.versions.release`).

    Returns
    -------
    tuple
        ``(headrooms, outcomes, loads)``: the headrooms in chapter order (``priority`` last:
        it reads the others' loads), and by model key each chapter's own outcome and its
        :class:`~kscale_lab.control_plane.ApiLoad`.
    """
    from kscale_lab.capstone.dimensions import chapter_dimensions

    cd = chapter_dimensions(dims, r)
    rooms, outcomes, loads = [], {}, {}
    for key, fn in _CHAPTERS:
        h, out, load = fn(dims, r, cd)
        rooms.append(h)
        outcomes[key] = out
        loads[key] = load
    rooms.append(_priority(dims, r, loads))
    loads["priority"] = ApiLoad()           # a view of the others' requests, not a source
    return tuple(rooms), outcomes, loads


def main_etcd_bytes(loads: dict[str, ApiLoad]) -> float:
    """Bytes every chapter holds in the main etcd at the peak (the Events have their own):
    the heartbeats' and the endpoints' objects and history."""
    return sum(ld.etcd_bytes for key, ld in loads.items() if key != "events")
