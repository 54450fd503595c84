"""Clients of the apiserver: a REST client, client-go's Reflector, the kubelet's TTL cache.

Two ways for a component to keep up with objects it needs:

* **Watch** — client-go's :class:`Reflector` (``tools/cache/reflector.go``): ``ListAndWatch``
  LISTs once, then WATCHes from the list's ``resourceVersion``; each watch asks for a timeout
  drawn uniformly from 5–10 min (``minWatchTimeout × (1 + rand)``), and when it ends the
  reflector watches again from the last ``resourceVersion`` it saw. If the server answers
  410 Gone, the history it needs is gone: the reflector drops its cache and relists. With
  ``allowWatchBookmarks`` (KEP-956) BOOKMARK events keep its ``resourceVersion`` fresh.
* **Poll** — the kubelet's ``Cache`` strategy for secrets and configmaps
  (:class:`CacheBasedManager`; ``pkg/kubelet/secret/secret_manager.go``): every access
  returns the cached copy unless it is older than the TTL (1 min by default; the node
  annotation ``node.alpha.kubernetes.io/ttl`` set by the TTL controller overrides it), else
  it GETs it.

Both go through a :class:`RestClient`, which sends a component's requests over its
:class:`~.http2.Http2Connection` (if given) to the :class:`~.apiserver.ApiServer`.

Closed forms at cluster scale (thousands of clients, no SimPy): :func:`polling_load` and
:func:`reflector_load`, both returning an :class:`~.load.ApiLoad`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane.apiserver import ApiServer
from kscale_lab.control_plane.errors import Gone, StatusError
from kscale_lab.control_plane.http2 import Http2Connection
from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.control_plane.store import KeyValue
from kscale_lab.control_plane.watch_cache import (
    BOOKMARK_BYTES,
    BOOKMARK_LEAD_S,
    DEFAULT_CAPACITY,
    CacheWatcher,
    Selector,
    WatchEvent,
    relist_probability,
)

MIN_WATCH_TIMEOUT_S = 300.0        # client-go reflector: watch timeouts 5–10 min
SECRET_CACHE_TTL_S = 60.0          # kubelet secret/configmap cache TTL (1 min)
RETRY_BACKOFF_S = 1.0              # wait before retrying after an error (illustrative)

Call = Generator[simpy.Event, Any, Any]


class RestClient:
    """One component's API client: each request holds a stream of its HTTP/2 connection.

    Methods are generators for ``yield from`` in a SimPy process:
    ``kv = yield from client.get(key)``. Without a ``connection`` requests go straight to the
    apiserver (no stream limit).

    >>> from kscale_lab.control_plane.store import Store
    >>> env = simpy.Environment()
    >>> api = ApiServer(env, Store(env))
    >>> client = RestClient(env, api)
    >>> def kubelet(env, client):
    ...     yield from client.create("/registry/leases/node-1", 300)
    ...     kv = yield from client.get("/registry/leases/node-1")
    ...     print(env.now, kv.size_bytes)
    >>> _ = env.process(kubelet(env, client)); env.run(until=1)
    0.012 300
    """

    def __init__(self, env: simpy.Environment, apiserver: ApiServer, *,
                 connection: Http2Connection | None = None, name: str = "") -> None:
        self.env = env
        self.api = apiserver
        self.connection = connection
        self.name = name

    def _stream(self) -> Call:
        """Wait for a stream of the connection (``None`` without one)."""
        conn = self.connection
        if conn is None:
            return None
        opening = conn.open_stream()
        try:
            return (yield opening)
        except BaseException:                 # interrupted while waiting: give it up
            conn.abandon(opening)
            raise

    def _call(self, request: Callable[[], simpy.Event]) -> Call:
        stream = yield from self._stream()
        try:
            return (yield request())
        finally:
            if stream is not None:
                self.connection.close_stream(stream)

    def get(self, key: str) -> Call:
        return (yield from self._call(lambda: self.api.get(key)))

    def list(self, prefix: str, selector: Selector | None = None) -> Call:
        return (yield from self._call(lambda: self.api.list(prefix, selector)))

    def create(self, key: str, size_bytes: int, value: Any = None, *,
               ttl_s: float | None = None) -> Call:
        return (yield from self._call(lambda: self.api.create(key, size_bytes, value,
                                                              ttl_s=ttl_s)))

    def update(self, key: str, size_bytes: int, value: Any = None) -> Call:
        return (yield from self._call(lambda: self.api.update(key, size_bytes, value)))

    def patch(self, key: str, size_bytes: int, value: Any = None) -> Call:
        return (yield from self._call(lambda: self.api.patch(key, size_bytes, value)))

    def delete(self, key: str) -> Call:
        return (yield from self._call(lambda: self.api.delete(key)))

    def watch(self, prefix: str, resource_version: int | None = None, **options: Any) -> Call:
        """Start a watch; its stream stays taken until the watch ends."""
        conn = self.connection
        stream = yield from self._stream()
        try:
            watcher: CacheWatcher = yield self.api.watch(prefix, resource_version, **options)
        except BaseException:
            if stream is not None:
                conn.close_stream(stream)
            raise
        if stream is not None:
            watcher.on_close(lambda: conn.close_stream(stream))
        return watcher


def _as_client(env: simpy.Environment, client: RestClient | ApiServer) -> RestClient:
    return client if isinstance(client, RestClient) else RestClient(env, client)


def watch_timeout_range(min_watch_timeout_s: float,
                        max_watch_timeout_s: float | None = None) -> tuple[float, float]:
    """The reflector's watch timeout range ``(min, max)``, checked: a missing ``max`` is
    client-go's ``2 × min``."""
    if not min_watch_timeout_s > 0:
        raise ValueError(f"min_watch_timeout_s must be > 0 s; got {min_watch_timeout_s}")
    if max_watch_timeout_s is None:
        max_watch_timeout_s = 2 * min_watch_timeout_s
    if not max_watch_timeout_s >= min_watch_timeout_s:
        raise ValueError(f"max_watch_timeout_s must be >= min_watch_timeout_s "
                         f"({min_watch_timeout_s} s); got {max_watch_timeout_s} s")
    return min_watch_timeout_s, max_watch_timeout_s


