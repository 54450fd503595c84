"""The shared control plane: etcd store, apiserver, HTTP/2, watch cache, clients, ApiLoad."""

import doctest
import importlib
import math

import numpy as np
import pytest
import simpy

from kscale_lab.control_plane import (
    VERBS,
    ApiLoad,
    ApiServer,
    CacheBasedManager,
    Compacted,
    GoClient,
    Http2Connection,
    ProgressNotify,
    Reflector,
    RestClient,
    Store,
    TooManyRequests,
    TooOldResourceVersion,
    WatchCache,
    init_events_processed_per_resume,
    init_events_processed_with_bookmarks,
    polling_load,
    reflector_load,
    relist_probability,
    tcp_connections_needed,
)
from kscale_lab.control_plane.watch_cache import BOOKMARK_BYTES

SECRETS = "/registry/secrets/"


# --- etcd: the Store --------------------------------------------------------------------------

def test_a_watch_from_a_compacted_revision_fails():
    db = Store()
    for _ in range(5):
        db.put("/registry/pods/a", 10)             # revisions 2..6
    db.compact(4)
    with pytest.raises(Compacted, match="required revision has been compacted"):
        db.watch("/registry/pods/", from_revision=2)   # etcd start revision 3 < 4


def test_a_watch_from_the_compaction_point_replays_what_is_left():
    """etcd 3.5.1 checked by hand: after ``compact 4``, a watch from revision 4 works."""
    db = Store()
    for _ in range(5):
        db.put("/registry/pods/a", 10)
    db.compact(4)
    w = db.watch("/registry/pods/", from_revision=3)    # start revision 4
    assert [e.revision for e in w.drain()] == [4, 5, 6]


def test_a_watch_replays_the_events_after_its_revision_then_streams_new_ones():
    db = Store()
    db.put("/registry/pods/a", 10)                   # 2
    db.put("/registry/nodes/n", 10)                  # 3: another prefix
    db.put("/registry/pods/b", 10)                   # 4
    db.delete("/registry/pods/a")                    # 5
    w = db.watch("/registry/pods/", from_revision=2)
    db.put("/registry/pods/c", 10)                   # 6
    assert [(e.type, e.kv.key, e.revision) for e in w.drain()] == [
        ("PUT", "/registry/pods/b", 4), ("DELETE", "/registry/pods/a", 5),
        ("PUT", "/registry/pods/c", 6)]


def test_a_deleted_key_is_gone_after_compaction_past_its_tombstone():
    db = Store()
    db.put("k", 100)
    db.put("k", 100)
    db.delete("k")
    assert db.kv("k") is None and db.in_use_bytes == 200     # history is still held
    db.compact(db.revision)
    assert db.versions("k") == 0 and db.in_use_bytes == 0


def test_a_leases_keys_vanish_when_it_expires():
    env = simpy.Environment()
    db = Store(env)
    lease = db.grant(ttl_s=30)
    for i in range(3):
        db.put(f"/registry/events/e{i}", 500, lease=lease)
    db.put("/registry/pods/p", 900)
    env.run(until=29.9)
    assert len(db.range("/registry/events/")) == 3
    env.run(until=30.1)
    assert db.range("/registry/events/") == [] and db.kv("/registry/pods/p") is not None


def test_revoking_a_lease_deletes_its_keys_in_one_revision():
    """As etcd 3.5.1 does: three keys on a lease, revoke, the revision rises by one."""
    db = Store()
    lease = db.grant(ttl_s=100)
    for i in range(3):
        db.put(f"k{i}", 10, lease=lease)
    before = db.revision
    assert db.revoke(lease) == before + 1 and db.object_count == 0


def test_keep_alive_postpones_expiry():
    env = simpy.Environment()
    db = Store(env)
    lease = db.grant(ttl_s=10)
    db.put("k", 10, lease=lease)
    env.run(until=8)
    db.keep_alive(lease)
    env.run(until=17)
    assert db.kv("k") is not None
    env.run(until=18.1)
    assert db.kv("k") is None


