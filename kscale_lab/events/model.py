"""Chapter 6 at cluster scale: the events of thousands of objects in closed form.

The SimPy run (:mod:`~kscale_lab.events.simulation`) pushes every occurrence through the
real correlator or series cache. At cluster scale that would take minutes, and it is not
needed: every piece of client state is **per object** — the old API's aggregate records,
counts and spam token buckets are keyed by the involved object, the new API's series by the
isomorphic fields — so each hot-looping object behaves alone, and only its *phase* (when its
loop started) differs. The model therefore derives

* **old API, one object** (:func:`naive_object`): occurrence by occurrence, which key each of
  its events is filed under (an exact repeat's, a new message's, or — once 10 distinct
  messages fall within 600 s, i.e. for repeats at most 600 / 9 s apart — the combined
  event's), whether the object's token bucket (25, plus one per 300 s) has a token, and so
  POST, PATCH (a PATCH whose object was never created becomes a POST), or dropped. It depends
  only on how many occurrences the object has, ``K``; objects have ``K`` or ``K + 1``
  occurrences, by phase. When one component reports more objects than its LRU caches hold
  (4096 entries; the quota workload, reported by the one replicaset controller), every object
  is forgotten before it recurs: each occurrence then starts afresh — no aggregation, a full
  token bucket, a new Event object (:func:`lru_forgets`);
* **new API, every object at once** (:func:`improved_counts`), vectorised over the phases:
  one POST, one PATCH at the second occurrence, a heartbeat PATCH at each 30-minute tick the
  series is open, a final PATCH at the first 6-minute check more than 6 min after the last
  occurrence, if that comes within the run;
* **pod churn**: ``ceil(horizon × churn)`` pods, six one-shot events each, a POST each in both
  APIs.

``tests/test_events.py`` holds the two scales to each other at sizes where SimPy runs.
Every Event carries the 1 h TTL; the run is at most an hour long, so nothing expires within
it (the lease each object gets lasts its TTL plus up to a minute of reuse): every Event
created is still stored at the end.

Bytes: every write stores the whole Event (sizes measured by serializing each object,
:mod:`~kscale_lab.events.objects`); the events etcd holds the live objects plus up to two
compaction intervals (5 min each) of their history, as chapter 2 derives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane import ApiLoad
from kscale_lab.control_plane.apiserver import COMPACTION_INTERVAL_S
from kscale_lab.dimensions import DimensionConflict, Dimensions, choice, dimension, flag, shared
from kscale_lab.events.correlator import (
    AGGREGATE_MAX_EVENTS,
    AGGREGATE_WINDOW_S,
    LRU_SIZE,
    SPAM_BURST,
    SPAM_QPS,
)
from kscale_lab.events.objects import CHURN_EVENTS, WORKLOADS, Workload
from kscale_lab.events.series import FINISH_CHECK_S, HEARTBEAT_S, SERIES_CLOSE_S
from kscale_lab.events.simulation import object_sizes, phases
from kscale_lab.model import Model, Outcome, Version, metric, side_of

__all__ = ["THRESHOLD_EVENTS", "EventsDimensions", "EventsModel", "EventsOutcome",
           "improved_counts", "lru_forgets", "naive_object"]

#: SIG Scalability's threshold: Event objects per cluster (community ``thresholds.md``).
THRESHOLD_EVENTS = 1_000_000
#: Bins of the API-call timeline (one minute).
BIN_S = 60


@dataclass(frozen=True)
class EventsDimensions(Dimensions):
    """The workload, the dimensions that suffer (#nodes, pod churn) and the run."""

    nodes: int = shared("nodes", 5000, help="Each node runs one kubelet, which reports its "
                                            "pods' events")
    workload: str = choice("sandbox", choices=tuple(WORKLOADS),
                           help="What the hot-looping objects do: sandbox (the talk's "
                                "FailedCreatePodSandBox, a new message each time), crashloop "
                                "(four exact repeats per restart), imagepull (three), quota (a "
                                "ReplicaSet's FailedCreate, reported by the one replicaset "
                                "controller)")
    hot_objects_per_node: float = dimension(
        1.0, lo=0.0, hi=110.0, step=0.1, unit="objects/node", label="hot objects/node",
        help="Hot-looping objects (pods; for quota, stuck ReplicaSets) per node, on average: "
             "0.1 is one in ten nodes")
    repeat_period_s: int = dimension(20, lo=1, hi=300, unit="s", label="repeat period",
                                     help="How often each hot object repeats its events "
                                          "(a restart, a retry); illustrative")
    hot_loop_s: int = dimension(2400, lo=60, hi=3600, step=60, unit="s", label="hot loop lasts",
                                hi_dim="horizon_s",
                                help="The objects loop from t = 0 until this time, then stop")
    churn_pods_per_s: float = dimension(
        5.0, lo=0.0, hi=100.0, step=0.5, unit="pods/s", label="pod churn",
        help="Pods started per second (each with six one-shot events); the SLOs assume at "
             "most 20")
    separate_events_etcd: bool = flag(True, label="separate events etcd",
                                      help="Events in an etcd of their own, as large clusters "
                                           "run them (an SLO prerequisite)")
    horizon_s: int = dimension(3600, lo=600, hi=3600, step=60, unit="s", label="simulated time",
                               help="How long to run (at most the events' 1 h TTL)")

    def check(self) -> None:
        w = WORKLOADS[self.workload]
        if not w.per_node_source:
            return
        per_node = math.ceil(self.hot_objects_per_node)
        hot_keys = per_node * (w.events_per_repeat + 1)
        churn_keys = math.ceil(self.churn_pods_per_s * self.repeat_period_s / self.nodes) * 5
        if hot_keys + churn_keys > LRU_SIZE:
            raise DimensionConflict(
                f"a kubelet would see {hot_keys + churn_keys:,} event keys within one repeat "
                f"period, more than its correlator's caches hold ({LRU_SIZE:,} entries), and "
                "would forget hot objects between repeats, which this model does not compute: "
                "fewer hot objects per node, less churn per node, or a shorter repeat period",
                ("hot_objects_per_node", "churn_pods_per_s", "repeat_period_s", "nodes"))

    @property
    def hot_objects(self) -> int:
        """Hot-looping objects in the cluster."""
        return int(round(self.nodes * self.hot_objects_per_node))

    @property
    def churn_pods(self) -> int:
        """Pods started within the run: one at every multiple of ``1 / churn`` before the end."""
        return math.ceil(self.horizon_s * self.churn_pods_per_s)

    def expected_occurrences(self) -> float:
        """About how many events the run reports (for :func:`~.simulation.simulate`'s limit)."""
        w = WORKLOADS[self.workload]
        loops = self.hot_objects * (self.hot_loop_s / self.repeat_period_s + 1)
        return loops * w.events_per_repeat + self.churn_pods * len(CHURN_EVENTS)


@dataclass(frozen=True)
class EventsOutcome(Outcome):
    """What one version of the event pipeline does to the apiserver and the events etcd."""

    occurrences_per_s: float = metric(unit="events/s", help="Events the components report "
                                                            "(the same in both versions)")
    api_calls_per_s: float = metric(unit="req/s", help="POST + PATCH requests of Events")
    posts_per_s: float = metric(unit="req/s", help="POSTs: new Event objects")
    patches_per_s: float = metric(unit="req/s", help="PATCHes of existing Event objects "
                                                     "(counts, series, heartbeats)")
    peak_api_calls_per_s: float = metric(unit="req/s", help="The busiest minute's requests per "
                                                            "second")
    events_dropped_per_s: float = metric(unit="events/s", help="Events dropped on the client: "
                                                              "by the spam filter or a full "
                                                              "queue (the lab's queues never "
                                                              "fill)")
    event_objects_stored: int = metric(unit="objects", help="Event objects in etcd at the end "
                                                            "of the run (threshold 1,000,000)")
    events_etcd_bytes: float = metric(unit="B", help="Bytes the Events hold in etcd: live "
                                                     "objects + two compaction intervals of "
                                                     "history")
    main_etcd_event_bytes: float = metric(unit="B", help="Of those, bytes in the main etcd "
                                                         "(0 with a separate events etcd)")
    occurrences_counted_share: float = metric(
        unit="", help="Share of the reported events that the stored objects' counts account "
                      "for (as last written)")
    timeline_t_s: Any = field(default=None, repr=False)
    """Start of each one-minute bin."""
    timeline_calls_per_s: Any = field(default=None, repr=False)
    """POST + PATCH per second in each bin."""


@dataclass(frozen=True)
class ObjectCounts:
    """One old-API object's requests, by the number of occurrences it had: entry ``K`` of
    each array is the total after ``K`` occurrences (arrays of length ``K_max + 1``)."""

    posts: np.ndarray
    patches: np.ndarray
    skipped: np.ndarray
    objects: np.ndarray
    counted: np.ndarray
    live_bytes: np.ndarray
    write_bytes: np.ndarray
    calls_at: np.ndarray
    """Requests made at occurrence ``k`` (length ``K_max``)."""


def naive_object(k_max: int, workload: Workload, repeat_period_s: float,
                 sizes: dict | None = None) -> ObjectCounts:
    """The old API's requests for one hot object, after each of up to ``k_max`` occurrences.

    Derived from the rules (see the module docstring), not by running the correlator: at
    occurrence ``k`` (time ``k × p`` after the first), each of the workload's events is filed
    under its key, its count goes up, and it is written if the object's token bucket —
    ``min(25, tokens + elapsed / 300)`` — holds a whole token.
    """
    sizes = sizes if sizes is not None else object_sizes(workload, "naive")
    p = float(repeat_period_s)
    aggregates = math.floor(AGGREGATE_WINDOW_S / p) + 1 >= AGGREGATE_MAX_EVENTS
    first = AGGREGATE_MAX_EVENTS - 1           # the occurrence that is combined first
    tokens, last_t = float(SPAM_BURST), 0.0
    seen: dict[tuple, int] = {}
    written: dict[tuple, tuple[int, int]] = {}          # key → (count, bytes) last written
    totals = np.zeros((7, k_max + 1))
    calls_at = np.zeros(k_max)
    posts = patches = skipped = objects = counted = live = wbytes = 0
    for k in range(k_max):
        t = k * p
        tokens = min(float(SPAM_BURST), tokens + (t - last_t) * SPAM_QPS)
        last_t = t
        for e, kind in enumerate(workload.kinds):
            combined = False
            if not kind.distinct:
                key = ("exact", e)
            elif aggregates and k >= first:
                key, combined = ("combined", e), True
            else:
                key = ("message", e, k)
            count = seen.get(key, 0) + 1
            seen[key] = count
            if tokens < 1.0 - 1e-12:
                skipped += 1
                continue
            tokens -= 1.0
            size = sizes[(kind.reason, combined, count > 1)]
            old = written.get(key)
            if count > 1:
                patches += 1
                calls_at[k] += 1
            if old is None:                     # a new object (a PATCH of none: 404, POST)
                posts += 1
                calls_at[k] += 1
                objects += 1
                counted += count
                live += size
            else:
                counted += count - old[0]
                live += size - old[1]
            written[key] = (count, size)
            wbytes += size
        totals[:, k + 1] = (posts, patches, skipped, objects, counted, live, wbytes)
    return ObjectCounts(*totals, calls_at=calls_at)


def lru_forgets(dims: EventsDimensions, lru_size: int = LRU_SIZE) -> bool:
    """Whether the old correlator forgets each hot object before it recurs.

    A controller that reports ``N`` objects, each recurring once per period, touches each
    object's cache entries once per ``N`` entries; an LRU cache of ``lru_size`` entries keeps
    them only if ``N <= lru_size``. (Kubelets report their own pods only; the dimensions keep
    their keys within the cache.)
    """
    w = WORKLOADS[dims.workload]
    return (not w.per_node_source) and dims.hot_objects > lru_size


def _occurrence_counts(dims: EventsDimensions, start_s: np.ndarray) -> np.ndarray:
    """Occurrences of each hot object: its loop fires at ``phase + k × p`` while before
    ``hot_loop_s``."""
    k = np.ceil((dims.hot_loop_s - start_s) / dims.repeat_period_s)
    return np.clip(k, 0, None).astype(np.int64)


def improved_counts(dims: EventsDimensions, start_s: np.ndarray) -> dict[str, Any]:
    """The new API's requests for every hot object at once (one stream; multiply by the
    events per repeat). Returns arrays per object and the times of every call."""
    p, horizon = float(dims.repeat_period_s), float(dims.horizon_s)
    k = _occurrence_counts(dims, start_s)
    alive = k >= 1
    series = k >= 2
    t1 = start_s + p
    t_last = start_s + (k - 1) * p
    close_at = FINISH_CHECK_S * (np.floor(t_last / FINISH_CHECK_S)
                                 + math.floor(SERIES_CLOSE_S / FINISH_CHECK_S) + 1)
    closed = series & (close_at < horizon)
    hb_lo = np.maximum(np.ceil(t1 / HEARTBEAT_S), 1)
    hb_hi = np.ceil(np.minimum(close_at, horizon) / HEARTBEAT_S) - 1
    heartbeats = np.where(series, np.clip(hb_hi - hb_lo + 1, 0, None), 0)
    last_hb = hb_hi * HEARTBEAT_S
    at_hb = np.minimum(np.ceil((last_hb - start_s) / p), k)
    counted = np.where(closed, k, np.where(heartbeats > 0, at_hb, np.minimum(k, 2)))
    counted = np.where(alive, counted, 0)
    return {"k": k, "alive": alive, "series": series, "t1": t1, "closed": closed,
            "close_at": close_at, "heartbeats": heartbeats, "hb_lo": hb_lo, "hb_hi": hb_hi,
            "counted": counted}


def _bins(horizon_s: int) -> np.ndarray:
    return np.arange(0, horizon_s, BIN_S, dtype=float)


def _naive_timeline(dims: EventsDimensions, start_s: np.ndarray, calls_at: np.ndarray,
                    per_occurrence: float | None = None) -> np.ndarray:
    """Requests per one-second step: each object's requests at ``phase + k × p``, summed over
    the phases (a convolution); nothing at or after ``hot_loop_s``."""
    p = dims.repeat_period_s
    steps = dims.horizon_s
    phase_hist = np.bincount(np.floor(start_s).astype(np.int64), minlength=p)[:p].astype(float)
    if per_occurrence is not None:
        calls_at = np.full(math.ceil(dims.hot_loop_s / p) + 1, per_occurrence)
    comb = np.zeros(len(calls_at) * p)
    comb[::p] = calls_at
    out = np.convolve(comb, phase_hist)[:steps]
    out = np.pad(out, (0, steps - len(out)))
    out[dims.hot_loop_s:] = 0.0
    return out


def _per_minute(per_step: np.ndarray, horizon_s: int) -> np.ndarray:
    n = math.ceil(horizon_s / BIN_S)
    padded = np.pad(per_step, (0, n * BIN_S - len(per_step)))
    widths = np.minimum(BIN_S, horizon_s - _bins(horizon_s))
    return padded.reshape(n, BIN_S).sum(axis=1) / widths


def _churn_timeline(dims: EventsDimensions) -> np.ndarray:
    """POSTs per one-second step from churn: six at each pod's start."""
    if dims.churn_pods == 0:
        return np.zeros(dims.horizon_s)
    t = np.arange(dims.churn_pods) / dims.churn_pods_per_s
    return np.bincount(np.floor(t).astype(np.int64), minlength=dims.horizon_s)[
        :dims.horizon_s] * float(len(CHURN_EVENTS))


def run_counts(dims: EventsDimensions, version: Version | str,
               lru_size: int = LRU_SIZE) -> dict[str, Any]:
    """Totals over the run (requests, drops, objects, counts, bytes) and the per-minute
    timeline of requests, for ``version`` at ``dims``."""
    side = side_of(version)
    w = WORKLOADS[dims.workload]
    e = w.events_per_repeat
    sizes = object_sizes(w, side)
    start = phases(dims.hot_objects, dims.repeat_period_s)
    k = _occurrence_counts(dims, start)
    occurrences = float(k.sum()) * e
    churn_sizes = [sizes[(kind.reason, False, False)] for _c, kind in CHURN_EVENTS]
    churn_events = dims.churn_pods * len(CHURN_EVENTS)
    out = {"occurrences": occurrences + churn_events, "posts": float(churn_events),
           "patches": 0.0, "skipped": 0.0, "objects": float(churn_events),
           "counted": float(churn_events), "live_bytes": dims.churn_pods * sum(churn_sizes),
           "write_bytes": float(dims.churn_pods * sum(churn_sizes))}
    per_step = _churn_timeline(dims)
    if dims.hot_objects:
        if side == "naive" and lru_forgets(dims, lru_size):
            first = sum(sizes[(kind.reason, False, False)] for kind in w.kinds)
            out["posts"] += occurrences
            out["objects"] += occurrences
            out["counted"] += occurrences
            out["live_bytes"] += float(k.sum()) * first
            out["write_bytes"] += float(k.sum()) * first
            per_step = per_step + _naive_timeline(dims, start, np.array([]), per_occurrence=e)
        elif side == "naive":
            obj = naive_object(int(k.max()), w, dims.repeat_period_s, sizes)
            for name in ("posts", "patches", "skipped", "objects", "counted", "live_bytes",
                         "write_bytes"):
                out[name] += float(getattr(obj, name)[k].sum())
            per_step = per_step + _naive_timeline(dims, start, obj.calls_at)
        else:
            c = improved_counts(dims, start)
            first = sum(sizes[(kind.reason, False, False)] for kind in w.kinds)
            later = sum(sizes[(kind.reason, False, True)] for kind in w.kinds)
            patches = (c["series"].astype(float) + c["heartbeats"] + c["closed"])
            out["posts"] += float(c["alive"].sum()) * e
            out["patches"] += float(patches.sum()) * e
            out["objects"] += float(c["alive"].sum()) * e
            out["counted"] += float(c["counted"].sum()) * e
            out["live_bytes"] += float(c["alive"].sum()) * first + \
                float((c["series"]).sum()) * (later - first)
            out["write_bytes"] += float(c["alive"].sum()) * first + float(patches.sum()) * later
            per_step = per_step + _improved_timeline(dims, start, c) * e
    out["timeline_calls_per_s"] = _per_minute(per_step, dims.horizon_s)
    return out


def _improved_timeline(dims: EventsDimensions, start_s: np.ndarray,
                       c: dict[str, Any]) -> np.ndarray:
    """Requests per one-second step of one stream per object (POST, series PATCH, heartbeats,
    closes)."""
    steps = dims.horizon_s

    def count(t: np.ndarray) -> np.ndarray:
        t = t[t < steps]
        return np.bincount(np.floor(t).astype(np.int64), minlength=steps)[:steps].astype(float)

    out = count(start_s[c["alive"]]) + count(c["t1"][c["series"]])
    out += count(c["close_at"][c["closed"]])
    for j in range(1, steps // int(HEARTBEAT_S) + 1):
        tick = j * HEARTBEAT_S
        if tick < steps:
            n = np.count_nonzero(c["series"] & (c["hb_lo"] <= j) & (c["hb_hi"] >= j))
            out[int(tick)] += n
    return out


class EventsModel(Model[EventsDimensions, EventsOutcome]):
    """Events at cluster scale: core/v1 with the old correlator (naive) vs events.k8s.io
    series (improved)."""

    key = "events"
    chapter = 6
    title = "Events overload"
    dimensions = EventsDimensions
    versions = (Version("naive", "core/v1 + correlator"),
                Version("improved", "events.k8s.io series"))
    figure_class = "kscale_lab.figures.events:EventsFigure"

    def run(self, dims: EventsDimensions, version: Version) -> EventsOutcome:
        c = run_counts(dims, version)
        horizon = float(dims.horizon_s)
        calls = c["posts"] + c["patches"]
        write_bps = c["write_bytes"] / horizon
        etcd_bytes = c["live_bytes"] + 2 * COMPACTION_INTERVAL_S * write_bps
        load = ApiLoad({"CREATE": c["posts"] / horizon, "PATCH": c["patches"] / horizon},
                       etcd_write_bytes_per_s=write_bps, etcd_objects=c["objects"],
                       etcd_bytes=etcd_bytes)
        occurrences = c["occurrences"]
        return EventsOutcome(
            occurrences_per_s=occurrences / horizon,
            api_calls_per_s=calls / horizon,
            posts_per_s=c["posts"] / horizon,
            patches_per_s=c["patches"] / horizon,
            peak_api_calls_per_s=float(c["timeline_calls_per_s"].max(initial=0.0)),
            events_dropped_per_s=c["skipped"] / horizon,
            event_objects_stored=int(round(c["objects"])),
            events_etcd_bytes=etcd_bytes,
            main_etcd_event_bytes=0.0 if dims.separate_events_etcd else etcd_bytes,
            occurrences_counted_share=c["counted"] / occurrences if occurrences else 1.0,
            timeline_t_s=_bins(dims.horizon_s),
            timeline_calls_per_s=c["timeline_calls_per_s"],
            load=load)