class Reflector:
    """client-go's Reflector: ``ListAndWatch`` one resource into a local store, for ever.

    Parameters
    ----------
    env : simpy.Environment
    client : RestClient or ApiServer
    prefix : str
        What to list and watch, e.g. ``"/registry/pods/"``.
    selector : callable, optional
        ``selector(key, value) -> bool``: a label or field selector (e.g. the pods of one
        node, or ``metadata.name=X`` for one secret).
    allow_watch_bookmarks : bool
        Ask for BOOKMARK events (KEP-956: alpha 1.15, GA 1.17).
    min_watch_timeout_s, max_watch_timeout_s : float
        Each watch asks for a timeout drawn uniformly from ``[min, max)``; ``max`` defaults
        to ``2 × min``, client-go's rule (``min × (1 + U[0, 1))``: 5–10 min).
    seed : int or numpy.random.Generator
        Draws the watch timeouts.

    >>> from kscale_lab.control_plane.store import Store
    >>> env = simpy.Environment()
    >>> db = Store(env)
    >>> api = ApiServer(env, db)
    >>> r = Reflector(env, api, "/registry/pods/", allow_watch_bookmarks=True)
    >>> _ = db.put("/registry/pods/p1", 2000)
    >>> env.run(until=3600)
    >>> sorted(r.items), r.lists, r.watch_restarts, r.bookmarks_received == r.watch_restarts
    (['/registry/pods/p1'], 1, 7, True)
    """

    def __init__(self, env: simpy.Environment, client: RestClient | ApiServer, prefix: str, *,
                 selector: Selector | None = None, allow_watch_bookmarks: bool = False,
                 min_watch_timeout_s: float = MIN_WATCH_TIMEOUT_S,
                 max_watch_timeout_s: float | None = None,
                 seed: int | np.random.Generator = 0, name: str = "") -> None:
        min_watch_timeout_s, max_watch_timeout_s = watch_timeout_range(
            min_watch_timeout_s, max_watch_timeout_s)
        self.env = env
        self.client = _as_client(env, client)
        self.prefix = prefix
        self.selector = selector
        self.allow_watch_bookmarks = allow_watch_bookmarks
        self.min_watch_timeout_s = min_watch_timeout_s
        self.max_watch_timeout_s = max_watch_timeout_s
        #: max ÷ min − 1: exactly 1.0 for client-go's 2 × min, so a draw is min × (1 + U)
        self._spread = max_watch_timeout_s / min_watch_timeout_s - 1.0
        self.rng = np.random.default_rng(seed)
        self.name = name
        self.items: dict[str, Any] = {}
        """The local store (client-go ``Store``): key → the object's value."""
        self.last_sync_resource_version = 0
        self.lists = 0
        """LISTs made (the first one and every relist)."""
        self.watches = 0
        """WATCH requests accepted."""
        self.watch_restarts = 0
        """Watches resumed from a resourceVersion after the previous one ended."""
        self.too_old = 0
        """Resumes refused with 410 Gone (each followed by a relist)."""
        self.events_received = 0
        """ADDED, MODIFIED and DELETED events received (bookmarks not included)."""
        self.bookmarks_received = 0
        self.init_events = 0
        """Init events the server replayed to this reflector's watches."""
        self.init_events_processed = 0
        """Buffered events the server ran through this reflector's filter when its watches
        resumed (the work behind init events)."""
        self.errors = 0
        self.watcher: CacheWatcher | None = None
        self._stopped = False
        self.process = env.process(self.run())

    @property
    def relists(self) -> int:
        return max(0, self.lists - 1)

    def run(self) -> Generator[simpy.Event, Any, None]:
        """``Reflector.Run``: ListAndWatch until stopped; after a failure, list again."""
        while not self._stopped:
            try:
                yield from self.list_and_watch()
            except StatusError:
                self.errors += 1
                yield self.env.timeout(RETRY_BACKOFF_S)

    def list_and_watch(self) -> Generator[simpy.Event, Any, None]:
        items, rv = yield from self.client.list(self.prefix, self.selector)
        self.lists += 1
        self.items = {kv.key: kv.value for kv in items}       # syncWith: Replace the store
        self.last_sync_resource_version = rv
        resumed = False
        while not self._stopped:
            timeout = self.min_watch_timeout_s * (1.0 + self._spread * self.rng.random())
            try:
                w = yield from self.client.watch(
                    self.prefix, self.last_sync_resource_version, selector=self.selector,
                    allow_watch_bookmarks=self.allow_watch_bookmarks, timeout_s=timeout)
            except Gone:
                self.too_old += 1
                return                                        # relist
            self.watches += 1
            self.watch_restarts += resumed
            resumed = True
            self.init_events += w.init_events
            self.init_events_processed += w.init_events_processed
            self.watcher = w
            while (event := (yield w.get())) is not None:
                self._handle(event)

    def _handle(self, event: WatchEvent) -> None:
        if event.type == "BOOKMARK":
            self.bookmarks_received += 1
        else:
            self.events_received += 1
            if event.type == "DELETED":
                self.items.pop(event.key, None)
            else:
                self.items[event.key] = event.value
        self.last_sync_resource_version = event.resource_version

    def stop(self) -> None:
        """Stop reflecting (the current watch is closed)."""
        self._stopped = True
        if self.watcher is not None:
            self.watcher.stop()


