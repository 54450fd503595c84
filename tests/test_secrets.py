"""Chapter 3: the kubelet's secret managers event by event, their closed forms, and the model.

Every closed form is checked against something computed another way: the TTL controller
against the facts file's table, Erlang's B formula against its textbook recursion and a
simulated in-flight pool, the renewal function against renewal theory, and the cluster-scale
model against the SimPy kubelets (:func:`kscale_lab.secrets.simulate`) where both run. Each
tolerance is stated in the test before the comparison.
"""

from __future__ import annotations

import doctest
import importlib
import math
from functools import cache

import numpy as np
import pytest
import simpy

from kscale_lab.control_plane import ApiServer, Store, TooManyRequests
from kscale_lab.control_plane.http2 import GoClient
from kscale_lab.control_plane.inflight import busy_seats, erlang_b
from kscale_lab.secrets import (
    HEARTBEAT_PERIOD_S,
    SecretsDimensions,
    SecretsModel,
    cache_strategy,
    heartbeat_timeline,
    secrets_at,
    simulate,
    ttl_controller_ttl_s,
)
from kscale_lab.secrets.connection import MEAN_WATCH_S, poisson_cdf, renewal_function
from kscale_lab.secrets.kubelet import SIMULATE_MAX_OBJECTS, object_keys

MODEL = SecretsModel()


def one_object_per_pod(pods: int, client: str = "go1.10", **more) -> SecretsDimensions:
    """A kubelet watching exactly ``pods`` objects."""
    return SecretsDimensions(pods_per_node=pods, objects_per_pod=1, shared_share=0.0,
                             go_client=client, **more)


@cache
def watched(pods: int, client: str, seed: int):
    return simulate(one_object_per_pod(pods, client), "improved", nodes=1, seed=seed)


def timeline(pods: int, client: str = "go1.10"):
    d = one_object_per_pod(pods, client)
    return heartbeat_timeline(d.unique_objects_per_node, d.http2_max_streams_per_connection,
                              d.client, period_s=HEARTBEAT_PERIOD_S,
                              grace_period_s=d.grace_period_s)


# --- dimensions ------------------------------------------------------------------------------

@pytest.mark.parametrize("nodes, ttl", [(1, 0), (100, 0), (101, 15), (500, 15), (501, 30),
                                        (1000, 30), (1001, 60), (2000, 60), (2001, 300),
                                        (15000, 300)])
def test_ttl_controller_follows_the_facts_table(nodes, ttl):
    assert ttl_controller_ttl_s(nodes) == ttl
    assert SecretsDimensions(nodes=nodes).ttl_s == ttl                     # the controller's
    off = SecretsDimensions(nodes=nodes, ttl_controller=False, cache_ttl_s=45)
    assert off.ttl_s == 45                                                 # set by hand


@pytest.mark.parametrize("nodes", [50, 101, 5000])
def test_with_the_ttl_controller_off_a_ttl_of_0_is_the_get_strategy_at_any_size(nodes):
    """By hand: every read fetches, so each kubelet GETs every reference of every pod at
    every sync — nodes × pods × objects per pod ÷ sync period — with a pool big enough that
    nothing is refused (40 pods × 2 objects ÷ 60 s × 1 ms per GET: well under 1 seat/node)."""
    d = SecretsDimensions(nodes=nodes, pods_per_node=40, objects_per_pod=2, shared_share=0.5,
                          get_latency_ms=1.0, max_requests_inflight=4000,
                          ttl_controller=False, cache_ttl_s=0)
    assert d.ttl_s == 0 and d.strategy == "Get"
    out = MODEL.naive(d)
    assert out.effective_ttl_s == 0 and out.rejected_per_s == 0
    assert out.get_requests_per_s == pytest.approx(nodes * 40 * 2 / 60)


def test_a_hand_set_ttl_with_the_ttl_controller_on_is_refused_naming_both():
    with pytest.raises(ValueError, match="cache_ttl_s is used only with ttl_controller off") \
            as err:
        SecretsDimensions(cache_ttl_s=120)
    assert set(err.value.fields) == {"cache_ttl_s", "ttl_controller"}


@pytest.mark.parametrize("pods, objects, share", [(110, 4, 0.25), (30, 3, 0.5), (1, 5, 1.0),
                                                  (0, 4, 0.25), (7, 0, 0.3), (12, 10, 0.05)])
