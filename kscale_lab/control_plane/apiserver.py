"""kube-apiserver before API Priority and Fairness: two in-flight pools, a compactor, caches.

Every request but a watch needs a *seat* for as long as the server works on it. Before APF
(KEP-1040, beta 1.20) there were two pools, sized by flags:

* ``--max-requests-inflight`` = 400 seats for read-only requests (GET, LIST);
* ``--max-mutating-requests-inflight`` = 200 seats for CREATE, UPDATE, PATCH, DELETE.

``WithMaxInFlightLimit`` takes a seat without waiting and answers **429 Too Many Requests**
at once when the pool is full: no queue, no fairness; one noisy client can starve everyone.
Long-running requests (WATCH) skip the filter, so a watch never holds a seat (recalled from
``maxinflight.go``, not checked here; APF later charged seats for a watch's start).

The apiserver also

* drives etcd's **compaction** (``StartCompactor``/``compactor``): every
  ``--etcd-compaction-interval`` (5 min) it compacts to the revision it saw at the previous
  tick, so between one and two intervals of history are held; it does not compact on its
  first tick. (One apiserver is modelled; how several coordinate their compactions is
  left out.)
* serves watches from a per-resource :class:`~.watch_cache.WatchCache`;
* gives objects with a TTL (Events) an etcd lease through a :class:`LeaseManager`.

Service times are illustrative, not calibrated: a few milliseconds, so that Little's law
(seats in use = requests/s × service time) sets how busy the pools are. The store applies a
request when it arrives; the seat is held, and the response comes back, after the service time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane.errors import AlreadyExists, NotFound, TooManyRequests
from kscale_lab.control_plane.load import MUTATING_VERBS, ApiLoad, LoadMeter
from kscale_lab.control_plane.store import Store
from kscale_lab.control_plane.watch_cache import DEFAULT_CAPACITY, Selector, WatchCache

MAX_REQUESTS_INFLIGHT = 400                # --max-requests-inflight
MAX_MUTATING_REQUESTS_INFLIGHT = 200       # --max-mutating-requests-inflight
COMPACTION_INTERVAL_S = 300                # --etcd-compaction-interval
MIN_REQUEST_TIMEOUT_S = 1800               # --min-request-timeout: watches without a timeout
LEASE_REUSE_S = 60                         # one Event lease serves 60 s of writes …
LEASE_MAX_OBJECTS = 1000                   # … and at most 1,000 objects


class InFlightPool:
    """A pool of seats taken without waiting: a full pool means 429 (``WithMaxInFlightLimit``).

    Like a gas station with ``capacity`` pumps and no room to queue: a car that finds every
    pump busy drives away. ``capacity`` 0 means no limit (the flags' meaning as recalled,
    unverified). Since nobody ever
    waits for a seat, a seat can be kept for a known time (:meth:`hold`) and frees itself
    then, without a SimPy event.

    >>> env = simpy.Environment()
    >>> pool = InFlightPool(env, 2, "mutating")
    >>> pool.try_acquire(), pool.try_acquire(), pool.try_acquire()
    (True, True, False)
    >>> pool.hold(1.0); pool.hold(3.0)
    >>> env.run(until=2); pool.count, pool.peak, pool.rejected
    (1, 2, 1)
    """

    def __init__(self, env: simpy.Environment, capacity: int, name: str = "") -> None:
        if not (isinstance(capacity, (int, np.integer)) and capacity >= 0):
            raise ValueError(f"capacity of the {name or 'in-flight'} pool must be an integer "
                             f">= 0 seats (0: no limit); got {capacity!r}")
        self.env = env
        self.capacity = int(capacity)
        self.name = name
        self.peak = 0
        """Most seats in use at once."""
        self.rejected = 0
        self._held = 0                        # seats taken until released by release()
        self._until: list[float] = []         # heap: when each timed seat frees

    @property
    def count(self) -> int:
        """Seats in use now."""
        until, now = self._until, self.env.now
        while until and until[0] <= now:
            heapq.heappop(until)
        return self._held + len(until)

    def try_acquire(self) -> bool:
        """Take a seat if one is free (until :meth:`release` or :meth:`hold`)."""
        until, now = self._until, self.env.now
        while until and until[0] <= now:
            heapq.heappop(until)
        count = self._held + len(until)
        if self.capacity and count >= self.capacity:
            self.rejected += 1
            return False
        self._held += 1
        if count >= self.peak:
            self.peak = count + 1
        return True

    def release(self) -> None:
        """Give back a seat now."""
        if self._held == 0:
            raise ValueError("release() without a seat taken by try_acquire()")
        self._held -= 1

    def hold(self, seconds: float) -> None:
        """Keep a seat taken for ``seconds`` more; then it frees itself."""
        if self._held == 0:
            raise ValueError("hold() without a seat taken by try_acquire()")
        self._held -= 1
        heapq.heappush(self._until, self.env.now + seconds)


class LeaseManager:
    """How the apiserver gives objects with a TTL (Events) etcd leases.

    Per the facts file, a lease is reused for ``reuse_s`` (60 s) of writes and at most
    ``max_objects`` (1,000) objects, then a new one is granted. It is granted for
    ``ttl_s + reuse_s`` so that an object attached at the end of the reuse window still lives
    its full TTL (that extra time follows from the reuse; its exact value in kube-apiserver is
    unverified).
    """

    def __init__(self, env: simpy.Environment, store: Store, *, reuse_s: float = LEASE_REUSE_S,
                 max_objects: int = LEASE_MAX_OBJECTS) -> None:
        self.env, self.store = env, store
        self.reuse_s, self.max_objects = reuse_s, max_objects
        self.granted = 0
        self._lease = 0
        self._ttl_s: float | None = None
        self._granted_at = -np.inf
        self._attached = 0

    def get_lease(self, ttl_s: float) -> int:
        now = self.env.now
        if (self._lease and ttl_s == self._ttl_s and now - self._granted_at < self.reuse_s
                and self._attached < self.max_objects):
            self._attached += 1
            return self._lease
        self._lease = self.store.grant(ttl_s + self.reuse_s)
        self._ttl_s, self._granted_at, self._attached = ttl_s, now, 1
        self.granted += 1
        return self._lease


class ApiServer:
    """The apiserver: in-flight pools, per-verb service times, the compactor, watch caches.

    Each request method returns a SimPy event that fires with the response after the service
    time (``kv = yield api.update(...)``); a request the server refuses raises at once —
    :class:`~.errors.TooManyRequests` (429), :class:`~.errors.NotFound`,
    :class:`~.errors.AlreadyExists`, etcd's :class:`~.errors.NoSpaceError`, or a 410 from
    :meth:`watch`. :meth:`load` is the measured :class:`~.load.ApiLoad` of the run.

    Parameters
    ----------
    env : simpy.Environment
    store : Store
    max_requests_inflight, max_mutating_requests_inflight : int
        Seats for read-only and mutating requests: 400 and 200 by default (0: no limit).
    get_s, list_s, list_per_object_s, watch_start_s, create_s, update_s, delete_s : float
        Service times in seconds; ``update_s`` serves UPDATE and PATCH, a LIST takes
        ``list_s + list_per_object_s × objects scanned``. Illustrative.
    compaction_interval_s : float
        ``--etcd-compaction-interval``, 300 s (0 disables the compactor).
    min_request_timeout_s : float
        A watch without a client timeout lasts 1–2 × ``--min-request-timeout`` (1800 s), drawn
        uniformly here (the facts give the range, not the distribution).
    watch_cache_capacity : int
        Capacity in events of the watch cache created for a resource on its first LIST or
        WATCH (talk era: 100); :meth:`add_watch_cache` sets one resource's cache explicitly.
    seed : int
        Seeds the server's own randomness (watch timeouts it picks).

    >>> env = simpy.Environment()
    >>> api = ApiServer(env, Store(env), max_mutating_requests_inflight=1)
    >>> first = api.create("/registry/leases/node-1", 300)
    >>> api.create("/registry/leases/node-2", 300)        # the only mutating seat is taken
    Traceback (most recent call last):
    ...
    kscale_lab.control_plane.errors.TooManyRequests: 429 TooManyRequests: too many requests \