class CacheBasedManager:
    """The kubelet's ``Cache`` strategy: a TTL cache of objects, refreshed by GET.

    Every ``access_period_s`` the manager accesses each of ``keys`` (as pod syncs do); an
    access returns the cached copy while it is younger than ``ttl_s`` and GETs the object
    otherwise. The age is counted from when the last GET's response arrived (the model's
    choice: the kubelet's exact rule is not checked here), so each object is fetched every
    ``access_period_s × (floor(ttl_s / access_period_s) + 1)`` seconds (:func:`polling_load`).

    Parameters
    ----------
    env : simpy.Environment
    client : RestClient or ApiServer
    keys : sequence of str
        The objects the node's pods reference.
    ttl_s : float
        1 min by default; the TTL controller's node annotation sets 0–300 s by cluster size.
    access_period_s : float
        How often the objects are accessed: illustrative (1 s makes GETs/s ≈ objects / TTL).
    phase_s : float
        When the first access happens.

    >>> from kscale_lab.control_plane.store import Store
    >>> env = simpy.Environment()
    >>> db = Store(env)
    >>> _ = db.put("/registry/secrets/default/s1", 1000)
    >>> m = CacheBasedManager(env, ApiServer(env, db), ["/registry/secrets/default/s1"],
    ...                       ttl_s=60, access_period_s=10)
    >>> env.run(until=600); m.gets, m.hits                 # a GET every 70 s: at 0, 70, … 560
    (9, 51)
    """

    def __init__(self, env: simpy.Environment, client: RestClient | ApiServer,
                 keys: Sequence[str], *, ttl_s: float = SECRET_CACHE_TTL_S,
                 access_period_s: float = 1.0, phase_s: float = 0.0, name: str = "") -> None:
        if not ttl_s >= 0:
            raise ValueError(f"ttl_s must be >= 0 s; got {ttl_s}")
        if not access_period_s > 0:
            raise ValueError(f"access_period_s must be > 0 s; got {access_period_s}")
        if not phase_s >= 0:
            raise ValueError(f"phase_s must be >= 0 s; got {phase_s}")
        self.env = env
        self.client = _as_client(env, client)
        self.keys = list(keys)
        self.ttl_s = ttl_s
        self.access_period_s = access_period_s
        self.phase_s = phase_s
        self.name = name
        self.cache: dict[str, tuple[float, KeyValue]] = {}
        """key → (when the copy was fetched, the copy)."""
        self.gets = 0
        self.hits = 0
        self.errors = 0
        self.process = env.process(self.run())

    def get_object(self, key: str) -> Call:
        """The object, from the cache if its copy is fresh, else by GET."""
        entry = self.cache.get(key)
        if entry is not None and self.env.now < entry[0] + self.ttl_s:
            self.hits += 1
            return entry[1]
        self.gets += 1
        kv = yield from self.client.get(key)
        self.cache[key] = (self.env.now, kv)
        return kv

    def run(self) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.phase_s)
        start, k = self.env.now, 0
        while True:
            for key in self.keys:
                try:
                    yield from self.get_object(key)
                except StatusError:
                    self.errors += 1
            k += 1
            yield self.env.timeout(max(0.0, start + k * self.access_period_s - self.env.now))


