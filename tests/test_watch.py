"""Chapter 7: watch restarts, 410s and bookmarks — one invariant per test, checked against
independent computations (hand formulas, brute-force sampling, the SimPy run)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from kscale_lab.control_plane import Store, WatchCache, reflector_load
from kscale_lab.dimensions import DimensionConflict
from kscale_lab.real.compaction import compacted_watch
from kscale_lab.watch import (
    TOY,
    WatchDimensions,
    WatchModel,
    bookmark_factor,
    bookmark_resume,
    dynamic_capacity,
    pods_cache_capacity,
    simulate,
    watch_at,
)

MODEL = WatchModel()


def _sample_bookmark_resume(lam, s, c, lead_s=2.0, n=400_000, seed=3):
    """Brute force: Poisson events in the last ``lead_s`` s, each matching with probability
    ``s``; the events to replay are the unmatched ones after the last match."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(lam * lead_s, n)
    trailing = np.empty(n, dtype=np.int64)
    for i, k in enumerate(counts):
        hits = np.flatnonzero(rng.random(k) < s)
        trailing[i] = k - 1 - hits[-1] if hits.size else k
    refused = trailing > c
    return refused.mean(), np.where(refused, 0, trailing).mean(), math.sqrt(
        refused.mean() * (1 - refused.mean()) / n)


# --- the closed forms --------------------------------------------------------------------------

def test_restarts_per_second_are_watchers_over_the_mean_timeout():
    d = WatchDimensions(watchers=3000, min_watch_timeout_s=300)
    assert MODEL.naive(d).restarts_per_s == pytest.approx(3000 / 450)   # 5–10 min: mean 450 s


def test_a_wider_timeout_range_restarts_once_per_its_mean():
    d = WatchDimensions(watchers=3000, min_watch_timeout_s=300, max_watch_timeout_s=900)
    assert MODEL.naive(d).restarts_per_s == pytest.approx(3000 / 600)   # 5–15 min: mean 600 s


def test_a_max_timeout_below_the_min_is_refused_naming_both_values():
    with pytest.raises(DimensionConflict) as err:
        WatchDimensions(min_watch_timeout_s=600, max_watch_timeout_s=300)
    message = str(err.value)
    assert "min_watch_timeout_s" in message and "max_watch_timeout_s" in message
    assert "600 s" in message and "300 s" in message
    assert set(err.value.fields) == {"min_watch_timeout_s", "max_watch_timeout_s"}


def test_the_reflector_draws_its_timeouts_from_the_range_it_is_given():
    """One reflector, no objects, 10 h: its watches end once per mean timeout. Uniform
    60–300 s: mean 180 s, so 200 watches; tolerance 4 sd of a renewal count (coefficient
    of variation (240/√12)/180). client-go's 2 × min rule would give 400."""
    from kscale_lab.control_plane import ApiServer, Reflector

    env = simpy.Environment()
    api = ApiServer(env, Store(env))
    r = Reflector(env, api, "/registry/pods/", min_watch_timeout_s=60,
                  max_watch_timeout_s=300, seed=3)
    env.run(until=36_000)
    expected, cv = 36_000 / 180, (240 / math.sqrt(12)) / 180
    assert abs(r.watch_restarts - expected) <= 4 * cv * math.sqrt(expected)


def test_bookmark_resume_with_a_large_buffer_is_the_continuous_time_formula():
    lam, s = 100.0, 1 / 5000
    by_hand = (1 - s) * lam * (1 - math.exp(-s * lam * 2)) / (s * lam)
    p, mean = bookmark_resume(lam, s, 250_000)
    assert p == 0 and mean == pytest.approx(by_hand)


def test_bookmark_resume_with_a_small_buffer_matches_brute_force_sampling():
    """A 30-event buffer at 20 events/s: the 2-s window holds about 40 events, so some
    resumes are refused even with bookmarks. Tolerance: 4 standard errors on the 410 share,
    2 % on the mean (both stated before comparing)."""
    p, mean = bookmark_resume(20.0, 0.01, 30)
    p_bf, mean_bf, se = _sample_bookmark_resume(20.0, 0.01, 30, n=60_000)
    assert abs(p - p_bf) <= 4 * se
    assert mean == pytest.approx(mean_bf, rel=0.02)


def test_the_bookmark_factor_is_about_the_events_between_matches_over_the_last_two_seconds():
    """Where ~40× comes from: with a buffer that never refuses, naive replays ~1/s events and
    bookmarks ~2 s × churn, so the factor is about 1 / (2 s × s × churn) when s × churn × 2 s
    is small. Tolerance 5 %."""
    for nodes, churn in ((5000, 20.0), (2000, 50.0), (5000, 100.0)):
        d = WatchDimensions(watchers=nodes, selectivity=1 / nodes, events_per_s=churn,
                            watch_cache_capacity=pods_cache_capacity(nodes))
        assert bookmark_factor(d) == pytest.approx(nodes / (2 * churn), rel=0.05)


def test_without_opt_in_the_improved_version_is_the_naive_one():
    d = WatchDimensions(bookmarks=False, watch_cache_capacity=100, events_per_s=10.0)
    assert MODEL.improved(d).metrics() == MODEL.naive(d).metrics()


def test_the_naive_load_is_the_control_planes_reflector_load():
    d = WatchDimensions(watch_cache_capacity=2000, events_per_s=50.0)
    cf = reflector_load(d.watchers, d.events_per_s, d.selectivity, object_bytes=d.object_bytes,
                        watch_cache_capacity=d.watch_cache_capacity,
                        min_watch_timeout_s=d.min_watch_timeout_s,
                        max_watch_timeout_s=d.max_watch_timeout_s)
    assert MODEL.naive(d).load == cf