def test_unique_objects_are_the_distinct_keys_the_pods_reference(pods, objects, share):
    d = SecretsDimensions(pods_per_node=pods, objects_per_pod=objects, shared_share=share)
    keys = object_keys(d, node=3)
    assert all(len(pod) == objects for pod in keys)
    assert len({k for pod in keys for k in pod}) == d.unique_objects_per_node


# --- the in-flight pool ---------------------------------------------------------------------

@pytest.mark.parametrize("offered, seats", [(0.5, 1), (2.0, 2), (5.5, 3), (30.0, 40),
                                            (450.0, 400), (1000.0, 400)])
def test_erlang_b_equals_the_textbook_recursion(offered, seats):
    b = 1.0
    for k in range(1, seats + 1):
        b = offered * b / (k + offered * b)
    assert erlang_b(offered, seats) == pytest.approx(b, rel=1e-9)


def test_erlang_b_equals_the_formula_with_factorials():
    a, c = 3.0, 4
    expected = (a**c / math.factorial(c)) / sum(a**k / math.factorial(k) for k in range(c + 1))
    assert erlang_b(a, c) == pytest.approx(expected, rel=1e-12)


def test_erlang_b_predicts_a_simulated_in_flight_pool():
    """Poisson GETs into the control plane's read-only pool (3 seats, 0.5 s each, 6/s:
    3 erlangs). Tolerance: the refused share within 0.02 of Erlang B (20,000 arrivals)."""
    env = simpy.Environment()
    db = Store(env)
    db.put("/registry/secrets/ns/s", 100)
    api = ApiServer(env, db, max_requests_inflight=3, get_s=0.5, compaction_interval_s=0)
    rng = np.random.default_rng(11)
    counts = [0, 0]

    def reads():
        while counts[0] < 20_000:
            yield env.timeout(rng.exponential(1 / 6))
            counts[0] += 1
            try:
                api.request("GET", "/registry/secrets/ns/s")
            except TooManyRequests:
                counts[1] += 1
            assert api.readonly.count <= 3
    env.process(reads())
    env.run()
    assert counts[1] / counts[0] == pytest.approx(erlang_b(3.0, 3), abs=0.02)
    assert busy_seats(3.0, 3) == pytest.approx(3.0 * (1 - erlang_b(3.0, 3)))


# --- polling: closed form against the SimPy kubelets ----------------------------------------

POLLING = [dict(ttl_controller=False, cache_ttl_s=60),
           dict(ttl_controller=False, cache_ttl_s=15),
           dict(ttl_controller=False, cache_ttl_s=300),
           dict(nodes=50),                       # the TTL controller's 0 s
           dict(nodes=5000, ttl_controller=False, cache_ttl_s=0)]      # Get, above 100 nodes


def _closed(d: SecretsDimensions, nodes: int):
    return cache_strategy(nodes, d.pods_per_node, d.own_per_pod, d.shared_objects,
                          ttl_s=d.ttl_s, sync_period_s=d.sync_period_s,
                          get_s=d.get_latency_s, seats=d.max_requests_inflight,
                          other_reads_per_s=d.other_reads_per_s)


@pytest.mark.parametrize("changes", POLLING, ids=lambda c: str(c))
def test_polling_gets_agree_with_the_simulated_kubelets(changes):
    """Tolerance, stated first: every object is fetched once more or less than the steady
    rate over the run (its first fetch comes at the first sync), plus 1 % for the shared
    objects, whose refresh the closed form averages over where the pods' syncs fall."""
    d = SecretsDimensions(pods_per_node=30, **changes)
    nodes, horizon = 10, 1800.0
    sim = simulate(d, "naive", nodes=nodes, horizon_s=horizon)
    predicted = _closed(d, nodes).get_requests_per_s
    objects = nodes * d.unique_objects_per_node
    assert abs(sim.load.requests_per_s_by_verb["GET"] - predicted) <= \
        objects / horizon + 0.01 * predicted


