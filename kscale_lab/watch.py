"""Chapter 7 — watch restart cost: stale resourceVersions, ``410 Gone``, relists, bookmarks.

Every client-go :class:`~kscale_lab.control_plane.Reflector` LISTs once and then WATCHes;
each watch asks for a timeout drawn uniformly from ``[min, max]``, 5–10 min in client-go
(``tools/cache/reflector.go``: the facts file's range; its rule, ``max = 2 × min``, is the
lab's default and can be changed with ``max_watch_timeout_s``) and,
when it ends, is re-opened from the last ``resourceVersion`` the reflector saw. The apiserver
answers from its :class:`~kscale_lab.control_plane.WatchCache`, a cyclic buffer of the
resource's most recent events: every buffered event after that version is run through the
watcher's filter (*init events*, ``apiserver_init_events_total``), and a version that has
already left the buffer is answered ``410 Gone`` — "too old resource version" — after which
the reflector LISTs everything again (``kubernetes-facts.md``, Watches and bookmarks).

**Naive (before KEP-956).** A *selective* watcher — a kubelet watching the pods of its own
node, a watch with a label selector — is sent only the events it matches, so its last
version is that of its last match, however busy the resource. When its watch resumes, the
server replays (and filters away) every event since then, or, if they no longer fit in the
buffer, refuses with 410 and serves a full LIST.

**Improved (KEP-956: alpha 1.15, beta 1.16, GA 1.17).** A watcher that sets
``allowWatchBookmarks`` is sent a BOOKMARK — only a ``resourceVersion``, the cache's current
one — 2 s before its watch times out (later releases also send one about once a minute,
not modelled). Its restart then replays only what happened in those last 2 s.

The cost model (all closed forms; the control plane's functions are reused):

* restarts per second: ``watchers / mean watch``, the mean of a uniform draw being
  ``(min_watch_timeout_s + max_watch_timeout_s) / 2`` (5–10 min: 7.5 min);
* without bookmarks, a restart is refused with probability
  :func:`~kscale_lab.control_plane.relist_probability` ``(1 − s)^(c + 1)`` and replays
  :func:`~kscale_lab.control_plane.init_events_processed_per_resume` events on average
  (``s`` the selectivity, ``c`` the buffer's capacity in events);
* with bookmarks, the events left to replay are the unmatched ones after the last match
  within the last 2 s: :func:`bookmark_resume` (which is
  :func:`~kscale_lab.control_plane.init_events_processed_with_bookmarks` when the buffer
  holds more than those 2 s, and adds the 410 tail when it does not).

They assume the resource's events have consecutive revisions and that, wherever a 410 is
possible, a watch period sees more events than the buffer holds (``events_per_s ×
min_watch_timeout_s ≥ capacity + 1``); :class:`WatchDimensions` refuses settings where that
does not hold, and the SimPy run (:func:`simulate`, through the real control-plane classes)
agrees with the closed form where both run (``tests/test_watch.py``).

Nothing here imports Matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane import (
    ApiLoad,
    ApiServer,
    Reflector,
    RestClient,
    Store,
    init_events_processed_per_resume,
    init_events_processed_with_bookmarks,
    relist_probability,
)
from kscale_lab.control_plane.clients import MIN_WATCH_TIMEOUT_S
from kscale_lab.control_plane.errors import Gone
from kscale_lab.control_plane.watch_cache import (
    BOOKMARK_BYTES,
    BOOKMARK_LEAD_S,
    EVENT_FRESH_S,
    LOWER_BOUND_CAPACITY,
    UPPER_BOUND_CAPACITY,
    WatchEvent,
)
from kscale_lab.dimensions import DimensionConflict, Dimensions, dimension, flag
from kscale_lab.model import Model, Outcome, Version, metric, side_of

__all__ = [
    "KUBERNETES_VERSIONS", "PODS_CACHE_MIN", "PODS_CACHE_PER_NODE", "SIMULATE_MAX_WATCHERS",
    "TracedReflector", "WatchDimensions", "WatchModel", "WatchOutcome", "WatchSimulation",
    "bookmark_factor", "bookmark_resume", "dynamic_capacity", "naive_resume",
    "pods_cache_capacity", "restart_cost", "simulate", "watch_at",
]

#: Talk-era watch cache for pods: about 50 × cluster size, at least 1,000 events
#: (``kubernetes-facts.md``, apiserver ``cachesize``).
PODS_CACHE_PER_NODE = 50
PODS_CACHE_MIN = 1000
#: Below this 410 share the closed form's assumption (a watch period sees more events than the
#: buffer holds) is not needed: where it fails, the formula overstates the 410 share, by at
#: most this much.
NEGLIGIBLE_410 = 0.01


def pods_cache_capacity(nodes: int) -> int:
    """The talk era's pods watch cache in events: ``max(1000, 50 × nodes)`` (facts file)."""
    if not (isinstance(nodes, (int, np.integer)) and nodes >= 1):
        raise ValueError(f"nodes must be a whole number >= 1; got {nodes!r}")
    return max(PODS_CACHE_MIN, PODS_CACHE_PER_NODE * int(nodes))


