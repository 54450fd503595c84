"""A small cluster event by event: every chapter's clients on one control plane (SimPy).

The capstone adds the chapters' closed-form loads as if each ran alone. This module checks
that premise the long way: a few nodes' kubelets, kube-proxies, the scheduler, the endpoints
controller and a workload that starts pods all talk to **one**
:class:`~kscale_lab.control_plane.ApiServer` over one etcd
(:class:`~kscale_lab.control_plane.Store`), with a second etcd for Events (as large clusters
run them, an SLO prerequisite), for an hour of simulated time, as the release runs each of
them:

* every node's kubelet (:class:`ToyKubelet`): its heartbeat — the NodeStatus every 10 s, or a
  Lease every 10 s and the NodeStatus every report period (chapter 2); its secrets and
  configmaps — chapter 3's own managers (polling through pod workers, or a watch per
  object), on the kubelet's one HTTP/2 connection; its pod watch — a client-go
  :class:`~kscale_lab.control_plane.Reflector` of the pods bound to its node, with bookmarks
  where the release has them (chapter 7);
* every node's kube-proxy: a reflector of every Service's endpoints (chapter 8);
* the workload (:class:`PodChurn`): pods start at ``pod_churn`` a second (Poisson), each
  bound by the scheduler (one CREATE, chapter 5), announced by six one-shot Events in the
  events etcd with their 1 h TTL (chapter 6), and written as it runs (straight into etcd:
  the pods' own writes are no chapter's load). A new pod takes the place (the key) of an old
  one, so the cluster keeps ``nodes × pods_per_node`` pods: the old pod's kubelet sees it
  leave (the watch cache sends a DELETED event to a watcher whose selector the object no
  longer matches), the new pod's kubelet sees its ``POD_EVENTS_PER_POD − 1`` writes, so
  ``POD_EVENTS_PER_POD`` pod events per pod started reach the kubelets. If it backs
  a Service — changing its endpoints (one UPDATE of the Endpoints object or of its slice).

Each request is counted by source (:class:`SourceClient`), and the apiservers measure the
load (:meth:`~kscale_lab.control_plane.ApiServer.load`). ``tests/test_capstone.py`` holds
the measured load to the capstone's sum of closed forms at the same dimensions.

What the toy leaves out: the hot-looping objects of chapter 6 (``hot_objects_per_node`` is
taken as 0; chapter 6's own SimPy runs the correlator), kube-proxy's own work (chapter 4:
no control-plane load), and the in-flight seats' refusals beyond what the pools do by
themselves.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from kscale_lab.capstone.dimensions import (
    POD_EVENTS_PER_POD,
    POD_WATCH_EVENT_BYTES,
    CapstoneDimensions,
    chapter_dimensions,
    endpoint_changes_per_s,
)
from kscale_lab.control_plane import (
    ApiLoad,
    ApiServer,
    Http2Connection,
    NoSpaceError,
    Reflector,
    RestClient,
    StatusError,
    Store,
)
from kscale_lab.versions import TODAY, release

__all__ = ["SIMULATE_MAX_NODES", "SIMULATE_MAX_PODS", "PodChurn", "SourceClient",
           "ToyKubelet", "ToyRun", "simulate"]

#: :func:`simulate` refuses larger clusters (every pod event is filtered for every kubelet).
SIMULATE_MAX_NODES = 50
#: … and more pods per node (every pod's objects get a pod worker or reflectors).
SIMULATE_MAX_PODS = 20
#: Room in the Secrets watch cache: every event of the run (no 410s: chapter 7's subject).
SECRETS_WATCH_CACHE = 10_000_000
#: Prefixes of the objects the toy keeps.
PODS, ENDPOINTS, EVENTS = "/registry/pods/", "/registry/services/endpoints/", "/registry/events/"
#: Bins of the request timelines (one minute).
BIN_S = 60.0


class SourceClient(RestClient):
    """A component's :class:`~kscale_lab.control_plane.RestClient` that counts its requests
    under ``source`` (a model key: ``"heartbeats"``, ``"secrets"`` …) in ``tally``, a list of
    ``(time, source)``."""

    def __init__(self, env: simpy.Environment, api: ApiServer, source: str,
                 tally: list[tuple[float, str]], **kwargs: Any) -> None:
        super().__init__(env, api, **kwargs)
        self.source, self.tally = source, tally

    def _call(self, request: Any) -> Generator[simpy.Event, Any, Any]:
        self.tally.append((self.env.now, self.source))
        return (yield from super()._call(request))

    def watch(self, prefix: str, resource_version: int | None = None,
              **options: Any) -> Generator[simpy.Event, Any, Any]:
        self.tally.append((self.env.now, self.source))
        return (yield from super().watch(prefix, resource_version, **options))


class ToyKubelet:
    """One node's kubelet: its heartbeat, its secret manager and its pod watch, on one
    HTTP/2 connection (chapter 3: all of a kubelet's requests share it)."""

    def __init__(self, env: simpy.Environment, run: _Run, node: int) -> None:
        from kscale_lab.secrets.kubelet import (
            CachingSecretManager,
            PodWorker,
            WatchingSecretManager,
            object_keys,
        )

        self.env, self.node, self.run = env, node, run
        sd = run.secrets.dims
        self.connection = Http2Connection(
            env, max_concurrent_streams=sd.http2_max_streams_per_connection, client=sd.client,
            name=f"node-{node}")
        client = run.client_factory(self.connection)
        self.heartbeat_client = client("heartbeats")
        self.node_key = f"/registry/minions/node-{node}"
        self.lease_key = f"/registry/leases/kube-node-lease/node-{node}"
        rng = run.rng
        hb = run.heartbeats
        self.processes = [env.process(self.heartbeat(self.node_key, hb.node_bytes,
                                                     run.report_period_s, "PATCH",
                                                     float(rng.uniform(0, run.report_period_s))))]
        if run.r.node_lease:
            self.processes.append(env.process(self.heartbeat(
                self.lease_key, run.lease_bytes, hb.lease_renew_s, "UPDATE",
                float(rng.uniform(0, hb.lease_renew_s)))))
        pods = object_keys(sd, node)
        secrets = client("secrets")
        if run.secrets.side == "naive":
            self.manager: Any = CachingSecretManager(env, secrets, ttl_s=sd.ttl_s,
                                                     name=f"node-{node}")
            self.workers = [PodWorker(env, self.manager, keys, sd.sync_period_s,
                                      float(rng.uniform(0, sd.sync_period_s))) for keys in pods]
        else:
            self.manager = WatchingSecretManager(env, secrets, [k for p in pods for k in p],
                                                 rng=rng)
            self.workers = []
        self.pod_watch = Reflector(env, client("watch"), PODS,
                                   selector=lambda _key, value, me=node: value == me,
                                   allow_watch_bookmarks=run.bookmarks, seed=rng,
                                   name=f"kubelet-{node}")
        self.kube_proxy = Reflector(env, run.client("endpoints"), ENDPOINTS, seed=rng,
                                    name=f"kube-proxy-{node}")

    def heartbeat(self, key: str, size_bytes: int, period_s: float, verb: str,
                  phase_s: float) -> Generator[simpy.Event, Any, None]:
        """Write ``key`` every ``period_s`` from ``phase_s`` (timed from the start, like the
        kubelet's loops), whatever the answer."""
        client, env = self.heartbeat_client, self.env
        yield env.timeout(phase_s)
        k = 0
        while True:
            try:
                if verb == "PATCH":
                    yield from client.patch(key, size_bytes)
                else:
                    yield from client.update(key, size_bytes)
            except (StatusError, NoSpaceError) as err:
                self.run.refused(err)
            k += 1
            yield env.timeout(max(0.0, phase_s + k * period_s - env.now))


class PodChurn:
    """The workload: pods start at ``rate_per_s`` a second (Poisson), each bound by the
    scheduler, announced by six Events, written as it runs, and changing a Service's
    endpoints if it backs one (with probability ``backed_share``)."""

    def __init__(self, env: simpy.Environment, run: _Run) -> None:
        self.env, self.run = env, run
        self.scheduler = run.client("scheduler")
        self.recorder = run.client("events", events=True)
        self.endpoints_controller = run.client("endpoints")
        self.started = 0
        self.process = env.process(self.loop())

    def loop(self) -> Generator[simpy.Event, Any, None]:
        run, env = self.run, self.env
        while True:
            yield env.timeout(run.rng.exponential(1.0 / run.dims.pod_churn))
            env.process(self.start_pod(self.started, int(run.rng.integers(run.dims.nodes))))
            self.started += 1

    def start_pod(self, n: int, node: int) -> Generator[simpy.Event, Any, None]:
        run = self.run
        # as many pods stop as start: the new pod takes the place (the key) of an old one
        key = f"{PODS}default/pod-{n % max(1, run.dims.pods)}"
        try:
            yield from self.scheduler.create(f"/registry/bindings/default/pod-{n}", 0)
        except (StatusError, NoSpaceError) as err:
            run.refused(err)
        for i, size in enumerate(run.churn_event_bytes):
            try:
                yield from self.recorder.create(f"{EVENTS}default/pod-{n}.{i}", size,
                                                ttl_s=3600)
            except (StatusError, NoSpaceError) as err:
                run.refused(err)
        # The pod's own writes (no chapter's load): its kubelet's watch sees them, and the
        # kubelet of the pod it replaces sees that one leave (a DELETED event: the sixth).
        for _ in range(POD_EVENTS_PER_POD - 1):
            try:
                run.db.put(key, POD_WATCH_EVENT_BYTES, value=node)
            except NoSpaceError as err:
                run.refused(err)
        if run.rng.random() < run.backed_share:
            service = int(run.rng.integers(run.services))
            try:
                yield from self.endpoints_controller.update(
                    f"{ENDPOINTS}default/svc-{service}", run.change_bytes)
            except (StatusError, NoSpaceError) as err:
                run.refused(err)


@dataclass
class _Run:
    """The shared state of one toy run (the clients' factory, the rng, the sizes)."""

    env: simpy.Environment
    dims: CapstoneDimensions
    r: Any
    api: ApiServer
    events_api: ApiServer
    db: Store
    rng: np.random.Generator
    tally: list[tuple[float, str]] = field(default_factory=list)
    nospace_at_s: float | None = None
    refusals: int = 0

    def __post_init__(self) -> None:
        from kscale_lab.endpoints import per_change
        from kscale_lab.events.objects import CHURN_EVENTS, WORKLOADS
        from kscale_lab.events.simulation import object_sizes
        from kscale_lab.heartbeats import LEASE_BYTES

        cd = chapter_dimensions(self.dims, self.r)
        self.heartbeats = cd["heartbeats"]
        self.secrets = cd["secrets"]
        self.lease_bytes = LEASE_BYTES
        self.report_period_s = (self.heartbeats.status_report_period_s if self.r.node_lease
                                else self.heartbeats.status_update_period_s)
        self.bookmarks = self.r.watch_bookmarks
        events_side = "improved" if (self.dims.new_event_api and self.r.events_v1) else "naive"
        sizes = object_sizes(WORKLOADS["sandbox"], events_side)
        self.churn_event_bytes = [sizes[(kind.reason, False, False)]
                                  for _c, kind in CHURN_EVENTS]
        ep = cd["endpoints"]
        side = "improved" if self.r.endpoint_slices else "naive"
        self.change_bytes = int(round(per_change(
            ep.backends_per_service, side, max_endpoints_per_slice=ep.max_endpoints_per_slice,
            encoding=ep.encoding)["change_bytes"]))
        self.services = self.dims.services
        self.backed_share = endpoint_changes_per_s(self.dims) / self.dims.pod_churn

    def client_factory(self, connection: Http2Connection | None):
        def make(source: str) -> SourceClient:
            return SourceClient(self.env, self.api, source, self.tally, connection=connection)
        return make

    def client(self, source: str, events: bool = False) -> SourceClient:
        return SourceClient(self.env, self.events_api if events else self.api, source,
                            self.tally)

    def refused(self, err: Exception) -> None:
        self.refusals += 1
        if isinstance(err, NoSpaceError) and self.nospace_at_s is None:
            self.nospace_at_s = self.env.now


@dataclass(frozen=True)
class ToyRun:
    """What :func:`simulate` measured."""

    release: str
    side: str
    horizon_s: float
    warm_s: float
    load: ApiLoad
    """Both apiservers' measured load over the horizon, after the warm-up."""
    requests_by_source: dict[str, float]
    """Requests per second of each source over the horizon (model keys)."""
    bins_s: np.ndarray = field(repr=False)
    requests_per_s: dict[str, np.ndarray] = field(repr=False)
    """Per source, requests per second in each one-minute bin of the whole run."""
    etcd_t_s: np.ndarray = field(repr=False)
    etcd_db_bytes: np.ndarray = field(repr=False)
    """The main etcd's database size, sampled every 10 s."""
    quota_bytes: int = 0
    nospace_at_s: float | None = None
    refusals: int = 0
    pods_started: int = 0


def simulate(dims: CapstoneDimensions, version: str = "naive", *, horizon_s: float = 1800.0,
             warm_s: float = 600.0, seed: int = 0) -> ToyRun:
    """Run a small cluster event by event on one control plane (see the module docstring).

    Parameters
    ----------
    dims : CapstoneDimensions
        At most :data:`SIMULATE_MAX_NODES` nodes of :data:`SIMULATE_MAX_PODS` pods;
        ``hot_objects_per_node`` is not simulated (taken as 0).
    version : str
        ``"naive"`` (the cluster's own release, ``dims.version``), ``"improved"`` (today's)
        or a release (``"1.14.2"``).
    horizon_s, warm_s : float
        The load is measured over ``horizon_s`` seconds after ``warm_s`` (the first LISTs).
    seed : int
        Seeds the workload and the clients' timing.

    Returns
    -------
    ToyRun
    """
    if dims.nodes > SIMULATE_MAX_NODES or dims.pods_per_node > SIMULATE_MAX_PODS:
        raise ValueError(f"nodes must be from 1 to {SIMULATE_MAX_NODES} and pods_per_node from "
                         f"0 to {SIMULATE_MAX_PODS} for simulate() (event by event); got "
                         f"{dims.nodes:,} and {dims.pods_per_node:,}")
    for name, value in (("horizon_s", horizon_s), ("warm_s", warm_s)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number of seconds >= 0; got {value}")
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be > 0 s; got {horizon_s}")
    name = {"naive": dims.version, "improved": TODAY}.get(version, version)
    r = release(name)
    env = simpy.Environment()
    quota = int(dims.quota_gib * 2**30)
    db = Store(env, quota_bytes=quota)
    events_db = Store(env, quota_bytes=quota)
    api = ApiServer(env, db, max_requests_inflight=400, max_mutating_requests_inflight=200,
                    get_s=dims.seat_ms / 1000, update_s=dims.seat_ms / 1000,
                    create_s=dims.seat_ms / 1000, seed=seed)
    events_api = ApiServer(env, events_db, create_s=dims.seat_ms / 1000, seed=seed + 1)
    run = _Run(env, dims, r, api, events_api, db, np.random.default_rng(seed))
    api.add_watch_cache("/registry/secrets/", capacity=SECRETS_WATCH_CACHE)
    if r.dynamic_watch_cache:
        api.add_watch_cache(PODS, dynamic=True)
    else:
        from kscale_lab.watch import pods_cache_capacity

        api.add_watch_cache(PODS, capacity=pods_cache_capacity(dims.nodes))
    api.add_watch_cache(ENDPOINTS, capacity=SECRETS_WATCH_CACHE)
    _objects(run)
    kubelets = [ToyKubelet(env, run, n) for n in range(dims.nodes)]
    churn = PodChurn(env, run)
    samples: list[tuple[float, int]] = []

    def sampler() -> Generator[simpy.Event, Any, None]:
        while True:
            samples.append((env.now, db.db_size_bytes))
            yield env.timeout(10.0)

    env.process(sampler())
    if warm_s > 0:
        env.run(until=warm_s)
    api.reset_load()
    events_api.reset_load()
    start = len(run.tally)
    env.run(until=warm_s + horizon_s)
    load = api.load() + events_api.load()
    counted: dict[str, int] = {}
    for _, source in run.tally[start:]:
        counted[source] = counted.get(source, 0) + 1
    end = warm_s + horizon_s
    bins = np.arange(0.0, end, BIN_S)
    per_source: dict[str, np.ndarray] = {}
    times = np.array([t for t, _ in run.tally])
    sources = np.array([s for _, s in run.tally])
    for source in dict.fromkeys(sources.tolist()):
        t = times[sources == source]
        per_source[source] = np.bincount((t // BIN_S).astype(int),
                                         minlength=len(bins))[:len(bins)] / BIN_S
    t_s, size = (np.array(c, dtype=float) for c in zip(*samples))
    del kubelets
    return ToyRun(r.name, "improved" if name == TODAY else "naive", horizon_s, warm_s, load,
                  {k: v / horizon_s for k, v in counted.items()}, bins, per_source, t_s, size,
                  quota, run.nospace_at_s, run.refusals, churn.started)


def _objects(run: _Run) -> None:
    """The objects that exist when the run starts: Nodes, Leases, Secrets, Endpoints."""
    from kscale_lab.secrets.kubelet import OBJECT_BYTES, object_keys

    db, dims = run.db, run.dims
    for n in range(dims.nodes):
        db.put(f"/registry/minions/node-{n}", run.heartbeats.node_bytes)
        if run.r.node_lease:
            db.put(f"/registry/leases/kube-node-lease/node-{n}", run.lease_bytes)
        for key in dict.fromkeys(k for pod in object_keys(run.secrets.dims, n) for k in pod):
            db.put(key, OBJECT_BYTES)
    for s in range(dims.services):
        db.put(f"{ENDPOINTS}default/svc-{s}", run.change_bytes)
    db.compact(db.revision)                 # history before the run is not the run's
