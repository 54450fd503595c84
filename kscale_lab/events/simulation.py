"""Events event by event: components recording through a broadcaster into the apiserver (SimPy).

The pieces, as in client-go and the apiserver:

* every component instance (each node's kubelet, the scheduler, the replicaset controller)
  has an :class:`EventBroadcaster`: a queue of 1,000 events (an event that finds it full is
  dropped, facts file) read by one sink process. For the old API the sink runs each event
  through the instance's :class:`~kscale_lab.events.correlator.EventCorrelator` and writes
  what it says; for the new API it runs it through the instance's
  :class:`~kscale_lab.events.series.EventSeriesCache`, whose tickers (6-minute close check,
  30-minute heartbeat) write too. The sink sends one request at a time; a 429 is tried
  again, up to 12 tries per event. The lab's sink keeps up with its queue (it does not wait
  out the apiserver's illustrative service time, and no client-side rate limit is
  modelled), so in the chapter's runs the queue never fills;
* the writes go to a :class:`~kscale_lab.control_plane.ttl.TTLApiServer`, every Event with a
  1 h TTL (``--event-ttl``) attached through etcd leases and renewed by each write, into the
  events etcd — a :class:`~kscale_lab.control_plane.Store` of its own when the cluster runs a
  separate events etcd (as large clusters do), else the main one;
* the workload (:mod:`~kscale_lab.events.objects`) is a set of hot-looping objects, each
  repeating its events every ``repeat_period_s`` from a seeded phase until ``hot_loop_s``,
  and pod churn: every ``1 / churn`` s a pod starts, with its six one-shot events.

A PATCH of an Event that no longer exists (404) becomes a POST, as the old recorder does when
an event it counts has expired (recalled from client-go, unverified).

:func:`simulate` returns a :class:`Simulation`: every API call, what happened to every
occurrence, the stored Event objects as ``kubectl get events`` would list them
(:func:`get_events`), and the load the apiserver measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import simpy

from kscale_lab.control_plane import ApiLoad, Channel, NotFound, Store, TooManyRequests
from kscale_lab.control_plane.ttl import TTLApiServer
from kscale_lab.events.correlator import LRU_SIZE, EventCorrelator
from kscale_lab.events.objects import (
    CHURN_EVENTS,
    COMBINED_PREFIX,
    WORKLOADS,
    ObjectRef,
    Occurrence,
    Workload,
    churn_bytes,
    combined_bytes,
    kind_bytes,
)
from kscale_lab.events.series import FINISH_CHECK_S, HEARTBEAT_S, EventSeriesCache
from kscale_lab.model import Version, side_of

__all__ = ["BROADCASTER_QUEUE", "EVENT_TTL_S", "MAX_TRIES", "SEED", "SIMULATE_MAX_OCCURRENCES",
           "Call", "EventBroadcaster", "Mark", "Simulation", "get_events", "phases",
           "simulate"]

EVENT_TTL_S = 3600.0            # kube-apiserver --event-ttl (1 h)
BROADCASTER_QUEUE = 1000        # events queued per broadcaster before it drops them
MAX_TRIES = 12                  # tries per event when the apiserver refuses it
RETRY_WAIT_S = 1.0              # wait between tries (illustrative)
SEED = 2019                     # hot objects start at seeded random phases
#: :func:`simulate` refuses larger runs (event by event, about 10 µs … 50 µs each).
SIMULATE_MAX_OCCURRENCES = 400_000


def phases(objects: int, repeat_period_s: float, seed: int = SEED) -> np.ndarray:
    """When each hot object first fires: uniform over one repeat period, seeded (the same in
    both scales)."""
    return np.random.default_rng(seed).uniform(0.0, repeat_period_s, objects)


class Call(NamedTuple):
    """One request that reached the apiserver."""

    t_s: float
    verb: str            # "POST" or "PATCH"
    source: str
    name: str
    why: str             # "new", "count", "combined", "series", "heartbeat", "close", "404"


class Mark(NamedTuple):
    """What became of one occurrence: POST, PATCH, SKIP (spam filter), CACHE (counted in the
    client's cache only) or DROP (the broadcaster's queue was full)."""

    t_s: float
    source: str
    object: str
    reason: str
    what: str


@dataclass
class Simulation:
    """What :func:`simulate` saw."""

    version: str
    horizon_s: float
    calls: list[Call]
    marks: list[Mark]
    occurrences: int
    store: Store
    load: ApiLoad
    queue_dropped: int = 0
    spam_filtered: int = 0
    lru_evictions: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        return sum(1 for c in self.calls if c.verb == "POST")

    @property
    def patches(self) -> int:
        return sum(1 for c in self.calls if c.verb == "PATCH")

    @property
    def objects_stored(self) -> int:
        return len(self.store.range("/registry/events/"))

    @property
    def counted(self) -> int:
        """Occurrences the stored objects' counts account for."""
        return sum(kv.value["count"] for kv in self.store.range("/registry/events/"))