def test_a_progress_request_returns_the_current_revision():
    db = Store()
    w = db.watch("/registry/pods/")
    for i in range(4):
        db.put(f"/registry/nodes/n{i}", 10)          # not under the watched prefix
    w.request_progress()
    assert w.drain() == [ProgressNotify(db.revision)] and db.revision == 5


def test_quiet_progress_notify_watchers_get_the_revision_every_interval():
    env = simpy.Environment()
    db = Store(env, progress_notify_interval_s=600)
    quiet = db.watch("/registry/pods/", progress_notify=True)
    busy = db.watch("/registry/nodes/", progress_notify=True)

    def writer():
        while True:
            yield env.timeout(110)
            db.put("/registry/nodes/n", 10)
    env.process(writer())
    env.run(until=601)
    assert quiet.drain() == [ProgressNotify(6)]     # revisions 2..6 written at 110..550 s
    assert not any(isinstance(e, ProgressNotify) for e in busy.drain())


# --- ApiLoad ----------------------------------------------------------------------------------

def test_apiload_addition_sums_every_field():
    a = ApiLoad({"GET": 1.0, "PATCH": 2.0}, rejected_per_s=0.5, etcd_write_bytes_per_s=10,
                etcd_objects=3, etcd_bytes=100, watch_events_per_s=4, watch_bytes_per_s=40,
                watches_open=2)
    b = ApiLoad({"PATCH": 3.0, "WATCH": 1.0}, etcd_objects=1, watches_open=5)
    total = a + b
    assert dict(total.requests_per_s_by_verb) == {"GET": 1.0, "LIST": 0.0, "WATCH": 1.0,
                                                  "CREATE": 0.0, "UPDATE": 0.0, "PATCH": 5.0,
                                                  "DELETE": 0.0}
    assert (total.requests_per_s, total.etcd_objects, total.watches_open,
            total.etcd_bytes) == (7.0, 4.0, 7.0, 100.0)


def test_apiload_sums_with_and_without_a_start_value():
    loads = [ApiLoad({"GET": float(i)}, etcd_bytes=i) for i in range(1, 5)]
    assert sum(loads, ApiLoad()) == sum(loads) == ApiLoad({"GET": 10.0}, etcd_bytes=10)


def test_apiload_scaled_multiplies_every_field():
    one_node = ApiLoad({"UPDATE": 0.1}, etcd_write_bytes_per_s=30, etcd_objects=1)
    assert one_node.scaled(5000) == ApiLoad({"UPDATE": 500.0}, etcd_write_bytes_per_s=150_000,
                                            etcd_objects=5000)


def test_apiload_as_dict_is_json_ready_with_every_verb_and_the_total():
    import json

    d = ApiLoad({"LIST": 2.0}, watches_open=3).as_dict()
    assert set(d["requests_per_s_by_verb"]) == set(VERBS)
    assert d["requests_per_s"] == 2.0 and d["watches_open"] == 3.0
    assert json.loads(json.dumps(d)) == d


def test_apiload_survives_pickle_and_deepcopy():
    import copy
    import pickle

    load = ApiLoad({"WATCH": 2.5}, watches_open=4)
    assert pickle.loads(pickle.dumps(load)) == load == copy.deepcopy(load)


@pytest.mark.parametrize("kwargs, field", [
    (dict(requests_per_s_by_verb={"GET": -1.0}), "requests_per_s_by_verb['GET']"),
    (dict(requests_per_s_by_verb={"POST": 1.0}), "requests_per_s_by_verb keys"),
    (dict(etcd_bytes=float("nan")), "etcd_bytes"),
    (dict(watch_events_per_s=float("inf")), "watch_events_per_s"),
    (dict(rejected_per_s=-0.1), "rejected_per_s"),
])
def test_apiload_refuses_bad_values_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        ApiLoad(**kwargs)


# --- the apiserver ----------------------------------------------------------------------------

def _server(**kw):
    env = simpy.Environment()
    db = Store(env)
    return env, db, ApiServer(env, db, **kw)