def dynamic_capacity(events_per_s: float) -> int:
    """The 1.19+ dynamic watch cache's settled capacity for a steady ``events_per_s``.

    It grows from 100 events by doubling while a full buffer holds less than 75 s of
    history, within 100 … 102,400 events (bounds and 75 s from the facts file; the doubling
    rule is the control plane's, recalled from ``watch_cache.go`` and unverified). So it
    settles at the first ``100 × 2^k`` that holds ``75 s × events_per_s`` events, or at the
    upper bound.
    """
    if not (math.isfinite(events_per_s) and events_per_s >= 0):
        raise ValueError(f"events_per_s must be a finite number >= 0; got {events_per_s!r}")
    need = EVENT_FRESH_S * events_per_s
    capacity = LOWER_BOUND_CAPACITY
    while capacity < need and capacity < UPPER_BOUND_CAPACITY:
        capacity *= 2
    return min(capacity, UPPER_BOUND_CAPACITY)


@dataclass(frozen=True)
class WatchDimensions(Dimensions):
    """The watches of one resource: how many, how selective, how busy, and the cache.

    The defaults are the issue's cluster-scale case: 5,000 kubelets, each watching the pods
    of its own node (selectivity 1 / 5,000), with the talk era's pods watch cache
    (50 × 5,000 = 250,000 events) and 150,000 pods (the scalability threshold). The churn,
    100 pod events/s, is illustrative (the SLOs assume ≤ 20 pods/s created or deleted, and
    each pod goes through several updates).
    """

    watchers: int = dimension(
        5000, lo=1, hi=100_000, log=True, unit="watches", label="watchers",
        help="Reflectors watching the resource (e.g. one pod watch per kubelet, so one per "
             "node)")
    selectivity: float = dimension(
        0.0002, lo=1e-5, hi=1.0, log=True, unit="", label="selectivity",
        help="Share of the resource's events a watcher's selector matches (a kubelet's pod "
             "watch on N nodes: 1/N; an unfiltered watch: 1)")
    events_per_s: float = dimension(
        100.0, lo=1.0, hi=10_000.0, log=True, unit="events/s", label="churn",
        help="Events per second of the resource (creates, updates, deletes); the default "
             "is illustrative")
    objects: int = dimension(
        150_000, lo=1, hi=1_000_000, log=True, unit="objects", label="objects",
        help="Objects of the resource: what a relist scans (150,000 pods is the threshold)")
    watch_cache_capacity: int = dimension(
        250_000, lo=10, hi=1_000_000, log=True, unit="events", label="watch cache",
        help="Events the apiserver's watch cache holds (talk era: 100 by default; pods "
             "max(1,000, 50 × nodes); 1.19+: dynamic, 100–102,400)")
    min_watch_timeout_s: int = dimension(
        300, lo=30, hi=1800, step=30, unit="s", label="min watch timeout",
        hi_dim="max_watch_timeout_s",
        help="The shortest watch a reflector asks for; it draws each timeout uniformly "
             "between this and the max (client-go uses [min, 2·min]: 5–10 min)")
    max_watch_timeout_s: int = dimension(
        600, lo=30, hi=3600, step=30, unit="s", label="max watch timeout",
        help="The longest watch a reflector asks for, at least the min (client-go uses "
             "[min, 2·min]: 5–10 min; keep it 2 × min to model client-go)")
    bookmarks: bool = flag(
        True, label="clients opt in to bookmarks",
        help="Improved version only: whether the reflectors set allowWatchBookmarks (the "
             "server sends bookmarks only to watchers that ask)")
    object_bytes: int = dimension(
        2000, lo=100, hi=1_000_000, log=True, unit="B", label="object size",
        help="Bytes of one object as a watch event (illustrative)")

    def check(self) -> None:
        c, s = self.watch_cache_capacity, self.selectivity
        per_period = self.events_per_s * self.min_watch_timeout_s
        p = relist_probability(s, c)
        if per_period < c + 1 and p >= NEGLIGIBLE_410:
            raise DimensionConflict(
                f"the lab's closed form needs each watch period to see more events than the "
                f"watch cache holds wherever a 410 is possible: events_per_s × "
                f"min_watch_timeout_s ({per_period:,.0f} events) is below "
                f"watch_cache_capacity + 1 ({c + 1:,}) while selectivity {s:g} makes a 410 "
                f"likely ({p:.1%}); raise the churn or the timeout, or make the cache smaller "
                f"or the selector broader",
                ("events_per_s", "min_watch_timeout_s", "watch_cache_capacity",
                 "selectivity"))

    @property
    def mean_watch_s(self) -> float:
        """A watch's mean length: the middle of ``[min, max]`` (7.5 min for client-go's 5–10)."""
        return (self.min_watch_timeout_s + self.max_watch_timeout_s) / 2

    @property
    def restarts_per_s(self) -> float:
        """Watch restarts per second: every watcher once per mean watch."""
        return self.watchers / self.mean_watch_s

    @property
    def history_s(self) -> float:
        """Seconds of history the watch cache holds at this churn."""
        return self.watch_cache_capacity / self.events_per_s