def test_polling_refusals_agree_with_erlang_b_and_the_retries():
    """A small pool (4 seats, 100 ms GETs) and other readers at 20/s: the share of reads
    refused, measured, within 0.03 of the closed form's fixed point (stated first)."""
    d = SecretsDimensions(pods_per_node=30, ttl_controller=False, cache_ttl_s=60,
                          get_latency_ms=100.0,
                          max_requests_inflight=4, other_reads_per_s=20.0)
    sim = simulate(d, "naive", nodes=40, horizon_s=1200)
    measured = sim.other_rejected / sim.other_reads        # every reader sees the same share
    assert measured == pytest.approx(_closed(d, 40).refused_share, abs=0.03)
    assert sim.readonly_peak_seats <= d.max_requests_inflight


def test_polling_staleness_agrees_with_the_renewal_residual():
    """Changes at random moments; their mean delay until the kubelet fetched them, against
    the closed form: within three standard errors of the sample mean (stated first)."""
    d = SecretsDimensions(pods_per_node=30, ttl_controller=False, cache_ttl_s=60)
    sim = simulate(d, "naive", nodes=10, horizon_s=3600, changes_per_s=0.5,
                   changes_until_s=3000, seed=3)
    delays = sim.delays_s
    assert not np.isnan(delays).any()
    se = delays.std() / math.sqrt(len(delays))
    assert abs(delays.mean() - _closed(d, 10).staleness_s) <= 3 * se


def test_staleness_of_a_pods_own_object_is_half_its_refresh_interval():
    """By hand: TTL 60 s, reads every 60 s, answers after 10 ms: fetched every 120 s, so a
    change waits 60 s on average, plus the answer's 10 ms."""
    poll = cache_strategy(1, 1, 1, 0, ttl_s=60, sync_period_s=60, get_s=0.01, seats=400)
    assert poll.get_requests_per_s == pytest.approx(1 / 120)
    assert poll.staleness_s == pytest.approx(60.01)


# --- the connection: closed form against the SimPy kubelet ----------------------------------

def test_renewal_function_follows_renewal_theory():
    """Watches last U(300, 600) s: no renewal before 300 s, (t − 300)/300 of one by t ≤ 600,
    and m(t) → t/μ + (σ² − μ²)/(2μ²) (μ = 450 s, σ² = 300²/12) long after."""
    m = renewal_function(7200.0)
    assert m[299] == 0 and m[450] == pytest.approx(0.5, abs=0.01)
    mu, var = 450.0, 300.0**2 / 12
    assert m[6000] == pytest.approx(6000 / mu + (var - mu**2) / (2 * mu**2), abs=0.01)


@pytest.mark.parametrize("k, mean", [(0, 0.7), (5, 3.2), (40, 55.0), (300, 280.0)])
def test_poisson_cdf_equals_direct_summation(k, mean):
    direct = sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(k + 1))
    assert poisson_cdf(k, np.array([mean]))[0] == pytest.approx(direct, rel=1e-9)


def test_the_first_blocked_heartbeat_waits_for_an_order_statistic():
    """By hand: 300 watches on 250 streams; the heartbeat waits behind 50 reflectors, so it
    is answered at the 51st of 250 watch ends, uniform on 300–600 s: 300 + 300 × 51/251.
    Tolerance 1 %."""
    assert timeline(300).answered_s[0] == pytest.approx(300 + 300 * 51 / 251, rel=0.01)


@pytest.mark.parametrize("pods", [260, 331])
def test_blocked_heartbeats_agree_with_the_simulated_kubelet(pods):
    """Four seeds of the SimPy kubelet against the closed form. Tolerances, stated first:
    the first answer within 3 %, the time NotReady within 5 %, the marks within 2 and the
    heartbeats answered within 5 %."""
    tl = timeline(pods)
    first, notready, marks, answered = [], [], [], []
    for seed in range(4):
        beats = watched(pods, "go1.10", seed).heartbeats[0]
        gaps = np.diff(np.concatenate([[0.0], beats, [3600.0]]))
        first.append(beats[0])
        notready.append(np.clip(gaps - 40, 0, None).sum())
        marks.append((gaps > 40).sum())
        answered.append(len(beats))
    assert np.mean(first) == pytest.approx(tl.answered_s[0], rel=0.03)
    assert np.mean(notready) == pytest.approx(tl.notready_s, rel=0.05)
    assert abs(np.mean(marks) - tl.notready_marks) <= 2
    assert np.mean(answered) == pytest.approx(len(tl.answered_s), rel=0.05)