def test_a_full_pool_answers_429_at_once_and_never_exceeds_its_capacity():
    env, db, api = _server(update_s=1.0, compaction_interval_s=0)
    for i in range(900):
        db.put(f"/registry/pods/p{i}", 100)
    ok, rejected, peaks = [], [], []

    def client(i, at):
        yield env.timeout(at)
        try:
            yield api.update(f"/registry/pods/p{i}", 100)
            ok.append(env.now)
        except TooManyRequests:
            rejected.append(env.now - at)             # answered at once

    def monitor():
        while True:
            assert api.mutating.count <= api.mutating.capacity
            peaks.append(api.mutating.count)
            yield env.timeout(0.01)

    for i in range(900):                              # 300 at 0 s, 300 at 0.5 s, 300 at 1 s
        env.process(client(i, 0.5 * (i // 300)))
    env.process(monitor())
    env.run(until=3)
    # 0 s: 200 seats taken, 100 refused; 0.5 s: all busy, 300 refused; 1 s: the first 200
    # seats have freed, 200 taken, 100 refused
    assert (len(ok), len(rejected)) == (400, 500)
    assert set(rejected) == {0.0} and max(peaks) == 200 == api.mutating.peak


def test_read_only_requests_have_their_own_pool():
    env, db, api = _server(max_mutating_requests_inflight=1, update_s=1.0)
    db.put("/registry/pods/a", 100)
    api.update("/registry/pods/a", 100)
    with pytest.raises(TooManyRequests):
        api.update("/registry/pods/a", 100)
    assert api.get("/registry/pods/a") is not None


def test_watches_take_no_seat():
    env, db, api = _server(max_requests_inflight=1, get_s=10.0)
    db.put("/registry/pods/a", 100)
    api.get("/registry/pods/a")                       # the only read-only seat, for 10 s
    watchers = [api.watch("/registry/pods/", timeout_s=60) for _ in range(20)]
    with pytest.raises(TooManyRequests):
        api.get("/registry/pods/a")
    env.run(until=1)
    assert all(w.triggered for w in watchers) and api.load().watches_open > 19


def test_the_compactor_compacts_to_the_revision_of_the_previous_tick():
    env, db, api = _server(compaction_interval_s=300)

    def writer():
        yield env.timeout(0.5)
        while True:
            db.put("/registry/leases/a", 10)          # revisions 2, 3, … one a second
            yield env.timeout(1)
    env.process(writer())
    env.run(until=901)
    # revision at 300 s: 1 + 300 writes = 301; at 600 s: 601; the first tick compacts nothing
    assert api.compactions == [(600, 301), (900, 601)]
    # held: the version at revision 601 and the 301 written since (602 … 902)
    assert db.versions("/registry/leases/a") == 302


def test_ttl_objects_share_a_lease_for_60_s_and_1000_objects():
    env, db, api = _server(max_mutating_requests_inflight=0)
    for i in range(2500):
        api.create(f"/registry/events/e{i}", 500, ttl_s=3600)
    env.run(until=61)
    api.create("/registry/events/late", 500, ttl_s=3600)
    assert api.lease_manager.granted == 4             # 1000 + 1000 + 500, then a new window
    assert [len(db.lease_keys(lease)) for lease in (1, 2, 3, 4)] == [1000, 1000, 500, 1]


def test_ttl_objects_vanish_after_their_ttl_plus_the_lease_reuse_window():
    env, db, api = _server()
    api.create("/registry/events/e", 500, ttl_s=100)
    env.run(until=159)
    assert db.kv("/registry/events/e") is not None    # granted for 100 + 60 s
    env.run(until=161)
    assert db.kv("/registry/events/e") is None


def test_measured_load_counts_requests_bytes_and_levels():
    env, db, api = _server(compaction_interval_s=0)

    def client():
        yield api.create("/registry/pods/a", 1000)
        for _ in range(9):
            yield api.update("/registry/pods/a", 1000)
        yield api.get("/registry/pods/a")
    env.process(client())
    env.run(until=100)
    load = api.load()
    assert load.requests_per_s_by_verb["CREATE"] == pytest.approx(0.01)
    assert load.requests_per_s_by_verb["UPDATE"] == pytest.approx(0.09)
    assert load.requests_per_s_by_verb["GET"] == pytest.approx(0.01)
    assert load.etcd_write_bytes_per_s == pytest.approx(100.0)      # 10 × 1000 B / 100 s
    assert (load.etcd_objects, load.etcd_bytes) == (1, 10_000)      # no compaction


# --- HTTP/2 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("client", list(GoClient))
def test_a_request_blocks_behind_full_streams_only_with_go_1_10_and_1_11(client):
    env = simpy.Environment()
    conn = Http2Connection(env, max_concurrent_streams=250, client=client)
    for _ in range(250):
        conn.open_stream()                            # 250 watches hold every stream
    request = conn.open_stream()
    env.run(until=60)
    assert request.triggered is (client is not GoClient.GO_1_10_11)


def test_a_client_interrupted_while_waiting_for_a_stream_gives_up_its_place():
    env = simpy.Environment()
    db = Store(env)
    db.put("/registry/leases/kube-node-lease/node-1", 300)
    conn = Http2Connection(env, max_concurrent_streams=1, client=GoClient.GO_1_10_11)
    client = RestClient(env, ApiServer(env, db), connection=conn)
    held = conn.open_stream()                          # a watch holds the only stream

    def renew():
        try:
            yield from client.update("/registry/leases/kube-node-lease/node-1", 300)
        except simpy.Interrupt:
            pass
    renewal = env.process(renew())
    env.run(until=1)
    assert conn.waiting_requests == 1
    renewal.interrupt()
    env.run(until=2)
    conn.close_stream(held.value)
    assert (conn.waiting_requests, conn.streams_in_use) == (0, 0)


@pytest.mark.parametrize("client", list(GoClient))
def test_tcp_connections_agree_with_the_closed_form(client):
    env = simpy.Environment()
    conn = Http2Connection(env, max_concurrent_streams=100, client=client)
    for _ in range(321):
        conn.open_stream()
    assert conn.tcp_connections == tcp_connections_needed(321, 100, client)


@pytest.mark.parametrize("client, renewals", [(GoClient.GO_1_10_11, 0),
                                              (GoClient.GO_1_12, 29)])
def test_a_kubelet_watching_more_objects_than_streams_cannot_renew_its_lease(client, renewals):
    """Chapter 3's trap: 260 secret watches on one connection of 250 streams (Go 1.10–1.11).

    Until the first watches time out (5–10 min) and free a stream, the Lease update waits.
    """
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db)
    secrets = [f"{SECRETS}default/s{i}" for i in range(260)]
    for key in secrets:
        db.put(key, 1000)
    db.put("/registry/leases/kube-node-lease/node-1", 300)
    kubelet = RestClient(env, api, connection=Http2Connection(env, client=client))
    for i, key in enumerate(secrets):                 # the watch-based secret manager
        Reflector(env, kubelet, SECRETS, selector=lambda k, v, key=key: k == key, seed=i)
    renewed = []

    def lease_controller():
        while True:
            yield env.timeout(10)
            yield from kubelet.update("/registry/leases/kube-node-lease/node-1", 300)
            renewed.append(env.now)
    env.process(lease_controller())
    env.run(until=295)
    assert len(renewed) == renewals               # Go 1.12: one every 10 s (+ 10 ms each)


# --- the watch cache --------------------------------------------------------------------------

def _churn(env, db, rng, keys, writes, prefix=SECRETS):
    """``writes`` random puts and deletes to ``keys``, one per second, logged by a raw watch."""
    log = db.watch(prefix)

    def writer():
        for _ in range(writes):
            yield env.timeout(1)
            key = keys[rng.integers(len(keys))]
            if db.kv(key) is not None and rng.random() < 0.2:
                db.delete(key)
            else:
                size = int(rng.integers(100, 2000))
                db.put(key, size, value=size)
    env.process(writer())
    return log


def test_a_resumed_watch_replays_exactly_the_events_after_its_revision():
    env = simpy.Environment()
    db = Store(env)
    rng = np.random.default_rng(7)
    cache = WatchCache(env, db, SECRETS, capacity=50)
    log = _churn(env, db, rng, [f"{SECRETS}ns/s{i}" for i in range(15)], writes=200)
    env.run(until=250)
    raw = log.drain()                                  # every event, from etcd directly
    exists, expected_all = set(), []                   # brute force: replay the log
    for e in raw:
        if e.type == "DELETE":
            kind = "DELETED"
            exists.discard(e.kv.key)
        else:
            kind = "MODIFIED" if e.kv.key in exists else "ADDED"
            exists.add(e.kv.key)
        expected_all.append((kind, e.kv.key, e.revision))
    for since in (raw[-50].revision - 1, raw[-20].revision, raw[-1].revision):
        w = cache.watch(since, timeout_s=60)
        got = [(e.type, e.key, e.resource_version) for e in w.drain()]
        assert got == [x for x in expected_all if x[2] > since]


def test_a_resume_older_than_the_buffer_is_410():
    env = simpy.Environment()
    db = Store(env)
    cache = WatchCache(env, db, SECRETS, capacity=10)
    for i in range(30):
        db.put(f"{SECRETS}ns/s{i}", 100)               # revisions 2 … 31
    env.run(until=1)
    cache.watch(21, timeout_s=60)                      # 22 … 31 are buffered: fine
    with pytest.raises(TooOldResourceVersion):
        cache.watch(20, timeout_s=60)                  # 21 has left the buffer


def test_a_selective_watcher_receives_only_what_passes_its_selector():
    env = simpy.Environment()
    db = Store(env)
    cache = WatchCache(env, db, "/registry/pods/", capacity=100)
    mine = cache.watch(None, selector=lambda k, node: node == "node-1", timeout_s=600)
    for i in range(20):
        db.put(f"/registry/pods/p{i}", 100, value=f"node-{i % 4}")
    db.put("/registry/pods/p2", 100, value="node-1")          # moved onto node-1: ADDED
    db.put("/registry/pods/p1", 100, value="node-3")          # moved away: DELETED
    env.run(until=1)
    got = [(e.type, e.key) for e in mine.drain()]
    assert got == [("ADDED", f"/registry/pods/p{i}") for i in (1, 5, 9, 13, 17)] + [
        ("ADDED", "/registry/pods/p2"), ("DELETED", "/registry/pods/p1")]


def test_bookmarks_go_only_to_watchers_that_asked_two_seconds_before_the_timeout():
    env = simpy.Environment()
    db = Store(env)
    cache = WatchCache(env, db, SECRETS)
    asked = cache.watch(None, allow_watch_bookmarks=True, timeout_s=300)
    plain = cache.watch(None, timeout_s=300)
    seen = []

    def read(w, name):
        while (e := (yield w.get())) is not None:
            seen.append((name, e.type, env.now))
    env.process(read(asked, "asked"))
    env.process(read(plain, "plain"))
    env.run(until=400)
    assert seen == [("asked", "BOOKMARK", 298)]


def test_the_dynamic_watch_cache_grows_to_hold_75_s_of_history_within_its_bounds():
    env = simpy.Environment()
    db = Store(env)
    cache = WatchCache(env, db, SECRETS, dynamic=True)

    def writer(rate):
        while True:
            yield env.timeout(1 / rate)
            db.put(f"{SECRETS}ns/s", 100)
    env.process(writer(20))                            # 20 events/s: 75 s is 1,500 events
    env.run(until=300)
    events = cache.events()
    span = events[-1].resource_version - events[0].resource_version
    assert 100 <= cache.capacity <= 102_400 and span >= 75 * 20 - 1
    assert cache.capacity == 1600                      # 100 doubled until ≥ 1,500


# --- clients ----------------------------------------------------------------------------------

def _churned_reflectors(bookmarks, *, reflectors=50, objects=100, events_per_s=1.0,
                        capacity=100, warm_s=600, horizon_s=7200, seed=1):
    """``reflectors`` reflectors each watching one of ``objects`` secrets (selectivity
    1/objects), while Poisson writes hit random secrets; counted after a warm-up."""
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db)
    keys = [f"{SECRETS}default/s{i:03d}" for i in range(objects)]
    for key in keys:
        db.put(key, 1000)
    api.add_watch_cache(SECRETS, capacity=capacity)
    rng = np.random.default_rng(seed)

    def writer():
        while True:
            yield env.timeout(rng.exponential(1 / events_per_s))
            yield api.update(keys[rng.integers(objects)], 1000)
    env.process(writer())
    refl = [Reflector(env, api, SECRETS, selector=lambda k, v, key=keys[i]: k == key,
                      allow_watch_bookmarks=bookmarks, seed=seed * 1000 + i)
            for i in range(reflectors)]
    counters = ("too_old", "watch_restarts", "init_events_processed", "bookmarks_received")
    env.run(until=warm_s)
    api.reset_load()
    before = {c: sum(getattr(r, c) for r in refl) for c in counters}
    env.run(until=warm_s + horizon_s)
    counts = {c: sum(getattr(r, c) for r in refl) - before[c] for c in counters}
    return api.load(), counts


# Watches last uniform(300, 600) s: mean 450 s, coefficient of variation (300/√12)/450. Over
# a horizon h, w reflectors end about w·h/450 watches, a renewal count whose variance is
# about w·h·cv²/450.
_CV2 = (300 / math.sqrt(12) / 450) ** 2


def test_reflector_load_matches_the_simulation_without_bookmarks():
    """50 reflectors, one secret of 100 each, 1 write/s, a 100-event cache, 2 h counted.

    Each tolerance is three standard deviations of the measured count: resumes are a
    renewal count; 410s among them are binomial (p = 0.99**101 = 0.36); matched events are
    Poisson (mean 50 × 0.01 × 1/s × 7200 s = 3,600).
    """
    load, n = _churned_reflectors(False)
    s, c, w, h = 0.01, 100, 50, 7200
    cf = reflector_load(w, 1.0, s, object_bytes=1000, watch_cache_capacity=c)
    p = relist_probability(s, c)
    var_ends = w * h * _CV2 / 450                     # watches ending in the window
    attempts = n["too_old"] + n["watch_restarts"]      # each ended watch is resumed once
    assert abs(attempts - w * h / 450) <= 3 * math.sqrt(var_ends)
    sd_list = math.sqrt(attempts * p * (1 - p) + p**2 * var_ends) / h
    sd_watch = math.sqrt(attempts * p * (1 - p) + (1 + p) ** 2 * var_ends) / h
    measured = load.requests_per_s_by_verb
    assert abs(measured["LIST"] - cf.requests_per_s_by_verb["LIST"]) <= 3 * sd_list
    assert abs(measured["WATCH"] - cf.requests_per_s_by_verb["WATCH"]) <= 3 * sd_watch
    assert abs(load.watch_events_per_s - cf.watch_events_per_s) <= 3 * math.sqrt(3600) / h
    assert load.watches_open == pytest.approx(cf.watches_open, rel=1e-3)   # relists: 5 ms
    # init work per resume: a mean over ~800 resumes of counts with sd ~35: within 10 %
    assert n["init_events_processed"] / attempts == pytest.approx(
        init_events_processed_per_resume(s, c), rel=0.1)


def test_reflector_load_matches_the_simulation_with_bookmarks():
    """As above with bookmarks: no 410s; one bookmark per watch (a renewal count, 3 sd);
    init work per resume within 10 % (a mean over ~800 resumes of counts with sd ~1.4)."""
    load, n = _churned_reflectors(True)
    s, w, h = 0.01, 50, 7200
    cf = reflector_load(w, 1.0, s, object_bytes=1000, allow_watch_bookmarks=True)
    sd_ends = math.sqrt(w * h * _CV2 / 450)
    assert n["too_old"] == 0 and cf.requests_per_s_by_verb["LIST"] < 1e-12
    assert abs(n["bookmarks_received"] - w * h / 450) <= 3 * sd_ends
    assert abs(load.requests_per_s_by_verb["WATCH"]
               - cf.requests_per_s_by_verb["WATCH"]) <= 3 * sd_ends / h
    assert abs(load.watch_events_per_s - cf.watch_events_per_s) <= 3 * (math.sqrt(3600)
                                                                         + sd_ends) / h
    assert abs(load.watch_bytes_per_s - cf.watch_bytes_per_s) <= 3 * (
        math.sqrt(3600) * 1000 + sd_ends * BOOKMARK_BYTES) / h
    assert n["init_events_processed"] / n["watch_restarts"] == pytest.approx(
        init_events_processed_with_bookmarks(1.0, s), rel=0.1)


def test_a_bookmark_advances_the_reflectors_version_so_its_restart_is_not_410():
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db)
    db.put(f"{SECRETS}ns/mine", 100)
    api.add_watch_cache(SECRETS, capacity=10)

    def churn():                                       # another secret changes every second
        while True:
            yield env.timeout(1)
            db.put(f"{SECRETS}ns/other", 100)
    env.process(churn())
    r = Reflector(env, api, SECRETS, selector=lambda k, v: k.endswith("/mine"),
                  allow_watch_bookmarks=True)
    env.run(until=1)
    listed = r.last_sync_resource_version
    env.run(until=3600)
    # each watch lasts 300–600 s, i.e. 300+ events of the other secret, far beyond the 10
    # the cache holds: only the bookmark's resourceVersion lets the watch resume
    assert r.bookmarks_received == r.watch_restarts > 0
    assert r.last_sync_resource_version > listed + 290 and r.too_old == 0 and r.lists == 1