@dataclass(frozen=True)
class WatchOutcome(Outcome):
    """What one version of the watch-restart mechanism costs the apiserver, per second."""

    restarts_per_s: float = metric(unit="restarts/s", help="Watches re-opened per second")
    too_old_share: float = metric(unit="", help="Share of restarts answered 410 Gone (too old "
                                                "resource version)")
    init_events_per_restart: float = metric(
        unit="events", help="Buffered events the server runs through the watcher's filter "
                            "per restart (a refused one counts 0)")
    init_events_per_s: float = metric(
        unit="events/s", help="Events replayed through watchers' filters at restarts "
                              "(apiserver_init_events_total per second): the wasted work")
    relists_per_s: float = metric(unit="LIST/s", help="Relists after a 410")
    relist_objects_per_s: float = metric(unit="objects/s", help="Objects the relists read")
    watch_events_sent_per_s: float = metric(
        unit="events/s", help="Watch events sent to the watchers (their matches and bookmarks)")
    bookmarks_per_s: float = metric(unit="events/s", help="BOOKMARK events sent")
    history_s: float = metric(unit="s", help="Seconds of history the watch cache holds")


# --- the closed forms -------------------------------------------------------------------------

def naive_resume(selectivity: float, capacity: int) -> tuple[float, float]:
    """``(P(410), events run through the filter per resume attempt)`` without bookmarks.

    The control plane's :func:`~kscale_lab.control_plane.relist_probability` and
    :func:`~kscale_lab.control_plane.init_events_processed_per_resume`: the watcher's version
    is that of its last match, so the events since then number ``K`` with
    ``P(K >= k) = (1 - s)**k``; a resume replays them if ``K <= capacity`` and is refused
    (410, nothing replayed) otherwise.
    """
    return (relist_probability(selectivity, capacity),
            init_events_processed_per_resume(selectivity, capacity))


def _poisson_sf(mean: float, k_max: int) -> np.ndarray:
    """``P(N >= k)`` for ``k = 1 … k_max``, ``N ~ Poisson(mean)``, computed in log space."""
    k = np.arange(0, k_max + 1, dtype=float)
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    pmf = np.exp(k * math.log(mean) - mean - log_fact) if mean > 0 else (k == 0).astype(float)
    cdf = np.cumsum(pmf)
    return np.clip(1.0 - cdf[:-1], 0.0, 1.0)          # P(N >= k) = 1 - P(N <= k - 1)


