"""One kubelet at a time, event by event: its secret managers, its heartbeat, its connection.

The kubelet keeps the Secrets and ConfigMaps its pods reference in a *manager*
(``pkg/kubelet/secret/secret_manager.go``, ``configmap/configmap_manager.go``; the strategy is
the kubelet's ``configMapAndSecretChangeDetectionStrategy``):

* **Cache** (:class:`CachingSecretManager`, the naive version): one node-wide cache of objects
  (the control plane's :class:`~kscale_lab.control_plane.CacheBasedManager`). A pod's worker
  reads its objects whenever it syncs the pod (:class:`PodWorker`); a read returns the cached
  copy while it is younger than the TTL, and GETs the object otherwise;
* **Watch** (:class:`WatchingSecretManager`, the improved version): one client-go
  :class:`~kscale_lab.control_plane.Reflector` per referenced object, watching it alone
  (``fieldSelector=metadata.name=X``; PR #64752). Each watch lasts 5–10 min, then the
  reflector watches again from the last version it saw.

All of the kubelet's requests share one :class:`~kscale_lab.control_plane.Http2Connection`
(kubernetes #74302, #74412), and so does its heartbeat (:class:`NodeHeartbeat`): a watch holds
a stream for its whole life, and with Go 1.10–1.11 a request that finds every stream busy
waits — the heartbeat included.

:func:`simulate` runs a few kubelets against one :class:`~kscale_lab.control_plane.ApiServer`
for an hour and records what the closed forms of :mod:`kscale_lab.secrets.polling` and
:mod:`kscale_lab.secrets.connection` predict: GETs and 429s, heartbeat times, streams, and when
each changed object reached the kubelet.

Two simplifications, both stated where they matter: the Secrets watch cache is given room for
every event of the run, so no watch resume is refused with 410 (that cost is chapter 7's);
and the kubelet's own other watches (its pods, its Node) are left out, so the streams are the
secrets' and configmaps' alone.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane import (
    ApiLoad,
    ApiServer,
    CacheBasedManager,
    Http2Connection,
    Reflector,
    RestClient,
    StatusError,
    Store,
    TooManyRequests,
)
from kscale_lab.control_plane.watch_cache import WatchEvent
from kscale_lab.model import Version, side_of
from kscale_lab.secrets.dimensions import HEARTBEAT_PERIOD_S, SecretsDimensions

#: Bytes of one Secret or ConfigMap as etcd stores it: illustrative.
OBJECT_BYTES = 2048
#: Bytes of the node's Lease (chapter 2 measured one; the exact size does not matter here).
LEASE_BYTES = 300
#: Room in the Secrets watch cache (events): enough that no resume is refused (see above).
WATCH_CACHE_EVENTS = 10_000_000
#: The first heartbeat comes this long after the kubelet starts, at most (uniform from 1 s).
FIRST_HEARTBEAT_S = (1.0, HEARTBEAT_PERIOD_S)
#: :func:`simulate` refuses more objects than this in all (event by event, the watch cache
#: scans every object on each LIST): about a second of CPU at the limit.
SIMULATE_MAX_OBJECTS = 4000

Call = Generator[simpy.Event, Any, Any]


def object_keys(dims: SecretsDimensions, node: int) -> list[list[str]]:
    """The keys each pod of ``node`` references: its shared objects first, then its own.

    Every pod of a node shares the node's first ``dims.shared_per_pod`` objects; the others
    are the pod's own. Keys are ``/registry/secrets/node-N/...`` (one namespace per node).
    """
    ns = f"/registry/secrets/node-{node}/"
    shared = [f"{ns}shared-{j}" for j in range(dims.shared_per_pod)]
    return [shared + [f"{ns}pod-{p}-{j}" for j in range(dims.own_per_pod)]
            for p in range(dims.pods_per_node)]


class KubeletClient(RestClient):
    """The kubelet's REST client, which also notes when each of its watches was open.

    :attr:`watch_spans` maps a watch's selector (one per reflector) to ``[start, end]`` of
    every watch it opened (``end`` is ``None`` while the watch is open).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_spans: dict[Any, list[list[float | None]]] = {}

    def watch(self, prefix: str, resource_version: int | None = None, **options: Any) -> Call:
        watcher = yield from super().watch(prefix, resource_version, **options)
        span: list[float | None] = [self.env.now, None]
        self.watch_spans.setdefault(options.get("selector"), []).append(span)
        watcher.on_close(lambda: span.__setitem__(1, self.env.now))
        return watcher


