"""The apiserver's watch cache: one resource's recent events, replayed to watches that resume.

The apiserver does not open an etcd watch per client. For each resource (pods, secrets …) its
*cacher* lists the resource from etcd once, watches it once, and keeps

* the latest version of every object (LISTs can be served from it), and
* a cyclic buffer of the most recent events. In the talk's era the buffer had a fixed
  capacity in events — 100 by default, larger for some resources (for pods about
  50 × cluster size, at least 1,000); from 1.19 it is sized dynamically to hold about 75 s
  of history, between 100 and 102,400 events.

Every client watch is a *cache watcher* with a filter (its key prefix and selector). A new
event goes to each watcher whose filter it passes. A watch that resumes from a
``resourceVersion`` gets every buffered event after it, each run through its filter: the
*init events* (``apiserver_init_events_total``). If the requested version is older than the
oldest buffered event (minus one), the history it needs is gone: ``410 Gone, too old resource
version`` (:class:`~.errors.TooOldResourceVersion`), and the client must relist.

A selective watcher (a kubelet watching one secret, or the pods of its node) receives few
events, so the last ``resourceVersion`` it saw grows old while the resource churns; when its
watch times out and resumes, that version may have left the buffer. **Bookmarks** (KEP-956) fix
this: a watcher that sets ``allowWatchBookmarks`` gets a BOOKMARK event — only a
``resourceVersion``, the cache's current one — 2 s before its watch times out.

Not modelled: the per-watcher buffer (a slow watcher is dropped when it fills), the indexes
that let the cacher skip watchers (e.g. pods by node name), and bookmarks sent about once a
minute by later releases.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import simpy

from kscale_lab.control_plane.channel import Channel
from kscale_lab.control_plane.errors import TooOldResourceVersion
from kscale_lab.control_plane.load import LoadMeter
from kscale_lab.control_plane.store import Event, ProgressNotify, Store

#: Talk-era default capacity in events.
DEFAULT_CAPACITY = 100
#: 1.19+ dynamic sizing: bounds in events, and the history it tries to hold.
LOWER_BOUND_CAPACITY = 100
UPPER_BOUND_CAPACITY = 100 * 1024
EVENT_FRESH_S = 75.0
#: A bookmark goes out this long before the watch times out (``cacher/cache_watcher.go``).
BOOKMARK_LEAD_S = 2.0
#: Bytes of a BOOKMARK event (kind, apiVersion, metadata.resourceVersion): illustrative.
BOOKMARK_BYTES = 100

#: ``selector(key, value) -> bool``: whether an object is one the watcher wants.
Selector = Callable[[str, Any], bool]


class WatchEvent(NamedTuple):
    """An event as the apiserver sends it: ADDED, MODIFIED, DELETED or BOOKMARK.

    ``value`` is the object's value (for DELETED, its last state); a BOOKMARK carries only
    ``resource_version``.
    """

    type: str
    key: str
    resource_version: int
    size_bytes: int
    value: Any = None


class _Entry(NamedTuple):
    event: WatchEvent
    prev_value: Any          # the object before this event (_ABSENT for ADDED)
    record_time_s: float


_ABSENT = object()


class CacheWatcher(Channel):
    """One client's watch served by a :class:`WatchCache` (a stream of :class:`WatchEvent`)."""

    def __init__(self, cache: WatchCache, prefix: str, selector: Selector | None,
                 allow_watch_bookmarks: bool, deadline_s: float) -> None:
        super().__init__(cache.env)
        self.cache = cache
        self.prefix = prefix
        self.selector = selector
        self.allow_watch_bookmarks = allow_watch_bookmarks
        self.deadline_s = deadline_s
        """When the server ends this watch (its timeout)."""
        self.init_events = 0
        """Init events sent when the watch started (replayed history that passed the filter)."""
        self.init_events_processed = 0
        """Buffered events run through the filter when the watch started."""
        self.bookmarks_sent = 0

    def matches(self, key: str, value: Any) -> bool:
        """Whether an object passes this watcher's key prefix and selector."""
        return key.startswith(self.prefix) and (self.selector is None
                                                or self.selector(key, value))

    def _filter(self, entry: _Entry) -> WatchEvent | None:
        """What this watcher is sent for ``entry``, if anything (the cacher's rule)."""
        ev = entry.event
        if not ev.key.startswith(self.prefix):
            return None
        cur = ev.type != "DELETED" and self.matches(ev.key, ev.value)
        if ev.type == "DELETED":
            old = self.matches(ev.key, ev.value)
        else:
            old = entry.prev_value is not _ABSENT and self.matches(ev.key, entry.prev_value)
        if cur and old:
            return ev
        if cur:
            return ev if ev.type == "ADDED" else ev._replace(type="ADDED")
        if old:
            if ev.type == "DELETED":
                return ev
            return ev._replace(type="DELETED", value=entry.prev_value)
        return None

    def _send(self, event: WatchEvent) -> None:
        if self.put(event) and self.cache.meter is not None:
            self.cache.meter.watch_event(event.size_bytes)

    def stop(self) -> None:
        """The client stops watching (or the server ends the watch)."""
        self.cache._stop(self)