def bookmark_resume(events_per_s: float, selectivity: float, capacity: int,
                    lead_s: float = BOOKMARK_LEAD_S) -> tuple[float, float]:
    """``(P(410), events run through the filter per resume attempt)`` with bookmarks.

    The watcher resumes from the bookmark sent ``lead_s`` before its timeout, or from a later
    match. With Poisson events (λ = ``events_per_s``) each matching with probability ``s``,
    the events left to replay are the unmatched ones after the last match in those
    ``lead_s`` seconds: ``K_b >= k`` exactly when the window holds at least ``k`` events
    (``N ~ Poisson(λ × lead_s)``) and the last ``k`` all miss, so
    ``P(K_b >= k) = (1 - s)**k × P(N >= k)``. A resume with ``K_b > capacity`` is refused
    (410); otherwise it replays ``K_b``.

    When the buffer is far larger than the window (the usual case) the 410 term vanishes and
    the mean is the control plane's
    :func:`~kscale_lab.control_plane.init_events_processed_with_bookmarks`.
    """
    mu = events_per_s * lead_s
    k_max = int(math.ceil(mu + 12 * math.sqrt(mu) + 40))   # P(N > k_max) is negligible
    if capacity >= k_max:
        return 0.0, init_events_processed_with_bookmarks(events_per_s, selectivity, lead_s)
    k = np.arange(1, capacity + 2, dtype=float)
    tail = (1.0 - selectivity) ** k * _poisson_sf(mu, capacity + 1)    # P(K_b >= k)
    p = float(tail[-1])
    return p, float(tail[:-1].sum() - capacity * p)


def restart_cost(dims: WatchDimensions, allow_watch_bookmarks: bool) -> WatchOutcome:
    """The watchers' restart cost in closed form (see the module docstring), with its load.

    The :class:`~kscale_lab.control_plane.ApiLoad` has the same shape as the control plane's
    :func:`~kscale_lab.control_plane.reflector_load` (WATCH = restarts × (1 + P(410)), LIST =
    restarts × P(410), the matched events and one bookmark per watch, the watches held open),
    with this module's exact 410 share for bookmarks.
    """
    restarts = dims.restarts_per_s
    s, lam, c = dims.selectivity, dims.events_per_s, dims.watch_cache_capacity
    if allow_watch_bookmarks:
        p, per_attempt = bookmark_resume(lam, s, c)
        bookmarks = restarts
    else:
        p, per_attempt = naive_resume(s, c)
        bookmarks = 0.0
    matched = dims.watchers * s * lam
    relists = restarts * p
    load = ApiLoad({"WATCH": restarts * (1 + p), "LIST": relists},
                   watch_events_per_s=matched + bookmarks,
                   watch_bytes_per_s=matched * dims.object_bytes + bookmarks * BOOKMARK_BYTES,
                   watches_open=dims.watchers)
    return WatchOutcome(
        restarts_per_s=restarts, too_old_share=p, init_events_per_restart=per_attempt,
        init_events_per_s=restarts * per_attempt, relists_per_s=relists,
        relist_objects_per_s=relists * dims.objects, watch_events_sent_per_s=matched + bookmarks,
        bookmarks_per_s=bookmarks, history_s=dims.history_s, load=load)


def bookmark_factor(dims: WatchDimensions) -> float:
    """How many times fewer events are replayed at restarts with bookmarks than without
    (``inf`` when bookmarks leave nothing to replay; 1 when the clients do not opt in)."""
    model = WatchModel()
    c = model.compare(dims)
    if c.improved.init_events_per_s == 0:
        return math.inf if c.naive.init_events_per_s > 0 else 1.0
    return c.naive.init_events_per_s / c.improved.init_events_per_s


class WatchModel(Model[WatchDimensions, WatchOutcome]):
    """Chapter 7: reflectors resuming from a stale resourceVersion vs from a bookmark."""

    key = "watch"
    chapter = 7
    title = "Watch restart cost"
    dimensions = WatchDimensions
    versions = (Version("naive", "re-watch from the last event seen"),
                Version("improved", "bookmarks 2 s before the timeout"))
    figure_class = "kscale_lab.figures.watch:WatchFigure"

    def run(self, dims: WatchDimensions, version: Version) -> WatchOutcome:
        """Naive: no bookmarks. Improved: bookmarks, if the clients opt in (``bookmarks``)."""
        return restart_cost(dims, allow_watch_bookmarks=not version.is_naive and dims.bookmarks)


# --- one cluster, release by release -----------------------------------------------------------

#: What each release offers for this chapter (KEP-956 and the watch cache's sizing, facts
#: file). Whether an alpha feature gate is on by default is not in the facts: the lab treats
#: alpha as off and beta as on (unverified for ``WatchBookmark``), and takes the reflector's
#: opt-in as given once the feature is on.
KUBERNETES_VERSIONS = ("1.14", "1.15", "1.16", "1.17", "1.19")