(max-mutating-requests-inflight 1)
    >>> env.run(until=10)
    >>> load = api.load()
    >>> load.requests_per_s_by_verb["CREATE"], load.rejected_per_s, load.etcd_write_bytes_per_s
    (0.2, 0.1, 30.0)
    """

    def __init__(self, env: simpy.Environment, store: Store, *,
                 max_requests_inflight: int = MAX_REQUESTS_INFLIGHT,
                 max_mutating_requests_inflight: int = MAX_MUTATING_REQUESTS_INFLIGHT,
                 get_s: float = 0.002, list_s: float = 0.005, list_per_object_s: float = 2e-5,
                 watch_start_s: float = 0.002, create_s: float = 0.01, update_s: float = 0.01,
                 delete_s: float = 0.01, compaction_interval_s: float = COMPACTION_INTERVAL_S,
                 min_request_timeout_s: float = MIN_REQUEST_TIMEOUT_S,
                 watch_cache_capacity: int = DEFAULT_CAPACITY, seed: int = 0) -> None:
        for name, value in (("get_s", get_s), ("list_s", list_s),
                            ("list_per_object_s", list_per_object_s),
                            ("watch_start_s", watch_start_s), ("create_s", create_s),
                            ("update_s", update_s), ("delete_s", delete_s),
                            ("compaction_interval_s", compaction_interval_s)):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number of seconds >= 0; got {value}")
        if not min_request_timeout_s > 0:
            raise ValueError(f"min_request_timeout_s must be > 0 s; got {min_request_timeout_s}")
        for name, value in (("max_requests_inflight", max_requests_inflight),
                            ("max_mutating_requests_inflight", max_mutating_requests_inflight)):
            if not (isinstance(value, (int, np.integer)) and value >= 0):
                raise ValueError(f"{name} must be an integer >= 0 seats (0: no limit); "
                                 f"got {value!r}")
        if not (isinstance(watch_cache_capacity, int) and watch_cache_capacity >= 1):
            raise ValueError(f"watch_cache_capacity must be an integer >= 1 event; "
                             f"got {watch_cache_capacity!r}")
        self.env = env
        self.store = store
        self.readonly = InFlightPool(env, max_requests_inflight, "max-requests-inflight")
        self.mutating = InFlightPool(env, max_mutating_requests_inflight,
                                     "max-mutating-requests-inflight")
        self.service_s = {"GET": get_s, "LIST": list_s, "WATCH": watch_start_s,
                          "CREATE": create_s, "UPDATE": update_s, "PATCH": update_s,
                          "DELETE": delete_s}
        self.list_per_object_s = list_per_object_s
        self.compaction_interval_s = compaction_interval_s
        self.min_request_timeout_s = min_request_timeout_s
        self.watch_cache_capacity = watch_cache_capacity
        self.meter = LoadMeter(env)
        self.lease_manager = LeaseManager(env, store)
        self.watch_caches: dict[str, WatchCache] = {}
        self.compactions: list[tuple[float, int]] = []
        """``(time, revision)`` of every compaction the compactor made."""
        self.on_compact: list[Callable[[float, int], None]] = []
        """Called with ``(time, revision)`` after each compaction."""
        self.rng = np.random.default_rng(seed)
        self._observe()
        if compaction_interval_s:
            self.compactor = env.process(self.run_compact_loop())

    # --- requests ----------------------------------------------------------------------------
    def request(self, verb: str, key: str, size_bytes: int = 0, value: Any = None, *,
                selector: Selector | None = None, ttl_s: float | None = None) -> Any:
        """Serve one request now and return its result (no response event).

        The request is counted, admitted to its pool (or refused: 429), applied to the store,
        and its seat stays taken for the verb's service time. The verb methods (:meth:`get`,
        :meth:`update` …) return the same result as a response event a client can wait on;
        this is for clients that never wait on the answer (a heartbeat timed on its own).
        Results: GET, CREATE, UPDATE, PATCH → the object's :class:`~.store.KeyValue`; LIST →
        ``(objects, resource_version)``; DELETE → ``None``.
        """
        return self._serve(verb, key, size_bytes, value, selector, ttl_s)[0]

    def _serve(self, verb: str, key: str, size_bytes: int, value: Any,
               selector: Selector | None, ttl_s: float | None) -> tuple[Any, float]:
        if verb not in self.service_s or verb == "WATCH":
            raise ValueError(f"verb must be one of GET, LIST, CREATE, UPDATE, PATCH, DELETE "
                             f"(WATCH: use watch()); got {verb!r}")
        meter = self.meter
        meter.requests[verb] += 1
        pool = self.mutating if verb in MUTATING_VERBS else self.readonly
        if not pool.try_acquire():
            meter.rejected += 1
            raise TooManyRequests(f"too many requests ({pool.name} {pool.capacity})")
        try:
            result, service_s = self._apply(verb, key, size_bytes, value, selector, ttl_s)
        except BaseException:
            pool.release()                       # refused at once: the seat is free again
            raise
        pool.hold(service_s)
        return result, service_s

    def _apply(self, verb: str, key: str, size_bytes: int, value: Any,
               selector: Selector | None, ttl_s: float | None) -> tuple[Any, float]:
        store = self.store
        if verb in MUTATING_VERBS and verb != "DELETE":
            old = store.kv(key)
            if verb == "CREATE":
                if old is not None:
                    raise AlreadyExists(key)
                lease = self.lease_manager.get_lease(ttl_s) if ttl_s is not None else 0
            else:                                  # UPDATE, PATCH: the whole object is stored
                if old is None:
                    raise NotFound(key)
                lease = old.lease
            kv = store.put_kv(key, size_bytes, value=value, lease=lease)
            self.meter.etcd_write_bytes += size_bytes
            self._observe()
            return kv, self.service_s[verb]
        if verb == "GET":
            kv = store.kv(key)
            if kv is None:
                raise NotFound(key)
            return kv, self.service_s["GET"]
        if verb == "LIST":                         # served from the watch cache
            items, rv, scanned = self._cache_for(key, create=True).list(key, selector)
            return (items, rv), self.service_s["LIST"] + self.list_per_object_s * scanned
        if store.delete(key) is None:              # DELETE
            raise NotFound(key)
        self._observe()
        return None, self.service_s["DELETE"]

    def _observe(self) -> None:
        store = self.store
        self.meter.observe_store(store.object_count, store.in_use_bytes)

    def _respond(self, verb: str, key: str, size_bytes: int = 0, value: Any = None,
                 selector: Selector | None = None, ttl_s: float | None = None) -> simpy.Event:
        result, service_s = self._serve(verb, key, size_bytes, value, selector, ttl_s)
        return self.env.timeout(service_s, result)

    # --- verbs: each returns a response event ------------------------------------------------
    def get(self, key: str) -> simpy.Event:
        """GET one object (read from etcd). Fires with its :class:`~.store.KeyValue`."""
        return self._respond("GET", key)

    def list(self, prefix: str, selector: Selector | None = None) -> simpy.Event:
        """LIST the objects under ``prefix`` that pass ``selector``.

        Fires with ``(objects, resource_version)``, served from the resource's watch cache (as
        a LIST with ``resourceVersion=0`` is; the cache is created on first use). The time
        grows with the objects scanned, not the ones returned.
        """
        return self._respond("LIST", prefix, selector=selector)

    def create(self, key: str, size_bytes: int, value: Any = None, *,
               ttl_s: float | None = None) -> simpy.Event:
        """CREATE an object (``ttl_s``: attach it to a lease from the :class:`LeaseManager`)."""
        return self._respond("CREATE", key, size_bytes, value, ttl_s=ttl_s)

    def update(self, key: str, size_bytes: int, value: Any = None) -> simpy.Event:
        """UPDATE (replace) an object: etcd stores the whole object as a new revision."""
        return self._respond("UPDATE", key, size_bytes, value)

    def patch(self, key: str, size_bytes: int, value: Any = None) -> simpy.Event:
        """PATCH an object: the request is small, but etcd stores the whole updated object."""
        return self._respond("PATCH", key, size_bytes, value)

    def delete(self, key: str) -> simpy.Event:
        """DELETE an object (a tombstone revision in etcd)."""
        return self._respond("DELETE", key)

    def watch(self, prefix: str, resource_version: int | None = None, *,
              selector: Selector | None = None, allow_watch_bookmarks: bool = False,
              timeout_s: float | None = None) -> simpy.Event:
        """WATCH ``prefix`` from ``resource_version``, served by the resource's watch cache.

        No seat is taken. Fires with the :class:`~.watch_cache.CacheWatcher` after
        ``watch_start_s``; a version too old for the cache raises 410 at once. Without
        ``timeout_s`` the server picks ``uniform(1, 2) × min_request_timeout_s``.
        """
        self.meter.requests["WATCH"] += 1
        if timeout_s is None:
            timeout_s = self.min_request_timeout_s * (1.0 + self.rng.random())
        cache = self._cache_for(prefix, create=True)
        watcher = cache.watch(resource_version, prefix=prefix, selector=selector,
                              allow_watch_bookmarks=allow_watch_bookmarks, timeout_s=timeout_s)
        return self.env.timeout(self.service_s["WATCH"], watcher)

    # --- watch caches ------------------------------------------------------------------------
    def add_watch_cache(self, resource_prefix: str, **options: Any) -> WatchCache:
        """Give the resource under ``resource_prefix`` a watch cache (``options`` as in
        :class:`~.watch_cache.WatchCache`: ``capacity``, ``dynamic`` …)."""
        if resource_prefix in self.watch_caches:
            raise ValueError(f"resource_prefix {resource_prefix!r} already has a watch cache")
        cache = WatchCache(self.env, self.store, resource_prefix, meter=self.meter, **options)
        self.watch_caches[resource_prefix] = cache
        return cache

    def _cache_for(self, prefix: str, *, create: bool) -> WatchCache | None:
        for resource_prefix, cache in self.watch_caches.items():
            if prefix.startswith(resource_prefix):
                return cache
        if not create:
            return None
        parts = prefix.split("/")                # "/registry/<resource>/..."
        if len(parts) < 3 or not parts[2]:
            raise ValueError(f"prefix must name a resource, as '/registry/<resource>/…'; "
                             f"got {prefix!r}")
        return self.add_watch_cache("/".join(parts[:3]) + "/",
                                    capacity=self.watch_cache_capacity)

    # --- compaction ---------------------------------------------------------------------------
    def run_compact_loop(self) -> Iterator[simpy.Event]:
        """Every interval, compact to the revision of the previous tick (``compactor``)."""
        revision = 0
        while True:
            yield self.env.timeout(self.compaction_interval_s)
            revision = self.compact(revision)

    def compact(self, revision: int) -> int:
        """One tick: compact to ``revision`` (0: the first tick, nothing to compact yet);
        return the current revision, the next tick's target."""
        current = self.store.revision
        if revision:
            self.store.compact(revision)
            self.compactions.append((self.env.now, revision))
            for callback in self.on_compact:
                callback(self.env.now, revision)
        return current

    # --- measurement --------------------------------------------------------------------------
    def load(self, duration_s: float | None = None) -> ApiLoad:
        """The measured load since the start (or :meth:`reset_load`), per ``duration_s``."""
        return self.meter.load(duration_s)

    def reset_load(self) -> None:
        """Measure afresh from now (e.g. after a warm-up)."""
        self.meter.reset()
        self._observe()