class EventBroadcaster:
    """A component instance's event pipeline: a bounded queue, a sink, and (new API) tickers.

    Parameters
    ----------
    env : simpy.Environment
    api : TTLApiServer
    source : str
        The instance, e.g. ``"kubelet/node-3"``.
    side : str
        ``"naive"`` (old correlator) or ``"improved"`` (series).
    sizes : dict
        Bytes of each object written, by ``(reason, combined)`` (see :func:`object_sizes`).
    queue_size : int
        Events held before new ones are dropped (1,000).
    sink_delay_s : float
        How long the sink takes per write before it takes the next event. 0 in the chapter's
        model: the sink keeps up, so the queue never fills (no client-side rate limit is
        modelled; which limits the event clients of each component have is not in the facts
        file). A positive delay shows the queue dropping events.
    lru_size : int
        The correlator's cache entries (4096).
    log : Simulation
        Where calls and marks are recorded.
    """

    def __init__(self, env: simpy.Environment, api: TTLApiServer, source: str, side: str,
                 sizes: dict, log: Simulation, *, queue_size: int = BROADCASTER_QUEUE,
                 lru_size: int = LRU_SIZE, sink_delay_s: float = 0.0) -> None:
        self.env, self.api, self.source, self.side = env, api, source, side
        self.sizes, self.log, self.queue_size = sizes, log, queue_size
        self.sink_delay_s = sink_delay_s
        self.queue = Channel(env)
        self.correlator = EventCorrelator(lru_size) if side == "naive" else None
        self.series = EventSeriesCache() if side == "improved" else None
        env.process(self.run())
        if self.series is not None:
            env.process(self.tick())

    def action(self, occ: Occurrence) -> None:
        """Record an event (``Broadcaster.Action``): queue it, or drop it if the queue is full."""
        self.log.occurrences += 1
        if len(self.queue) >= self.queue_size:
            self.log.queue_dropped += 1
            self._mark(occ, "DROP")
            return
        self.queue.put(occ)

    def _mark(self, occ: Occurrence, what: str) -> None:
        self.log.marks.append(Mark(occ.t_s, self.source, occ.regarding.name, occ.reason, what))

    def run(self) -> Iterator[simpy.Event]:
        while True:
            occ = yield self.queue.get()
            if self.correlator is not None:
                yield from self._correlate(occ)
            else:
                yield from self._series(occ)

    def _correlate(self, occ: Occurrence) -> Iterator[simpy.Event]:
        result = self.correlator.EventCorrelate(occ)
        if result.skip:
            self.log.spam_filtered += 1
            self._mark(occ, "SKIP")
            return
        event = result.event
        combined = event.message.startswith(COMBINED_PREFIX)
        size = self.sizes[(event.reason, combined, result.patch)]
        value = {"type": event.type, "reason": event.reason,
                 "object": f"{event.regarding.kind.lower()}/{event.regarding.name}",
                 "count": result.count, "first_s": result.first_s, "last_s": occ.t_s,
                 "message": event.message}
        self._mark(occ, "PATCH" if result.patch else "POST")
        why = "combined" if combined else ("count" if result.patch else "new")
        yield from self._write("PATCH" if result.patch else "POST", event, result.name, size,
                               value, why)

    def _series(self, occ: Occurrence) -> Iterator[simpy.Event]:
        verb, entry = self.series.record(occ)
        self._mark(occ, verb)
        if verb == "CACHE":
            return
        yield from self._write(verb, entry.first, entry.name,
                               self.sizes[(occ.reason, False, verb == "PATCH")],
                               self._series_value(entry), "new" if verb == "POST" else "series")

    @staticmethod
    def _series_value(entry: Any) -> dict:
        first = entry.first
        return {"type": first.type, "reason": first.reason,
                "object": f"{first.regarding.kind.lower()}/{first.regarding.name}",
                "count": entry.count, "first_s": first.t_s, "last_s": entry.last_observed_s,
                "message": first.message}

    def _key(self, event: Occurrence, name: str) -> str:
        # names are unique per instance (a counter); the source makes them unique overall
        return f"/registry/events/{event.regarding.namespace}/{name}.{self.source}"

    def _write(self, verb: str, event: Occurrence, name: str, size: int, value: dict,
               why: str) -> Iterator[simpy.Event]:
        """Send one write; a 429 is tried again, up to 12 tries."""
        key = self._key(event, name)
        for _ in range(MAX_TRIES):
            try:
                self._send(verb, key, size, value, name, why)
            except TooManyRequests:
                yield self.env.timeout(RETRY_WAIT_S)
                continue
            if self.sink_delay_s:
                yield self.env.timeout(self.sink_delay_s)
            return

    def _send(self, verb: str, key: str, size: int, value: dict, name: str, why: str) -> None:
        now = self.env.now
        if verb == "PATCH":
            try:
                self.api.request("PATCH", key, size, value, ttl_s=EVENT_TTL_S)
                self.log.calls.append(Call(now, "PATCH", self.source, name, why))
                return
            except NotFound:                       # expired, or never created: create it
                self.log.calls.append(Call(now, "PATCH", self.source, name, why))
                why = "404"
        self.api.request("CREATE", key, size, value, ttl_s=EVENT_TTL_S)
        self.log.calls.append(Call(now, "POST", self.source, name, why))

    def tick(self) -> Iterator[simpy.Event]:
        """The new API's tickers: close quiet series every 6 min; every 30 min, a heartbeat."""
        every = round(HEARTBEAT_S / FINISH_CHECK_S)
        n = int(self.env.now // FINISH_CHECK_S)   # ticks count from the component's start
        while True:
            n += 1
            yield self.env.timeout(n * FINISH_CHECK_S - self.env.now)
            now = self.env.now
            for entry in self.series.finish_series(now):
                self._tick_write(entry, "close")
            if n % every == 0:
                for entry in self.series.heartbeat(now):
                    self._tick_write(entry, "heartbeat")

    def _tick_write(self, entry: Any, why: str) -> None:
        size = self.sizes[(entry.first.reason, False, True)]
        key = self._key(entry.first, entry.name)
        try:
            self._send("PATCH", key, size, self._series_value(entry), entry.name, why)
        except TooManyRequests:
            pass


def object_sizes(workload: Workload, side: str) -> dict:
    """Bytes written per object, by ``(reason, combined, later write)``."""
    out: dict = {}
    for kind in workload.kinds:
        first, later = kind_bytes(workload, kind, side)
        out[(kind.reason, False, False)], out[(kind.reason, False, True)] = first, later
        if side == "naive":
            out[(kind.reason, True, False)] = out[(kind.reason, True, True)] = \
                combined_bytes(workload, kind)
    for (_component, kind), size in zip(CHURN_EVENTS, churn_bytes(side)):
        for combined in (False, True):
            for later in (False, True):
                out.setdefault((kind.reason, combined, later), size)
    return out


def simulate(dims: Any, version: Version | str = "naive", *, lru_size: int = LRU_SIZE,
             queue_size: int = BROADCASTER_QUEUE, sink_delay_s: float = 0.0) -> Simulation:
    """Run the events of ``dims`` (an :class:`~kscale_lab.events.model.EventsDimensions`)
    event by event with SimPy, through the control plane.

    Parameters
    ----------
    dims : EventsDimensions
        The workload, the cluster and the horizon. Runs of more than
        :data:`SIMULATE_MAX_OCCURRENCES` occurrences are refused.
    version : Version or str
        ``"naive"`` (core/v1 and the correlator) or ``"improved"`` (events.k8s.io series).
    lru_size, queue_size : int
        The correlator's cache entries (4096) and the broadcaster's queue (1,000), to try
        smaller ones.
    sink_delay_s : float
        Seconds each broadcaster's sink spends per write before it takes the next event
        (:class:`EventBroadcaster`): 0, the chapter's model, never fills a queue; a slow
        sink shows the queue full and events dropped (illustrative).

    Returns
    -------
    Simulation
        Every call (time, verb, why), what became of every occurrence, the events store and
        the :class:`~kscale_lab.control_plane.ApiLoad` the apiserver measured over the
        horizon.
    """
    side = side_of(version)
    if not (isinstance(sink_delay_s, (int, float)) and 0 <= sink_delay_s < float("inf")):
        raise ValueError(f"sink_delay_s must be a finite number of seconds >= 0; "
                         f"got {sink_delay_s!r}")
    workload = WORKLOADS[dims.workload]
    expected = dims.expected_occurrences()
    if expected > SIMULATE_MAX_OCCURRENCES:
        raise ValueError(f"dims must describe at most {SIMULATE_MAX_OCCURRENCES:,} "
                         f"occurrences for simulate() (event by event; EventsModel covers "
                         f"larger clusters); got {expected:,.0f}")
    env = simpy.Environment()
    main = Store(env)
    events_store = Store(env) if dims.separate_events_etcd else main
    api = TTLApiServer(env, events_store)
    log = Simulation(side, float(dims.horizon_s), [], [], 0, events_store, ApiLoad())
    sizes = object_sizes(workload, side)
    brokers: dict[str, EventBroadcaster] = {}

    def broadcaster(source: str) -> EventBroadcaster:
        if source not in brokers:
            brokers[source] = EventBroadcaster(env, api, source, side, sizes, log,
                                               queue_size=queue_size, lru_size=lru_size,
                                               sink_delay_s=sink_delay_s)
        return brokers[source]

    n_objects = dims.hot_objects
    starts = phases(n_objects, dims.repeat_period_s)
    for i in range(n_objects):
        env.process(_hot_object(env, dims, workload, i, float(starts[i]), broadcaster))
    if dims.churn_pods_per_s > 0:
        env.process(_churn(env, dims, broadcaster))
    env.run(until=dims.horizon_s)
    log.load = api.load(dims.horizon_s)
    log.lru_evictions = sum(
        b.correlator.aggregator.cache.evictions + b.correlator.logger.cache.evictions
        + b.correlator.spam_filter.cache.evictions
        for b in brokers.values() if b.correlator is not None)
    log.extra["main_store"] = main
    return log


def _hot_object(env: simpy.Environment, dims: Any, workload: Workload, i: int, phase_s: float,
                broadcaster: Any) -> Iterator[simpy.Event]:
    node = i % dims.nodes
    host = f"node-{node}" if workload.per_node_source else ""
    source = f"{workload.component}/{host}" if host else workload.component
    regarding = ObjectRef(workload.regarding_kind, "default", f"hot-{i}",
                          uid=f"uid-hot-{i}",
                          api_version="v1" if workload.regarding_kind == "Pod" else "apps/v1")
    related = (None if workload.related_kind is None else
               ObjectRef(workload.related_kind, "default", f"owner-{i}", uid=f"uid-owner-{i}",
                         api_version="apps/v1"))
    yield env.timeout(phase_s)
    n = 0
    while env.now < dims.hot_loop_s:
        for kind in workload.kinds:
            broadcaster(source).action(Occurrence(
                env.now, workload.component, host, regarding, related, kind.action,
                kind.reason, kind.type, kind.text(n * 1_000_003 + i)))
        n += 1
        yield env.timeout(dims.repeat_period_s)


def _churn(env: simpy.Environment, dims: Any, broadcaster: Any) -> Iterator[simpy.Event]:
    """A pod every ``1 / churn`` s, on the nodes in turn: the scheduler's event and the
    kubelet's five (the last regards the pod it replaces)."""
    j = 0
    while True:
        t = j / dims.churn_pods_per_s
        if t >= dims.horizon_s:
            return
        if t > env.now:
            yield env.timeout(t - env.now)
        node = j % dims.nodes
        pod = ObjectRef("Pod", "default", f"web-{j}", uid=f"uid-web-{j}")
        old = ObjectRef("Pod", "default", f"web-{j}-old", uid=f"uid-web-{j}-old")
        for component, kind in CHURN_EVENTS:
            host = "" if component == "default-scheduler" else f"node-{node}"
            source = f"{component}/{host}" if host else component
            broadcaster(source).action(Occurrence(
                env.now, component, host, old if kind.reason == "Killing" else pod, None,
                kind.action, kind.reason, kind.type, kind.text(j)))
        j += 1


def get_events(sim: Simulation, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The stored Event objects as ``kubectl get events`` lists them: type, reason, object,
    count, first and last seen (seconds before the end of the run), message; newest last.

    For the new API the count is the series' (1 for a single event) as last written, and
    "last seen" its ``lastObservedTime`` as last written: what the apiserver has, not what the
    client's cache knows.
    """
    end = sim.horizon_s
    rows = []
    for kv in sim.store.range("/registry/events/"):
        v = kv.value
        rows.append({"LAST SEEN": f"{end - v['last_s']:.0f}s", "TYPE": v["type"],
                     "REASON": v["reason"], "OBJECT": v["object"], "COUNT": v["count"],
                     "FIRST SEEN": f"{end - v['first_s']:.0f}s", "MESSAGE": v["message"],
                     "_last": v["last_s"]})
    rows.sort(key=lambda r: r.pop("_last"))
    return rows if limit is None else rows[-limit:]
