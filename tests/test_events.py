"""Chapter 6: the old correlator's stages, the series, the pipeline, and the two scales."""

import math

import pytest
import simpy

from kscale_lab.control_plane import ApiServer, Store
from kscale_lab.control_plane.ttl import TTLApiServer
from kscale_lab.dimensions import DimensionConflict
from kscale_lab.events import (
    WORKLOADS,
    EventCorrelator,
    EventsDimensions,
    EventSeriesCache,
    EventsModel,
    LRUCache,
    TokenBucket,
    get_events,
    improved_counts,
    naive_object,
    simulate,
)
from kscale_lab.events.model import run_counts
from kscale_lab.events.objects import (
    COMBINED_PREFIX,
    ObjectRef,
    Occurrence,
    core_event,
    event_bytes,
    events_v1_event,
    example_occurrence,
)
from kscale_lab.events.simulation import EventBroadcaster, Simulation, object_sizes

MODEL = EventsModel()
SANDBOX, CRASHLOOP = WORKLOADS["sandbox"], WORKLOADS["crashloop"]


def occ(t, *, reason="BackOff", message="Back-off restarting failed container", pod="p1",
        host="node-1"):
    return Occurrence(float(t), "kubelet", host, ObjectRef("Pod", "default", pod), None,
                      "Restarting", reason, "Warning", message)


# --- the old correlator, stage by stage, against hand-worked sequences ------------------------

def test_an_exact_repeat_is_a_post_then_count_patches():
    c = EventCorrelator()
    results = [c.EventCorrelate(occ(10 * i)) for i in range(4)]
    assert [r.verb for r in results] == ["POST", "PATCH", "PATCH", "PATCH"]
    assert [r.count for r in results] == [1, 2, 3, 4]
    assert len({r.name for r in results}) == 1


def test_ten_distinct_messages_within_600_s_are_combined_from_the_tenth():
    c = EventCorrelator()
    results = [c.EventCorrelate(occ(30 * i, message=f"sandbox {i} failed")) for i in range(13)]
    assert [r.verb for r in results] == ["POST"] * 10 + ["PATCH"] * 3
    assert not any(r.event.message.startswith(COMBINED_PREFIX) for r in results[:9])
    assert all(r.event.message.startswith(COMBINED_PREFIX) for r in results[9:])
    assert len({r.name for r in results[9:]}) == 1 and results[-1].count == 4


def test_distinct_messages_spread_wider_than_the_window_are_never_combined():
    c = EventCorrelator()          # 70 s apart: at most 9 fall within 600 s
    results = [c.EventCorrelate(occ(70 * i, message=f"sandbox {i} failed")) for i in range(20)]
    assert all(r.verb == "POST" for r in results)
    assert c.aggregator.combined == 0


def test_the_token_bucket_gives_a_burst_then_one_per_interval():
    b = TokenBucket(burst=25, qps=1 / 300, now_s=0.0)
    assert sum(b.try_accept(0.0) for _ in range(30)) == 25
    assert not b.try_accept(299.0)
    assert b.try_accept(300.5)
    assert not b.try_accept(301.0)


def test_the_spam_filter_is_keyed_by_object_not_by_reason():
    c = EventCorrelator()
    reasons = ["Pulled", "Created", "Started", "BackOff"]
    verbs = [c.EventCorrelate(occ(0, reason=reasons[i % 4], message=reasons[i % 4])).verb
             for i in range(30)]
    assert verbs.count("SKIP") == 5                 # four reasons share one bucket of 25
    other = [c.EventCorrelate(occ(0, pod="p2")).verb for _ in range(25)]
    assert "SKIP" not in other                      # another pod has its own bucket


def test_dropped_patches_still_count_and_the_next_one_carries_the_count():
    c = EventCorrelator()
    results = [c.EventCorrelate(occ(1.0 * i)) for i in range(40)]
    assert [r.skip for r in results] == [False] * 25 + [True] * 15
    late = c.EventCorrelate(occ(400.0))
    assert late.verb == "PATCH" and late.count == 41