def test_without_bookmarks_a_selective_reflector_relists_at_every_restart():
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db)
    db.put(f"{SECRETS}ns/mine", 100)
    api.add_watch_cache(SECRETS, capacity=10)

    def churn():
        while True:
            yield env.timeout(1)
            db.put(f"{SECRETS}ns/other", 100)
    env.process(churn())
    r = Reflector(env, api, SECRETS, selector=lambda k, v: k.endswith("/mine"))
    env.run(until=3600)
    assert r.watch_restarts == 0 and r.too_old == r.relists > 0


def test_a_reflectors_store_matches_etcd_after_churn():
    env = simpy.Environment()
    db = Store(env)
    api = ApiServer(env, db)
    rng = np.random.default_rng(3)
    api.add_watch_cache(SECRETS, capacity=10)
    keys = [f"{SECRETS}ns/s{i}" for i in range(30)]
    _churn(env, db, rng, keys, writes=5000)

    def mine(key, value):
        return int(key.rsplit("s", 1)[1]) % 10 == 0
    r = Reflector(env, api, SECRETS, selector=mine)
    env.run(until=5100)
    wanted = {kv.key: kv.value for kv in db.range(SECRETS) if mine(kv.key, kv.value)}
    assert r.items == wanted and r.relists > 0        # it relisted, and still agrees