def unwatched_delay_s(spans: list[list[float | None]], horizon_s: float) -> float:
    """∫ over [0, horizon] of the time until a watch is open again, for one reflector.

    A change at a moment no watch is open reaches the kubelet when the next one opens (it is
    replayed); at a moment one is open, at once. The integral divided by the horizon is the
    mean delay of a change at a random moment. Time not covered at the horizon counts up to
    the horizon.
    """
    total, free_from = 0.0, 0.0
    for start, end in spans:
        start = min(start, horizon_s)
        if start > free_from:
            total += (start - free_from) ** 2 / 2
        free_from = max(free_from, horizon_s if end is None else min(end, horizon_s))
    if free_from < horizon_s:
        total += (horizon_s - free_from) ** 2 / 2
    return total


class CachingSecretManager(CacheBasedManager):
    """The ``Cache`` strategy: the node's TTL cache, read by its pods' workers.

    The control plane's :class:`~kscale_lab.control_plane.CacheBasedManager` with no access
    loop of its own: reads come from :class:`PodWorker` s, so an object several pods share is
    fetched by whichever pod first finds the copy too old. Every GET's answer is recorded in
    :attr:`seen` as ``(time, key, mod_revision)``.
    """

    def __init__(self, env: simpy.Environment, client: RestClient, *, ttl_s: float,
                 name: str = "") -> None:
        self.seen: list[tuple[float, str, int]] = []
        """``(time, key, mod_revision)`` of every copy the kubelet fetched."""
        super().__init__(env, client, [], ttl_s=ttl_s, name=name)

    def run(self) -> Generator[simpy.Event, Any, None]:
        """No loop of its own: the pod workers read through :meth:`get_object`."""
        return
        yield  # pragma: no cover  (a generator that ends at once)

    def get_object(self, key: str) -> Call:
        gets = self.gets
        kv = yield from super().get_object(key)
        if self.gets > gets:
            self.seen.append((self.env.now, key, kv.mod_revision))
        return kv


class PodWorker:
    """A pod's worker: every ``sync_period_s`` (from ``phase_s``) it reads the pod's objects.

    With the ``Cache`` strategy each read may GET (:class:`CachingSecretManager`); a read the
    apiserver refuses (429) is counted in :attr:`errors` and tried again at the next sync.
    """

    def __init__(self, env: simpy.Environment, manager: CachingSecretManager,
                 keys: Sequence[str], sync_period_s: float, phase_s: float) -> None:
        self.env, self.manager, self.keys = env, manager, list(keys)
        self.sync_period_s = sync_period_s
        self.errors = 0
        self.process = env.process(self.run(phase_s))

    def run(self, phase_s: float) -> Generator[simpy.Event, Any, None]:
        env = self.env
        yield env.timeout(phase_s)
        start, k = env.now, 0
        while True:
            for key in self.keys:
                try:
                    yield from self.manager.get_object(key)
                except StatusError:
                    self.errors += 1
            k += 1
            yield env.timeout(max(0.0, start + k * self.sync_period_s - env.now))


class ObjectReflector(Reflector):
    """A :class:`~kscale_lab.control_plane.Reflector` on one object that records what it
    sees: ``(time, key, resource_version)`` in the manager's ``seen`` list."""

    def __init__(self, *args: Any, seen: list, **kwargs: Any) -> None:
        self.seen = seen
        super().__init__(*args, **kwargs)

    def _handle(self, event: WatchEvent) -> None:
        super()._handle(event)
        if event.type != "BOOKMARK":
            self.seen.append((self.env.now, event.key, event.resource_version))