@pytest.mark.parametrize("pods", [260, 331])
def test_propagation_delay_agrees_with_the_simulated_watch_gaps(pods):
    """The mean delay of a change at a random moment, from when each simulated reflector had
    no watch open, against the closed form: within 5 % (stated first)."""
    measured = np.mean([watched(pods, "go1.10", s).unwatched_delay_s for s in range(4)])
    assert measured == pytest.approx(timeline(pods).propagation_delay_s, rel=0.05)


def test_with_a_stream_for_every_watch_a_change_arrives_at_once():
    """Nothing waits for a stream (Go 1.12, or fewer watches than streams): the closed form
    says exactly 0 s. The SimPy kubelet, which counts the 2 ms each resumed watch takes to
    start, measures (2 ms)² / 2 per restart, about 4e-9 s on average: under a microsecond."""
    assert MODEL.improved(SecretsDimensions()).propagation_delay_s == 0.0
    assert MODEL.improved(one_object_per_pod(249)).propagation_delay_s == 0.0
    for sim in (watched(331, "go1.12", 0), watched(249, "go1.10", 0)):
        assert 0 <= sim.unwatched_delay_s < 1e-6


def test_a_change_reaches_a_blocked_kubelet_when_its_watch_opens_again():
    """Real changes: with Go 1.10–1.11 some wait (their reflector is queued), and their mean
    matches the exact mean from the watch gaps within three standard errors."""
    sim = simulate(one_object_per_pod(300), "improved", nodes=1, changes_per_s=0.05,
                   changes_until_s=3300, seed=2)
    delays = sim.delays_s
    assert not np.isnan(delays).any() and (delays > 1).any() and (delays == 0).any()
    se = delays.std() / math.sqrt(len(delays))
    assert abs(delays.mean() - sim.unwatched_delay_s) <= 3 * se


@pytest.mark.parametrize("client", ["go1.12", "go1.9"])
def test_a_client_that_opens_connections_is_never_blocked(client):
    """331 watches, 250 streams per connection, a client that opens another connection: the
    heartbeat is answered every 10 s (+ the 10-ms update), and the kubelet holds
    ceil((331 + 1) / 250) = 2 connections — as the closed form says."""
    sim = watched(331, client, 0)
    gaps = np.diff(sim.heartbeats[0])
    assert gaps.max() == pytest.approx(HEARTBEAT_PERIOD_S + 0.01, abs=1e-6)
    out = MODEL.improved(one_object_per_pod(331, client))
    assert sim.tcp_connections[0] == out.tcp_connections_per_node == 2
    assert out.blocked_nodes == out.notready_nodes == 0


def test_one_stream_short_of_the_limit_nothing_waits():
    """249 watches on 250 streams with Go 1.10–1.11: one stream stays free for the heartbeat."""
    sim = watched(249, "go1.10", 0)
    assert np.diff(sim.heartbeats[0]).max() < HEARTBEAT_PERIOD_S + 0.1
    out = MODEL.improved(one_object_per_pod(249))
    assert (out.blocked_nodes, out.notready_marks_per_node) == (0, 0)


def test_at_the_limit_every_node_is_blocked():
    out = MODEL.improved(one_object_per_pod(250).replace(nodes=1000))
    assert out.blocked_nodes == 1000 and out.notready_nodes > 0


# --- the model ------------------------------------------------------------------------------

def test_the_polling_load_is_its_gets_and_their_refusals():
    d = SecretsDimensions(nodes=2000, get_latency_ms=80.0)
    out = MODEL.naive(d)
    assert out.load.requests_per_s_by_verb["GET"] == out.get_requests_per_s
    assert out.load.rejected_per_s == pytest.approx(out.get_requests_per_s
                                                    * out.polling.refused_share)
    assert out.load.watches_open == 0 and out.load.etcd_write_bytes_per_s == 0


def test_watches_open_are_one_per_object_per_node_unless_streams_cap_them():
    d = SecretsDimensions(nodes=3000)
    assert MODEL.improved(d).watches_open == 3000 * d.unique_objects_per_node
    blocked = d.replace(go_client="go1.10")
    assert MODEL.improved(blocked).watches_open == 3000 * d.http2_max_streams_per_connection