class WatchCache:
    """One resource's cache in the apiserver: latest objects plus a buffer of recent events.

    Parameters
    ----------
    env : simpy.Environment
    store : Store
        The etcd the cache lists and watches.
    resource_prefix : str
        The resource's keys, e.g. ``"/registry/pods/"``.
    capacity : int
        Buffer size in events (talk era: 100 by default; pods about 50 × nodes, ≥ 1,000).
    dynamic : bool
        1.19+ sizing: start at ``lower_bound``, double while the buffer holds less than
        ``event_fresh_s`` of history, halve while its newest quarter spans more (the
        doubling/halving rule is recalled from ``watch_cache.go``, unverified; the bounds and
        75 s are from the facts file).
    bookmark_lead_s : float
        A bookmark is sent this long before a watch times out (2 s).
    meter : LoadMeter, optional
        Counts the watch events sent and the streams open (the apiserver passes its own).

    >>> env = simpy.Environment()
    >>> db = Store(env)
    >>> cache = WatchCache(env, db, "/registry/pods/", capacity=3)
    >>> for i in range(5):
    ...     _ = db.put(f"/registry/pods/p{i}", 1000)
    >>> env.run(until=1)
    >>> [e.resource_version for e in cache.events()]       # the 3 newest: revisions 4, 5, 6
    [4, 5, 6]
    >>> w = cache.watch(4, timeout_s=60)                   # resume after revision 4: 5 and 6
    >>> [(e.type, e.resource_version) for e in w.drain()], w.init_events
    ([('ADDED', 5), ('ADDED', 6)], 2)
    >>> cache.watch(2, timeout_s=60)                       # revision 3 has left the buffer
    Traceback (most recent call last):
    ...
    kscale_lab.control_plane.errors.TooOldResourceVersion: 410 Gone: too old resource version: 2 (3)
    """

    def __init__(self, env: simpy.Environment, store: Store, resource_prefix: str, *,
                 capacity: int = DEFAULT_CAPACITY, dynamic: bool = False,
                 lower_bound: int = LOWER_BOUND_CAPACITY,
                 upper_bound: int = UPPER_BOUND_CAPACITY, event_fresh_s: float = EVENT_FRESH_S,
                 bookmark_lead_s: float = BOOKMARK_LEAD_S,
                 meter: LoadMeter | None = None) -> None:
        if not (isinstance(capacity, int) and capacity >= 1):
            raise ValueError(f"capacity must be an integer >= 1 event; got {capacity!r}")
        if not 1 <= lower_bound <= upper_bound:
            raise ValueError(f"lower_bound must be from 1 to upper_bound ({upper_bound}); "
                             f"got {lower_bound}")
        if bookmark_lead_s < 0:
            raise ValueError(f"bookmark_lead_s must be >= 0 s; got {bookmark_lead_s}")
        self.env = env
        self.store = store
        self.resource_prefix = resource_prefix
        self.dynamic = dynamic
        self.capacity = lower_bound if dynamic else capacity
        """Buffer capacity in events now (it changes only when ``dynamic``)."""
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.event_fresh_s = event_fresh_s
        self.bookmark_lead_s = bookmark_lead_s
        self.meter = meter
        # the cacher's own ListAndWatch against etcd
        self.objects = {kv.key: kv for kv in store.range(resource_prefix)}
        """The latest version of every object of the resource (a LIST is served from it)."""
        self.list_revision = store.revision
        self.resource_version = store.revision
        """The newest revision the cache has caught up with."""
        self.evicted = False
        """True once an event has left the buffer (so history before it is gone)."""
        self.events_received = 0
        self.init_events_total = 0
        """Init events sent to resuming watchers (``apiserver_init_events_total``)."""
        self.init_events_processed = 0
        self.watchers: dict[CacheWatcher, None] = {}
        self._buffer: deque[_Entry] = deque()
        self._source = store.watch(resource_prefix, store.revision, progress_notify=True)
        self.process = env.process(self._run())

    # --- the cacher's side: events in from etcd ---------------------------------------------
    def _run(self) -> Iterator[simpy.Event]:
        while True:
            item = yield self._source.get()
            if item is None:
                return
            self._ingest(item)
            for more in self._source.drain():
                self._ingest(more)

    def _ingest(self, item: Event | ProgressNotify) -> None:
        if isinstance(item, ProgressNotify):
            self.resource_version = max(self.resource_version, item.revision)
            return
        kv = item.kv
        prev = self.objects.get(kv.key)
        if item.type == "DELETE":
            self.objects.pop(kv.key, None)
            size, value = (prev.size_bytes, prev.value) if prev is not None else (0, None)
            event = WatchEvent("DELETED", kv.key, kv.mod_revision, size, value)
            prev_value: Any = value
        else:
            self.objects[kv.key] = kv
            kind = "ADDED" if kv.create_revision == kv.mod_revision else "MODIFIED"
            event = WatchEvent(kind, kv.key, kv.mod_revision, kv.size_bytes, kv.value)
            prev_value = prev.value if prev is not None else _ABSENT
        entry = _Entry(event, prev_value, self.env.now)
        self._add(entry)
        self.events_received += 1
        self.resource_version = kv.mod_revision
        for w in self.watchers:
            out = w._filter(entry)
            if out is not None:
                w._send(out)

    def _add(self, entry: _Entry) -> None:
        buf = self._buffer
        if self.dynamic and len(buf) >= self.capacity:
            now = entry.record_time_s
            if now - buf[0].record_time_s < self.event_fresh_s:
                self.capacity = min(2 * self.capacity, self.upper_bound)
            elif now - buf[len(buf) - self.capacity // 4].record_time_s > self.event_fresh_s:
                self.capacity = max(self.capacity // 2, self.lower_bound)
        while len(buf) >= self.capacity:
            buf.popleft()
            self.evicted = True
        buf.append(entry)

    def events(self) -> list[WatchEvent]:
        """The buffered events, oldest first."""
        return [e.event for e in self._buffer]

    @property
    def oldest_allowed_resource_version(self) -> int:
        """The oldest ``resourceVersion`` a watch may resume from without a 410."""
        if not self.evicted or not self._buffer:
            return self.list_revision
        return self._buffer[0].event.resource_version - 1

    # --- the clients' side: watches and lists -----------------------------------------------
    def list(self, prefix: str, selector: Selector | None = None) -> tuple[list, int, int]:
        """``(objects, resource_version, scanned)``: the objects under ``prefix`` that pass."""
        scanned = [kv for k, kv in self.objects.items() if k.startswith(prefix)]
        items = [kv for kv in scanned if selector is None or selector(kv.key, kv.value)]
        return sorted(items, key=lambda kv: kv.key), self.resource_version, len(scanned)

    def watch(self, resource_version: int | None, *, prefix: str | None = None,
              selector: Selector | None = None, allow_watch_bookmarks: bool = False,
              timeout_s: float | None = None) -> CacheWatcher:
        """Start a watch from ``resource_version`` (the last one the client saw).

        ``None`` or ``0`` start with the current state: an ADDED init event for every object
        that passes the filter. Otherwise every buffered event after ``resource_version``
        is run through the filter and the ones that pass are sent (init events); a version
        older than :attr:`oldest_allowed_resource_version` raises
        :class:`~.errors.TooOldResourceVersion`. The watch ends ``timeout_s`` from now
        (``None``: never), after a bookmark ``bookmark_lead_s`` before if it asked for them.
        """
        prefix = self.resource_prefix if prefix is None else prefix
        if not prefix.startswith(self.resource_prefix):
            raise ValueError(f"prefix must start with {self.resource_prefix!r}; got {prefix!r}")
        if timeout_s is not None and not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 s or None; got {timeout_s}")
        deadline = math.inf if timeout_s is None else self.env.now + timeout_s
        if resource_version and resource_version < self.oldest_allowed_resource_version:
            raise TooOldResourceVersion(resource_version, self.oldest_allowed_resource_version)
        w = CacheWatcher(self, prefix, selector, allow_watch_bookmarks, deadline)
        if not resource_version:
            init = [WatchEvent("ADDED", kv.key, kv.mod_revision, kv.size_bytes, kv.value)
                    for key, kv in sorted(self.objects.items()) if w.matches(key, kv.value)]
            w.init_events_processed = len(self.objects)
        else:
            replay = []
            for entry in reversed(self._buffer):
                if entry.event.resource_version <= resource_version:
                    break
                replay.append(entry)
            w.init_events_processed = len(replay)
            init = [ev for ev in (w._filter(e) for e in reversed(replay)) if ev is not None]
        for ev in init:
            w._send(ev)
        w.init_events = len(init)
        self.init_events_total += len(init)
        self.init_events_processed += w.init_events_processed
        self.watchers[w] = None
        if self.meter is not None:
            self.meter.watch_opened()
        if deadline < math.inf:
            self.env.process(self._expire(w))
        return w

    def _expire(self, w: CacheWatcher) -> Iterator[simpy.Event]:
        lead = self.bookmark_lead_s
        if w.allow_watch_bookmarks and w.deadline_s - self.env.now > lead:
            yield self.env.timeout(w.deadline_s - lead - self.env.now)
            if w.closed:
                return
            w.bookmarks_sent += 1
            w._send(WatchEvent("BOOKMARK", "", self.resource_version, BOOKMARK_BYTES))
        yield self.env.timeout(max(0.0, w.deadline_s - self.env.now))
        self._stop(w)

    def _stop(self, w: CacheWatcher) -> None:
        if w in self.watchers:
            del self.watchers[w]
            if self.meter is not None:
                self.meter.watch_closed()
        w.close()


# --- closed forms --------------------------------------------------------------------------

def relist_probability(selectivity: float, capacity: int) -> float:
    """Chance that a watcher without bookmarks gets 410 when its watch resumes.

    Its ``resourceVersion`` is that of the last event it matched (or its last LIST). If each
    event of the resource matches it independently with probability ``s`` (``selectivity``),
    the events since then number ``K`` with ``P(K >= k) = (1 - s)**k``; the resume is refused
    when more than ``capacity`` of them have been buffered since, i.e. ``K >= capacity + 1``.

    Assumes the resource's events have consecutive revisions (no other resource writes in
    between; other writes only make 410 likelier) and that at least ``capacity + 1`` events
    happen between a LIST and the next resume (``events_per_s × 300 s`` ≥ capacity + 1).
    """
    _unit("selectivity", selectivity)
    return (1.0 - selectivity) ** (capacity + 1)


def init_events_processed_per_resume(selectivity: float, capacity: int) -> float:
    """Expected buffered events run through a watcher's filter per resume, without bookmarks.

    ``E[K; K <= capacity] = sum(k s (1-s)**k, k = 0..capacity)`` with ``K`` as in
    :func:`relist_probability`: per resume *attempt*, a refused one (410) replaying nothing.
    None of them passes the filter (``K`` counts only events it did not match), so the
    watcher is sent no init events; the server does the work all the same.
    """
    s = _unit("selectivity", selectivity)
    if s in (0.0, 1.0):
        return 0.0
    q = 1.0 - s
    c = capacity
    return q * (1 - (c + 1) * q**c + c * q ** (c + 1)) / s


def init_events_processed_with_bookmarks(events_per_s: float, selectivity: float,
                                         lead_s: float = BOOKMARK_LEAD_S) -> float:
    """Expected events replayed through the filter at a resume, with bookmarks.

    The watcher resumes from the bookmark sent ``lead_s`` before the timeout (or from a later
    match): for Poisson events at ``events_per_s`` (λ) matching with probability ``s``, the
    non-matching events after the last match within those ``lead_s`` seconds number on average
    ``(1 - s) λ (1 - exp(-s λ L)) / (s λ)`` (``λ L`` when ``s`` is 0).
    """
    s = _unit("selectivity", selectivity)
    lam = float(events_per_s)
    if lam <= 0:
        return 0.0
    if s == 0:
        return lam * lead_s
    return (1 - s) * lam * (1 - math.exp(-s * lam * lead_s)) / (s * lam)


def _unit(name: str, x: float) -> float:
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be from 0 to 1; got {x}")
    return float(x)