class WatchingSecretManager:
    """The ``Watch`` strategy: one reflector per referenced object, each watching it alone.

    The reflectors start in the order the pods reference the objects (each object once).
    """

    def __init__(self, env: simpy.Environment, client: RestClient, keys: Sequence[str], *,
                 rng: np.random.Generator) -> None:
        self.env = env
        self.seen: list[tuple[float, str, int]] = []
        """``(time, key, resource_version)`` of every change the reflectors received."""
        self.reflectors: dict[str, ObjectReflector] = {}
        for key in dict.fromkeys(keys):
            namespace = key.rsplit("/", 1)[0] + "/"
            self.reflectors[key] = ObjectReflector(
                env, client, namespace, selector=lambda k, _v, key=key: k == key, seed=rng,
                seen=self.seen, name=key)

    def get_object(self, key: str) -> Any:
        """The object as the kubelet has it (no request)."""
        return self.reflectors[key].items.get(key)


class NodeHeartbeat:
    """The kubelet's heartbeat: renew the node's Lease, then wait ``period_s``, for ever.

    Like the lease controller's ``Run`` (and the NodeStatus loop before it), the next renewal
    is timed from the end of the previous one, so a renewal that waits for a stream delays
    every later one. :attr:`renewed_at` lists when each renewal was answered.
    """

    def __init__(self, env: simpy.Environment, client: RestClient, key: str, *,
                 period_s: float, phase_s: float) -> None:
        self.env, self.client, self.key, self.period_s = env, client, key, period_s
        self.renewed_at: list[float] = []
        self.process = env.process(self.run(phase_s))

    def run(self, phase_s: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(phase_s)
        while True:
            try:
                yield from self.client.update(self.key, LEASE_BYTES)
                self.renewed_at.append(self.env.now)
            except StatusError:
                pass
            yield self.env.timeout(self.period_s)


class Kubelet:
    """One node's kubelet: its connection, its secret manager (by version), its heartbeat."""

    def __init__(self, env: simpy.Environment, api: ApiServer, dims: SecretsDimensions,
                 node: int, version: str, rng: np.random.Generator) -> None:
        self.env, self.node = env, node
        self.connection = Http2Connection(
            env, max_concurrent_streams=dims.http2_max_streams_per_connection,
            client=dims.client, name=f"node-{node}")
        self.client = KubeletClient(env, api, connection=self.connection, name=f"node-{node}")
        self.pods = object_keys(dims, node)
        keys = [k for pod in self.pods for k in pod]
        if version == "naive":
            self.manager: CachingSecretManager | WatchingSecretManager = CachingSecretManager(
                env, self.client, ttl_s=dims.ttl_s, name=f"node-{node}")
            phases = rng.uniform(0, dims.sync_period_s, len(self.pods))
            self.workers = [PodWorker(env, self.manager, pod, dims.sync_period_s, float(ph))
                            for pod, ph in zip(self.pods, phases)]
        else:
            self.manager = WatchingSecretManager(env, self.client, keys, rng=rng)
            self.workers = []
        self.heartbeat = NodeHeartbeat(
            env, self.client, f"/registry/leases/kube-node-lease/node-{node}",
            period_s=HEARTBEAT_PERIOD_S, phase_s=float(rng.uniform(*FIRST_HEARTBEAT_S)))


@dataclass(frozen=True)
class StreamSample:
    """One kubelet's connection, sampled once a second."""

    t_s: np.ndarray
    streams_in_use: np.ndarray
    waiting_requests: np.ndarray
    tcp_connections: np.ndarray


@dataclass(frozen=True)
class Simulation:
    """What :func:`simulate` saw.

    ``heartbeats[n]`` are the times node ``n``'s heartbeat was answered; ``changes`` the
    ``(time, key, revision)`` of every object changed; ``delays_s`` how long after each change
    its kubelet had it (NaN: not by the end of the run); ``load`` the kubelets' own load
    measured by the apiserver (other readers' requests taken out).
    """

    version: str
    dims: SecretsDimensions
    nodes: int
    horizon_s: float
    heartbeats: list[np.ndarray]
    changes: list[tuple[float, str, int]]
    delays_s: np.ndarray
    load: ApiLoad
    get_attempts: int
    other_reads: int
    other_rejected: int
    peak_streams: list[int]
    tcp_connections: list[int]
    streams: StreamSample
    readonly_peak_seats: int
    """Most read-only seats in use at once."""
    unwatched_delay_s: float | None
    """Improved: the mean delay of a change at a random moment to a random object, from
    when each reflector had no watch open (exact for this run); naive: None."""


def _reads(env: simpy.Environment, api: ApiServer, rate_per_s: float, key: str,
           rng: np.random.Generator, counts: list[int]) -> Generator[simpy.Event, Any, None]:
    """Everybody else's reads: GETs at Poisson times (``counts``: [sent, refused])."""
    while True:
        yield env.timeout(rng.exponential(1 / rate_per_s))
        counts[0] += 1
        try:
            api.request("GET", key)
        except TooManyRequests:
            counts[1] += 1


def _changes(env: simpy.Environment, db: Store, keys: list[str], rate_per_s: float,
             until_s: float, rng: np.random.Generator,
             log: list[tuple[float, str, int]]) -> Generator[simpy.Event, Any, None]:
    """Someone updates a random referenced object at Poisson times until ``until_s``."""
    while True:
        yield env.timeout(rng.exponential(1 / rate_per_s))
        if env.now >= until_s:
            return
        key = keys[int(rng.integers(len(keys)))]
        revision = db.put(key, OBJECT_BYTES, value=env.now)
        log.append((env.now, key, revision))


def _sampler(env: simpy.Environment, conn: Http2Connection, out: list[tuple]
             ) -> Generator[simpy.Event, Any, None]:
    while True:
        out.append((env.now, conn.streams_in_use, conn.waiting_requests, conn.tcp_connections))
        yield env.timeout(1.0)


def _delays(changes: list[tuple[float, str, int]], seen: list[tuple[float, str, int]]
            ) -> np.ndarray:
    """For each change, how long until its kubelet held that revision (or a later one)."""
    by_key: dict[str, list[tuple[float, int]]] = {}
    for t, key, rv in seen:
        by_key.setdefault(key, []).append((t, rv))
    out = np.full(len(changes), np.nan)
    for i, (t, key, rv) in enumerate(changes):
        for t_seen, rv_seen in by_key.get(key, ()):
            if rv_seen >= rv and t_seen >= t:
                out[i] = t_seen - t
                break
    return out


def simulate(dims: SecretsDimensions, version: Version | str = "naive", *,
             nodes: int | None = None, horizon_s: float = 3600.0,
             changes_per_s: float = 0.0, changes_until_s: float | None = None,
             seed: int = 0) -> Simulation:
    """Run ``nodes`` kubelets (default ``dims.nodes``) for ``horizon_s`` seconds with SimPy.

    Parameters
    ----------
    dims : SecretsDimensions
        The cluster; ``dims.nodes`` only sets the TTL controller's choice (and the default
        number of kubelets simulated).
    version : Version or str
        ``"naive"`` (the ``Cache`` strategy) or ``"improved"`` (the ``Watch`` strategy).
    nodes : int, optional
        Kubelets to simulate: at most :data:`SIMULATE_MAX_OBJECTS` objects in all.
    horizon_s : float
        Simulated seconds after every kubelet starts at t = 0.
    changes_per_s : float
        Updates per second to randomly chosen referenced objects (Poisson), for the
        propagation delay; 0: none.
    changes_until_s : float, optional
        No change after this time (default: ``horizon_s``), so late changes can still arrive.
    seed : int
        Seeds every draw: pod sync phases, watch timeouts, heartbeat phases, changes.

    Returns
    -------
    Simulation
    """
    side = side_of(version)
    nodes = dims.nodes if nodes is None else nodes
    total = nodes * dims.unique_objects_per_node
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
        raise ValueError(f"nodes must be a whole number >= 1; got {nodes!r}")
    if total > SIMULATE_MAX_OBJECTS:
        raise ValueError(f"nodes × unique objects per node must be at most "
                         f"{SIMULATE_MAX_OBJECTS:,} for simulate() (event by event); got "
                         f"{nodes:,} × {dims.unique_objects_per_node:,} = {total:,}")
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be > 0 s; got {horizon_s}")
    if not changes_per_s >= 0:
        raise ValueError(f"changes_per_s must be >= 0; got {changes_per_s}")
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db, max_requests_inflight=dims.max_requests_inflight,
                    get_s=dims.get_latency_s, compaction_interval_s=0)
    api.add_watch_cache("/registry/secrets/", capacity=WATCH_CACHE_EVENTS)
    keys = []
    for n in range(nodes):
        for key in dict.fromkeys(k for pod in object_keys(dims, n) for k in pod):
            db.put(key, OBJECT_BYTES, value=0.0)
            keys.append(key)
        db.put(f"/registry/leases/kube-node-lease/node-{n}", LEASE_BYTES)
    db.put("/registry/configmaps/kube-system/other", OBJECT_BYTES)
    rng = np.random.default_rng(seed)
    kubelets = [Kubelet(env, api, dims, n, side, np.random.default_rng([seed, n]))
                for n in range(nodes)]
    other = [0, 0]
    if dims.other_reads_per_s > 0:
        env.process(_reads(env, api, dims.other_reads_per_s,
                           "/registry/configmaps/kube-system/other", rng, other))
    changes: list[tuple[float, str, int]] = []
    if changes_per_s > 0 and keys:
        until = horizon_s if changes_until_s is None else changes_until_s
        env.process(_changes(env, db, keys, changes_per_s, until, rng, changes))
    samples: list[tuple] = []
    env.process(_sampler(env, kubelets[0].connection, samples))
    env.run(until=horizon_s)

    measured = api.load()
    by_verb = dict(measured.requests_per_s_by_verb)
    by_verb["GET"] = max(0.0, by_verb["GET"] - other[0] / horizon_s)
    load = ApiLoad(by_verb, rejected_per_s=max(0.0, measured.rejected_per_s
                                               - other[1] / horizon_s),
                   etcd_write_bytes_per_s=measured.etcd_write_bytes_per_s,
                   etcd_objects=measured.etcd_objects, etcd_bytes=measured.etcd_bytes,
                   watch_events_per_s=measured.watch_events_per_s,
                   watch_bytes_per_s=measured.watch_bytes_per_s,
                   watches_open=measured.watches_open)
    seen = [s for k in kubelets for s in k.manager.seen]
    t, streams, waiting, tcp = (np.array(c, dtype=float) for c in zip(*samples))
    return Simulation(
        version=side, dims=dims, nodes=nodes, horizon_s=horizon_s,
        heartbeats=[np.array(k.heartbeat.renewed_at) for k in kubelets],
        changes=changes, delays_s=_delays(changes, seen), load=load,
        get_attempts=measured.requests_per_s_by_verb["GET"] * horizon_s - other[0],
        other_reads=other[0], other_rejected=other[1],
        peak_streams=[k.connection.peak_streams for k in kubelets],
        tcp_connections=[k.connection.tcp_connections for k in kubelets],
        streams=StreamSample(t, streams, waiting, tcp), readonly_peak_seats=api.readonly.peak,
        unwatched_delay_s=None if side == "naive" or not keys else sum(
            unwatched_delay_s(spans, horizon_s) for k in kubelets
            for spans in k.client.watch_spans.values()) / (len(keys) * horizon_s))