def test_relists_read_every_object_of_the_resource():
    d = WatchDimensions(watch_cache_capacity=100, events_per_s=10.0, objects=12_345)
    out = MODEL.naive(d)
    assert out.relist_objects_per_s == pytest.approx(
        d.watchers / 450 * (1 - d.selectivity) ** 101 * 12_345)


def test_a_buffer_shorter_than_the_bookmark_lead_refuses_even_bookmarked_resumes():
    """100 events at 100 events/s hold 1 s of history; the bookmark is 2 s old, so about 200
    events have passed: the resume fails unless one of the last 101 matched."""
    d = WatchDimensions(watch_cache_capacity=100, events_per_s=100.0)
    assert MODEL.improved(d).too_old_share == pytest.approx((1 - d.selectivity) ** 101,
                                                            rel=1e-6)


def test_a_setting_outside_the_closed_forms_assumption_is_refused_naming_its_fields():
    with pytest.raises(DimensionConflict) as err:
        WatchDimensions(events_per_s=10.0, watch_cache_capacity=20_000)   # 3,000 events/period
    assert set(err.value.fields) == {"events_per_s", "min_watch_timeout_s",
                                     "watch_cache_capacity", "selectivity"}


# --- Kubernetes versions and cache sizes --------------------------------------------------------

def test_the_talk_eras_pods_cache_is_fifty_per_node_at_least_a_thousand():
    assert (pods_cache_capacity(10), pods_cache_capacity(5000)) == (1000, 250_000)


def test_dynamic_capacity_is_what_the_control_planes_dynamic_cache_settles_at():
    env = simpy.Environment()
    db = Store(env)
    cache = WatchCache(env, db, "/registry/pods/", dynamic=True)

    def writer(rate):
        while True:
            yield env.timeout(1 / rate)
            db.put("/registry/pods/default/p", 100)
    env.process(writer(40))
    env.run(until=400)
    assert cache.capacity == dynamic_capacity(40.0) == 3200       # first 100 × 2^k ≥ 3,000


def test_bookmarks_arrive_with_the_1_16_release():
    d = WatchDimensions(watch_cache_capacity=100, events_per_s=10.0)
    assert watch_at(d, "1.15").bookmarks_per_s == 0 < watch_at(d, "1.16").bookmarks_per_s


def test_an_unknown_release_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"kubernetes_version must be one of 1\.14.*'1\.99'"):
        watch_at(WatchDimensions(), "1.99")


# --- two scales that agree: SimPy through the control plane vs the closed form ------------------

#: Small enough for SimPy: 40 kubelets on 50 nodes (selectivity 1/50), 2 events/s, a 60-event
#: buffer (30 s of history) and 2–4 min watches: about 1,600 resume attempts in 2 hours.
AGREE = WatchDimensions(watchers=40, selectivity=0.02, events_per_s=2.0, objects=200,
                        watch_cache_capacity=60, min_watch_timeout_s=120,
                        max_watch_timeout_s=240)


@pytest.fixture(scope="module")
def runs():
    return {side: simulate(AGREE, side, horizon_s=7200, warm_s=600, seed=1)
            for side in ("naive", "improved")}


def test_simpy_410_share_agrees_with_the_closed_form(runs):
    """Tolerance: 4 binomial standard errors over the attempts."""
    sim, cf = runs["naive"], MODEL.naive(AGREE)
    se = math.sqrt(cf.too_old_share * (1 - cf.too_old_share) / sim.attempts)
    assert abs(sim.too_old_share - cf.too_old_share) <= 4 * se


def test_simpy_events_replayed_per_restart_agree_with_the_closed_form(runs):
    """Tolerance 10 % (a watcher's stale version persists across restarts, so the samples are
    correlated and the error is wider than the count suggests)."""
    assert runs["naive"].init_events_per_restart == pytest.approx(
        MODEL.naive(AGREE).init_events_per_restart, rel=0.10)
    assert runs["improved"].init_events_per_restart == pytest.approx(
        MODEL.improved(AGREE).init_events_per_restart, rel=0.10)


def test_simpy_bookmarks_are_one_per_watch_and_no_410(runs):
    """One bookmark per ended watch: 3 standard deviations of a renewal count (uniform
    2–4 min watches: mean 180 s, coefficient of variation (120/√12)/180)."""
    sim, cf = runs["improved"], MODEL.improved(AGREE)
    cv2 = (120 / math.sqrt(12) / 180) ** 2
    expected = cf.bookmarks_per_s * sim.duration_s
    assert abs(sim.bookmarks - expected) <= 3 * math.sqrt(expected * cv2)
    assert sim.too_old == 0


def test_simpy_watch_events_sent_agree_with_the_closed_form(runs):
    """Matched events (Poisson: 4 sd of 5,760 expected) plus bookmarks."""
    sim, cf = runs["naive"], MODEL.naive(AGREE)
    expected = cf.watch_events_sent_per_s * sim.duration_s
    assert abs(sim.events_received - expected) <= 4 * math.sqrt(expected)


def test_the_toy_timeline_shows_a_410_followed_by_a_list():
    sim = simulate(TOY, "naive", horizon_s=600, warm_s=0, record=TOY.watchers)
    followed = [trace[i + 1][1] == "LIST" for trace in sim.traces
                for i, (_, kind, _) in enumerate(trace[:-1]) if kind == "410"]
    assert followed and all(followed)


# --- one layer down -----------------------------------------------------------------------

def test_the_lab_store_refuses_a_watch_from_before_its_compaction_and_replays_from_it():
    out = compacted_watch()
    assert out.refused_compact_revision == out.compacted_to
    assert "required revision has been compacted" in out.refused_error
    assert out.replayed_revisions == [r for r in out.revisions if r >= out.compacted_to]