def test_an_lru_cache_forgets_the_least_recently_used_entry():
    lru = LRUCache(3)
    for k in "abc":
        lru.add(k, k)
    lru.get("a")
    lru.add("d", "d")
    assert "b" not in lru and all(k in lru for k in "acd") and lru.evictions == 1


def test_a_correlator_whose_caches_are_too_small_forgets_counts_and_buckets():
    c = EventCorrelator(size=2)
    for _ in range(3):            # three pods in turn: each is forgotten before it recurs
        verbs = [c.EventCorrelate(occ(0, pod=f"p{i}")).verb for i in range(3)]
        assert verbs == ["POST"] * 3


# --- the new API's series ---------------------------------------------------------------------

def test_a_series_posts_patches_once_then_only_counts_in_the_cache():
    cache = EventSeriesCache()
    verbs = [cache.record(occ(20 * i, message=f"note {i}"))[0] for i in range(5)]
    assert verbs == ["POST", "PATCH", "CACHE", "CACHE", "CACHE"]
    (entry,) = cache.entries.values()
    assert entry.count == 5 and entry.last_observed_s == 80


def test_isomorphic_means_every_field_but_the_note():
    a, b = occ(0, message="one"), occ(0, message="two")
    assert a.isomorphic_key() == b.isomorphic_key()
    assert a.isomorphic_key() != occ(0, reason="Failed").isomorphic_key()
    assert a.isomorphic_key() != occ(0, host="node-2").isomorphic_key()


def test_a_quiet_series_is_closed_and_a_single_event_forgotten_without_a_patch():
    cache = EventSeriesCache()
    cache.record(occ(0))
    cache.record(occ(10))
    cache.record(occ(0, pod="lonely"))
    assert cache.finish_series(360.0) == []        # 350 s and 360 s quiet: not yet
    closed = cache.finish_series(720.0)
    assert [e.count for e in closed] == [2] and cache.entries == {}
    assert cache.record(occ(800))[0] == "POST"      # after the close, a new object


# --- the pipeline through the control plane ---------------------------------------------------

def test_an_updated_event_lives_a_ttl_after_its_last_write_unlike_the_base_apiserver():
    for cls, alive in ((TTLApiServer, True), (ApiServer, False)):
        env = simpy.Environment()
        db = Store(env)
        api = cls(env, db, compaction_interval_s=0)
        api.request("CREATE", "/registry/events/default/e", 600, ttl_s=100)
        env.run(until=150)
        api.request("PATCH", "/registry/events/default/e", 600, ttl_s=100)
        env.run(until=250)            # past creation + TTL + reuse, before the PATCH's
        assert (db.kv("/registry/events/default/e") is not None) == alive


def test_a_full_broadcaster_queue_drops_events():
    env = simpy.Environment()
    api = TTLApiServer(env, Store(env), max_mutating_requests_inflight=0)
    log = Simulation("naive", 100.0, [], [], 0, api.store, None)
    b = EventBroadcaster(env, api, "kubelet/node-1", "naive",
                         object_sizes(CRASHLOOP, "naive"), log, queue_size=10, sink_delay_s=1.0)
    for i in range(30):                 # 30 new objects before the sink runs, 1 s per write
        b.action(occ(0, pod=f"p{i}"))
    env.run(until=100)
    assert log.queue_dropped == 20                  # the queue holds ten
    assert log.posts == 10


def test_a_slow_sink_fills_the_kubelets_queue_as_its_rates_say():
    """One node, 10 pods/s: its kubelet reports 5 events per pod (50/s), the scheduler 1
    (10/s); a sink at 40 ms per write writes 25/s. The kubelet's 1,000-event queue fills
    after 1000 / (50 - 25) = 40 s; over 600 s it drops 30,000 - 15,000 written - 1,000 still
    queued = 14,000; the scheduler's keeps up (6,000 written)."""
    d = EventsDimensions(nodes=1, hot_objects_per_node=0.0, churn_pods_per_s=10.0,
                         hot_loop_s=60, horizon_s=600)
    sim = simulate(d, "naive", sink_delay_s=0.04)
    drops = [m for m in sim.marks if m.what == "DROP"]
    assert {m.source for m in drops} == {"kubelet/node-0"}
    assert min(m.t_s for m in drops) == pytest.approx(40, abs=1)
    assert sim.queue_dropped == pytest.approx(14_000, rel=0.01)
    assert sim.posts == pytest.approx(15_000 + 6_000, rel=0.005)
    assert simulate(d, "naive").queue_dropped == 0           # the chapter's sink keeps up