# --- closed forms ---------------------------------------------------------------------------

def polling_load(clients: float, objects_per_client: float, ttl_s: float = SECRET_CACHE_TTL_S,
                 *, access_period_s: float = 1.0) -> ApiLoad:
    """The GETs of ``clients`` TTL caches of ``objects_per_client`` objects each.

    Each object is fetched every ``a × (floor(ttl_s / a) + 1)`` seconds (``a`` the access
    period, as :class:`CacheBasedManager` does): GETs/s = clients × objects ÷ that, which
    tends to clients × objects ÷ TTL when accesses are frequent.
    """
    for name, value in (("clients", clients), ("objects_per_client", objects_per_client),
                        ("ttl_s", ttl_s)):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0; got {value}")
    if not access_period_s > 0:
        raise ValueError(f"access_period_s must be > 0 s; got {access_period_s}")
    refresh_s = access_period_s * (math.floor(ttl_s / access_period_s) + 1)
    return ApiLoad({"GET": clients * objects_per_client / refresh_s})


def reflector_load(reflectors: float, events_per_s: float, selectivity: float, *,
                   object_bytes: float, watch_cache_capacity: int = DEFAULT_CAPACITY,
                   allow_watch_bookmarks: bool = False,
                   min_watch_timeout_s: float = MIN_WATCH_TIMEOUT_S,
                   max_watch_timeout_s: float | None = None,
                   bookmark_lead_s: float = BOOKMARK_LEAD_S) -> ApiLoad:
    """Steady-state load of ``reflectors`` reflectors on one resource (closed form).

    The resource changes ``events_per_s`` times a second (λ), each event passing a
    reflector's selector with probability ``selectivity`` (s), independently. Watches last
    ``(min + max) / 2`` on average (uniform in ``[min, max]``; ``max`` defaults to ``2 × min``,
    client-go's 5–10 min, so ``1.5 × min``), so each reflector resumes ``r = 1 / mean`` times
    a second; a resume is refused (410) with
    probability ``p`` (:func:`~.watch_cache.relist_probability` without bookmarks; with them,
    at most the chance of more than ``capacity`` unmatched events within ``bookmark_lead_s``,
    a Poisson tail). Then, per second:

    * WATCH = reflectors × r × (1 + p) (the refused resume, then a new watch), LIST = reflectors
      × r × p (relists; the first LISTs are not steady state);
    * watch events = reflectors × s × λ, plus one bookmark per watch with bookmarks;
      bytes: ``object_bytes`` per event, :data:`~.watch_cache.BOOKMARK_BYTES` per bookmark;
    * watches open = reflectors.

    The writes that cause the events are the writer's load, not included.
    """
    for name, value in (("reflectors", reflectors), ("events_per_s", events_per_s),
                        ("object_bytes", object_bytes)):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0; got {value}")
    if not 0 <= selectivity <= 1:
        raise ValueError(f"selectivity must be from 0 to 1; got {selectivity}")
    min_watch_timeout_s, max_watch_timeout_s = watch_timeout_range(min_watch_timeout_s,
                                                                   max_watch_timeout_s)
    restarts = reflectors / ((min_watch_timeout_s + max_watch_timeout_s) / 2)
    if allow_watch_bookmarks:
        p = _poisson_tail((1 - selectivity) * events_per_s * bookmark_lead_s,
                          watch_cache_capacity + 1)
    else:
        p = relist_probability(selectivity, watch_cache_capacity)
    matched = reflectors * selectivity * events_per_s
    bookmarks = restarts if allow_watch_bookmarks else 0.0
    return ApiLoad({"WATCH": restarts * (1 + p), "LIST": restarts * p},
                   watch_events_per_s=matched + bookmarks,
                   watch_bytes_per_s=matched * object_bytes + bookmarks * BOOKMARK_BYTES,
                   watches_open=reflectors)


def _poisson_tail(mean: float, k: int) -> float:
    """P(N >= k) for N ~ Poisson(mean)."""
    if mean <= 0:
        return 0.0
    term = math.exp(-mean)
    below = 0.0
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)