def test_polling_load_matches_the_ttl_cache_simulation():
    """Tolerance: at most one GET per object more or fewer at the end of the horizon."""
    env, db, api = _server()
    clients, objects, horizon = 20, 5, 3600
    rng = np.random.default_rng(5)
    for c in range(clients):
        keys = [f"{SECRETS}ns/c{c}-s{j}" for j in range(objects)]
        for key in keys:
            db.put(key, 1000)
        CacheBasedManager(env, api, keys, ttl_s=60, access_period_s=7,
                          phase_s=float(rng.uniform(0, 7)))
    env.run(until=horizon)
    measured = api.load().requests_per_s_by_verb["GET"]
    predicted = polling_load(clients, objects, 60, access_period_s=7).requests_per_s_by_verb["GET"]
    assert predicted == pytest.approx(clients * objects / 63)     # refreshed every 9 × 7 s
    assert abs(measured - predicted) <= clients * objects / horizon


# --- every public class's doctest ----------------------------------------------------------------

@pytest.mark.parametrize("module", ["load", "channel", "store", "watch_cache", "apiserver",
                                    "http2", "clients"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(f"kscale_lab.control_plane.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_chapter_2_etcd_doctest_still_runs():
    import kscale_lab.etcd

    result = doctest.testmod(kscale_lab.etcd)
    assert result.attempted > 0 and result.failed == 0