def test_event_objects_are_measured_and_a_series_adds_a_little():
    o = example_occurrence(SANDBOX, SANDBOX.kinds[0])
    assert 400 < event_bytes(core_event(o)) < 1500
    assert event_bytes(events_v1_event(o, series_count=2)) > event_bytes(events_v1_event(o))
    assert "series" not in events_v1_event(o, series_count=1)


# --- the closed forms, against hand derivations -----------------------------------------------

def test_naive_closed_form_for_a_fast_crashloop_by_hand():
    """Every second 4 events; 25 tokens go in the first 7 s (k = 0…5 all four, k = 6 the
    first only); the next token comes after 300 s, past 100 occurrences."""
    obj = naive_object(100, CRASHLOOP, 1)
    assert obj.posts[100] == 4 and obj.patches[100] == 21 and obj.skipped[100] == 375
    assert obj.counted[100] == 7 + 3 * 6            # counts as last written


def test_naive_closed_form_combines_from_the_tenth_sandbox_failure():
    obj = naive_object(20, SANDBOX, 20)            # 20 tokens used, none short
    assert (obj.posts[20], obj.patches[20], obj.objects[20], obj.counted[20]) == (10, 10, 10, 20)
    slow = naive_object(12, SANDBOX, 300)          # 300 s apart: never combined, never short
    assert (slow.posts[12], slow.patches[12], slow.skipped[12]) == (12, 0, 0)


def test_improved_closed_form_for_one_object_by_hand():
    import numpy as np

    d = EventsDimensions(nodes=1, hot_objects_per_node=1.0, repeat_period_s=20,
                         hot_loop_s=2400, horizon_s=3600, churn_pods_per_s=0)
    c = improved_counts(d, np.array([5.0]))
    # 120 occurrences (5 … 2385 s); heartbeat at 1800; closed at the check at 2880 s
    assert c["k"][0] == 120 and c["heartbeats"][0] == 1 and c["closed"][0]
    assert c["close_at"][0] == 2880 and c["counted"][0] == 120


def test_churn_is_six_posts_per_pod_in_both_versions():
    d = EventsDimensions(hot_objects_per_node=0.0, churn_pods_per_s=2.5, hot_loop_s=600,
                         horizon_s=600)
    for side in ("naive", "improved"):
        c = run_counts(d, side)
        assert c["posts"] == c["objects"] == 6 * math.ceil(600 * 2.5) and c["patches"] == 0


# --- the two scales agree ---------------------------------------------------------------------

AGREE = [dict(workload=w, repeat_period_s=p, churn_pods_per_s=c, hot_loop_s=loop, horizon_s=h)
         for w in WORKLOADS for (p, c, loop, h) in ((20, 0.5, 2400, 3600), (7, 0.0, 3600, 3600),
                                                    (45, 1.0, 1200, 3000))]


@pytest.mark.parametrize("kw", AGREE, ids=[f"{k['workload']}-{k['repeat_period_s']}s"
                                           for k in AGREE])
@pytest.mark.parametrize("side", ["naive", "improved"])
def test_simpy_and_closed_form_agree(kw, side):
    """Tolerance, stated first: requests, drops, objects, counts and occurrences exactly
    (the same seeded phases drive both)."""
    d = EventsDimensions(nodes=4, hot_objects_per_node=2.0, **kw)
    sim = simulate(d, side)
    c = run_counts(d, side)
    assert (sim.posts, sim.patches, sim.spam_filtered, sim.objects_stored, sim.counted,
            sim.occurrences) == tuple(round(c[k]) for k in (
                "posts", "patches", "skipped", "objects", "counted", "occurrences"))
    assert sim.queue_dropped == 0