def test_watch_resumes_agree_with_the_simulated_kubelet():
    """331 reflectors for an hour, all started together: by renewal theory each resumed
    t/μ + (σ² − μ²)/(2μ²) times (μ = 450 s, σ² = 300²/12) — fewer than the steady rate
    t/μ, which is what the model's load gives. Tolerance: within 3 % (stated first)."""
    sim = watched(331, "go1.12", 0)
    resumes = sim.load.requests_per_s_by_verb["WATCH"] * 3600 - 331     # minus the first
    mu, var = 450.0, 300.0**2 / 12
    assert resumes == pytest.approx(331 * (3600 / mu + (var - mu**2) / (2 * mu**2)), rel=0.03)
    steady = MODEL.improved(one_object_per_pod(331, "go1.12", nodes=1)).load
    assert steady.requests_per_s_by_verb["WATCH"] == pytest.approx(331 / mu)


@pytest.mark.parametrize("client", ["go1.9", "go1.10", "go1.12"])
def test_polling_never_blocks_a_node_whatever_the_go_client(client):
    out = MODEL.naive(SecretsDimensions(pods_per_node=500, objects_per_pod=50, go_client=client))
    assert (out.blocked_nodes, out.notready_nodes, out.max_streams_per_connection) == (0, 0, 0)


def test_a_longer_ttl_means_fewer_gets_and_staler_secrets():
    runs = [MODEL.naive(SecretsDimensions(ttl_controller=False, cache_ttl_s=ttl))
            for ttl in (15, 60, 300, 900)]
    gets = [o.get_requests_per_s for o in runs]
    stale = [o.propagation_delay_s for o in runs]
    assert gets == sorted(gets, reverse=True) and stale == sorted(stale)


def test_full_scale_runs_at_the_talks_size():
    c = MODEL.compare(SecretsDimensions(nodes=5000, pods_per_node=110, go_client="go1.10"))
    assert c.improved.blocked_nodes == 5000 and c.naive.get_requests_per_s > 0


def test_simulate_refuses_more_objects_than_it_can_run():
    d = SecretsDimensions()
    nodes = SIMULATE_MAX_OBJECTS // d.unique_objects_per_node + 1
    with pytest.raises(ValueError, match=r"nodes × unique objects per node must be at most"):
        simulate(d, "naive", nodes=nodes)


# --- releases -------------------------------------------------------------------------------

@pytest.mark.parametrize("version, strategy, client", [
    ("1.11.9", "Cache", "go1.12"), ("1.12.0", "Watch", "go1.10"), ("1.12.6", "Watch", "go1.10"),
    ("1.12.7", "Cache", "go1.12"), ("1.13.4", "Watch", "go1.10"), ("v1.13.5", "Cache", "go1.12"),
    ("1.14.1", "Cache", "go1.12"), ("1.14.2", "Watch", "go1.12"), ("1.15", "Watch", "go1.12")])
def test_secrets_at_follows_the_talks_release_table(version, strategy, client):
    r = secrets_at(SecretsDimensions(), version)
    assert (r.strategy, r.dims.go_client) == (strategy, client)
    assert r.side == ("improved" if strategy == "Watch" else "naive")


def test_secrets_at_refuses_what_is_not_a_version():
    with pytest.raises(ValueError, match="version must look like"):
        secrets_at(SecretsDimensions(), "latest")


@pytest.mark.parametrize("module", ["kscale_lab.secrets.dimensions", "kscale_lab.secrets.releases",
                                    "kscale_lab.control_plane.inflight"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_mean_watch_lifetime_is_the_reflectors():
    assert MEAN_WATCH_S == 450.0
    assert GoClient.GO_1_10_11.blocks_when_full


@pytest.mark.parametrize("bad", [dict(nodes=-1), dict(sync_period_s=0.0), dict(get_s=-0.01),
                                 dict(seats=0), dict(ttl_s=float("nan"))])
def test_the_polling_closed_form_refuses_bad_input_naming_it(bad):
    args = dict(nodes=10, pods=5, own_per_pod=2, shared=1, ttl_s=60.0, sync_period_s=60.0,
                get_s=0.01, seats=400)
    args.update(bad)
    name = next(iter(bad))
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        cache_strategy(args.pop("nodes"), args.pop("pods"), args.pop("own_per_pod"),
                       args.pop("shared"), **args)