def watch_at(dims: WatchDimensions, kubernetes_version: str,
             nodes: int | None = None) -> WatchOutcome:
    """The restart cost of ``dims``' watches on a release (for the capstone).

    * before 1.16: no bookmarks (1.15's are alpha, taken as off by default);
    * 1.16 and later: bookmarks (beta 1.16, GA 1.17), if ``dims.bookmarks``;
    * the talk era's watch cache is ``dims.watch_cache_capacity`` (or, with ``nodes``, the
      pods cache ``max(1000, 50 × nodes)``); from 1.19 it is :func:`dynamic_capacity` at the
      resource's churn.
    """
    if kubernetes_version not in KUBERNETES_VERSIONS:
        raise ValueError(f"kubernetes_version must be one of {', '.join(KUBERNETES_VERSIONS)}; "
                         f"got {kubernetes_version!r}")
    minor = int(kubernetes_version.split(".")[1])
    capacity = dims.watch_cache_capacity if nodes is None else pods_cache_capacity(nodes)
    if minor >= 19:
        capacity = dynamic_capacity(dims.events_per_s)
    if capacity != dims.watch_cache_capacity:
        dims = dims.replace(watch_cache_capacity=capacity)
    return restart_cost(dims, allow_watch_bookmarks=minor >= 16 and dims.bookmarks)


# --- the event-by-event model (SimPy, through the control plane) ----------------------------

#: :func:`simulate` refuses more watchers: every event is run through every watcher's filter.
SIMULATE_MAX_WATCHERS = 200
POD_PREFIX = "/registry/pods/"


class TracedReflector(Reflector):
    """client-go's :class:`~kscale_lab.control_plane.Reflector`, with a log of what it does.

    ``trace`` gets ``(time_s, kind, detail)`` for every LIST, WATCH (``detail``: the
    ``resourceVersion`` it resumed from and the events the server replayed through its
    filter), 410, matched event and BOOKMARK. Its behaviour is the Reflector's: only its
    client and its event handler are wrapped.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, prefix: str, *,
                 record: bool, **options: Any) -> None:
        self.trace: list[tuple[float, str, Any]] = []
        self._record = record
        super().__init__(env, _TracingClient(env, api, self), prefix, **options)

    def log(self, kind: str, detail: Any = None) -> None:
        if self._record:
            self.trace.append((self.env.now, kind, detail))

    def _handle(self, event: WatchEvent) -> None:
        self.log("BOOKMARK" if event.type == "BOOKMARK" else "EVENT", event.resource_version)
        super()._handle(event)


class _TracingClient(RestClient):
    """A :class:`RestClient` that tells its reflector about each LIST, WATCH and 410."""

    def __init__(self, env: simpy.Environment, api: ApiServer,
                 reflector: TracedReflector) -> None:
        super().__init__(env, api)
        self.reflector = reflector

    def list(self, prefix, selector=None):
        out = yield from super().list(prefix, selector)
        self.reflector.log("LIST", out[1])
        return out

    def watch(self, prefix, resource_version=None, **options):
        try:
            w = yield from super().watch(prefix, resource_version, **options)
        except Gone:
            self.reflector.log("410", resource_version)
            raise
        self.reflector.log("WATCH", (resource_version, w.init_events_processed))
        return w


@dataclass(frozen=True)
class WatchSimulation:
    """What :func:`simulate` measured after its warm-up, and each reflector's trace."""

    version: str
    duration_s: float
    attempts: int
    """Resume attempts (successful restarts plus 410s)."""
    too_old: int
    restarts: int
    init_events_processed: int
    bookmarks: int
    events_received: int
    relists: int
    load: ApiLoad
    traces: list = field(repr=False)
    """Per reflector, its ``(time_s, kind, detail)`` log (empty unless ``record``)."""

    @property
    def too_old_share(self) -> float:
        return self.too_old / self.attempts if self.attempts else 0.0

    @property
    def init_events_per_restart(self) -> float:
        return self.init_events_processed / self.attempts if self.attempts else 0.0