@pytest.mark.parametrize("lru", [100, 40])
def test_the_lru_cliff_agrees_in_both_scales(lru):
    """60 ReplicaSets from one controller: caches of 100 keep them, of 40 forget them all."""
    d = EventsDimensions(workload="quota", nodes=30, hot_objects_per_node=2.0,
                         repeat_period_s=20, churn_pods_per_s=0.0)
    sim = simulate(d, "naive", lru_size=lru)
    c = run_counts(d, "naive", lru_size=lru)
    assert (sim.posts, sim.patches, sim.objects_stored) == (
        round(c["posts"]), round(c["patches"]), round(c["objects"]))
    if lru == 40:
        assert sim.patches == 0 and sim.posts == sim.occurrences


def test_the_measured_load_is_the_calls_the_model_predicts():
    d = EventsDimensions(nodes=3, hot_objects_per_node=1.0, churn_pods_per_s=0.5)
    for side in ("naive", "improved"):
        sim = simulate(d, side)
        out = MODEL.run(d, MODEL.version(side))
        got = sim.load.requests_per_s_by_verb
        assert got["CREATE"] + got["PATCH"] == pytest.approx(out.api_calls_per_s, rel=1e-9)


def test_the_timeline_adds_up_to_the_calls():
    c = MODEL.compare()
    for _version, out in c:
        minutes = out.timeline_calls_per_s * 60
        assert minutes.sum() == pytest.approx(out.api_calls_per_s * 3600, rel=1e-9)


# --- what the user sees -----------------------------------------------------------------------

def test_kubectl_rows_one_series_against_separate_and_combined_events():
    d = EventsDimensions(nodes=1, hot_objects_per_node=1.0, repeat_period_s=20,
                         hot_loop_s=1800, churn_pods_per_s=0.0)
    old, new = (get_events(simulate(d, side)) for side in ("naive", "improved"))
    assert len(old) == 10 and sum(r["MESSAGE"].startswith(COMBINED_PREFIX) for r in old) == 1
    assert len(new) == 1 and new[0]["COUNT"] == 90          # closed: every occurrence counted


def test_the_series_count_lags_until_the_heartbeat_or_the_close():
    d = EventsDimensions(nodes=10, hot_objects_per_node=1.0, repeat_period_s=20,
                         hot_loop_s=1200, horizon_s=1200, churn_pods_per_s=0.0)
    share = MODEL.improved(d).occurrences_counted_share
    assert share == pytest.approx(2 / 60, rel=0.05)         # only "2" written so far


# --- dimensions ---------------------------------------------------------------------------------

def test_a_kubelet_that_would_overflow_its_caches_is_refused_naming_the_fields():
    with pytest.raises(DimensionConflict) as err:
        EventsDimensions(nodes=1, churn_pods_per_s=100, repeat_period_s=300)
    assert {"churn_pods_per_s", "repeat_period_s", "nodes"} <= set(err.value.fields)


def test_the_event_by_event_model_refuses_runs_too_big_for_it():
    with pytest.raises(ValueError, match="at most 400,000 occurrences"):
        simulate(EventsDimensions(workload="crashloop", repeat_period_s=1), "naive")


def test_the_chapter_figure_draws_both_versions_against_the_threshold():
    from kscale_lab.events import THRESHOLD_EVENTS

    fig = MODEL.figure()
    ax, bx = fig.axes
    assert len(ax.lines) == 3                        # two versions + the hot loop's end
    assert any(line.get_ydata()[0] == THRESHOLD_EVENTS for line in bx.lines)
    assert len(bx.patches) == 2


@pytest.mark.parametrize("module", ["kscale_lab.events.correlator", "kscale_lab.events.series",
                                    "kscale_lab.control_plane.ttl"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