def simulate(dims: WatchDimensions, version: Version | str = "naive", *,
             horizon_s: float = 3600.0, warm_s: float = 600.0, seed: int = 0,
             record: int = 0) -> WatchSimulation:
    """Run the watchers event by event with SimPy, through the control plane.

    An etcd :class:`~kscale_lab.control_plane.Store` holds ``dims.objects`` pods spread over
    ``round(1 / selectivity)`` nodes; a writer updates a random pod (pick a node, then one of
    its pods) in a Poisson stream of ``events_per_s`` through an
    :class:`~kscale_lab.control_plane.ApiServer` whose
    :class:`~kscale_lab.control_plane.WatchCache` holds ``watch_cache_capacity`` events;
    ``watchers`` :class:`TracedReflector` s each watch the pods of one node, with
    ``allowWatchBookmarks`` in the improved version (if ``dims.bookmarks``).

    Parameters
    ----------
    dims : WatchDimensions
        At most :data:`SIMULATE_MAX_WATCHERS` watchers; ``objects`` at least the nodes.
    version : Version or str
        ``"naive"`` or ``"improved"``.
    horizon_s, warm_s : float
        Counted over ``horizon_s`` seconds after a ``warm_s`` warm-up (the first LISTs).
    seed : int
        Seeds the writer and each reflector's watch timeouts.
    record : int
        Keep the traces of the first ``record`` reflectors (for the timeline figure).

    Returns
    -------
    WatchSimulation
        Counts over the horizon and the measured :class:`~kscale_lab.control_plane.ApiLoad`.
    """
    side = side_of(version)
    if dims.watchers > SIMULATE_MAX_WATCHERS:
        raise ValueError(f"watchers must be from 1 to {SIMULATE_MAX_WATCHERS} for simulate() "
                         f"(event by event; WatchModel covers larger clusters); got "
                         f"{dims.watchers:,}")
    nodes = max(1, round(1 / dims.selectivity))
    if dims.objects < nodes:
        raise ValueError(f"objects must be at least the {nodes:,} nodes that selectivity "
                         f"{dims.selectivity:g} implies for simulate(); got {dims.objects:,}")
    for name, value in (("horizon_s", horizon_s), ("warm_s", warm_s)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number of seconds >= 0; got {value}")
    env = simpy.Environment()
    db = Store(env)
    per_node = dims.objects // nodes
    pods = [[f"{POD_PREFIX}default/pod-{n}-{i}" for i in range(per_node)] for n in range(nodes)]
    for n, keys in enumerate(pods):
        for key in keys:
            db.put(key, dims.object_bytes, value=n)
    api = ApiServer(env, db, compaction_interval_s=0)
    api.add_watch_cache(POD_PREFIX, capacity=dims.watch_cache_capacity)
    rng = np.random.default_rng(seed)

    def writer() -> Iterator[simpy.Event]:
        while True:
            yield env.timeout(rng.exponential(1 / dims.events_per_s))
            n = int(rng.integers(nodes))
            yield api.update(pods[n][int(rng.integers(per_node))], dims.object_bytes, value=n)

    env.process(writer())
    bookmarks = side == "improved" and dims.bookmarks
    reflectors = [
        TracedReflector(env, api, POD_PREFIX, record=i < record,
                        selector=lambda _key, node, mine=i % nodes: node == mine,
                        allow_watch_bookmarks=bookmarks,
                        min_watch_timeout_s=dims.min_watch_timeout_s,
                        max_watch_timeout_s=dims.max_watch_timeout_s,
                        seed=seed * 100_003 + i, name=f"kubelet-{i}")
        for i in range(dims.watchers)]
    counters = ("too_old", "watch_restarts", "init_events_processed", "bookmarks_received",
                "events_received", "lists")
    if warm_s > 0:
        env.run(until=warm_s)
    api.reset_load()
    before = {c: sum(getattr(r, c) for r in reflectors) for c in counters}
    env.run(until=warm_s + horizon_s)
    n = {c: sum(getattr(r, c) for r in reflectors) - before[c] for c in counters}
    return WatchSimulation(
        version=side, duration_s=horizon_s, attempts=n["watch_restarts"] + n["too_old"],
        too_old=n["too_old"], restarts=n["watch_restarts"],
        init_events_processed=n["init_events_processed"], bookmarks=n["bookmarks_received"],
        events_received=n["events_received"], relists=n["lists"], load=api.load(),
        traces=[r.trace for r in reflectors[:record]])


#: The toy cluster of the chapter's timeline: few watchers, a small buffer, short timeouts,
#: so that a few minutes show restarts, a 410 and a relist (illustrative values).
TOY = WatchDimensions(watchers=6, selectivity=0.02, events_per_s=2.0, objects=100,
                      watch_cache_capacity=40, min_watch_timeout_s=60,
                      max_watch_timeout_s=120, bookmarks=True, object_bytes=2000)


__all__ += ["MIN_WATCH_TIMEOUT_S", "TOY"]
