"""Chapter 8, API Priority and Fairness: seats, shuffle sharding, fair queues, the closed
forms, and the event-by-event run through the control plane."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import simpy

from kscale_lab.control_plane import ApiServer, Store, TooManyRequests
from kscale_lab.control_plane.flowcontrol import (
    ApfServer,
    PriorityLevel,
    QueueSet,
    deal_hand,
    flow_hash,
    hand_overlap_probability,
    nominal_concurrency_limits,
)
from kscale_lab.priority import (
    PriorityDimensions,
    PriorityModel,
    erlang_b,
    max_min_fair,
    run_probability,
)
from kscale_lab.priority.simulate import simulate

MODEL = PriorityModel()
#: Toy scale, well above the noisy level's capacity under APF (25 seats ÷ 50 ms = 500 req/s):
#: near that knee the closed form's fluid fair shares ignore what the queues absorb.
TOY = PriorityDimensions(nodes=150, noisy_requests_per_s=700, workload_requests_per_s=20,
                         max_requests_inflight=40, max_mutating_requests_inflight=20,
                         horizon_s=150)


def test_default_seats_are_the_ceiling_of_600_times_the_share():
    seats = nominal_concurrency_limits(600)
    assert seats["node-high"] == math.ceil(600 * 40 / 245) == 98
    assert seats["workload-low"] == math.ceil(600 * 100 / 245) == 245
    assert 600 <= sum(seats.values()) < 600 + len(seats)


def test_a_hand_is_distinct_queues_and_the_same_in_every_call():
    h = flow_hash("service-accounts", "system:serviceaccount:a:b")
    hand = deal_hand(h, 128, 6)
    assert len(set(hand)) == 6 and all(0 <= q < 128 for q in hand)
    assert deal_hand(h, 128, 6) == hand


def test_overlap_probability_matches_brute_force_enumeration():
    covered = set(range(5))
    hands = list(itertools.combinations(range(8), 3))
    brute = sum(set(h) <= covered for h in hands) / len(hands)
    assert hand_overlap_probability(8, 3, 5) == pytest.approx(brute)


def test_erlang_b_matches_the_poisson_loss_formula():
    for c, a in [(1, 0.5), (5, 3.0), (20, 32.0), (60, 45.0)]:
        terms = [a**k / math.factorial(k) for k in range(c + 1)]
        assert erlang_b(c, a) == pytest.approx(terms[-1] / sum(terms))


def test_max_min_fair_gives_small_flows_all_they_ask_and_fills_capacity():
    alloc = max_min_fair([500.0, 20.0, 80.0], 300.0)
    assert alloc[1] == 20.0 and alloc[2] == 80.0 and sum(alloc) == pytest.approx(300.0)


def test_run_probability_matches_the_classical_recurrence():
    def no_run(n, m, p):           # a_n = a_{n-1} - (1-p) p^m a_{n-m-1}, a_m = 1 - p^m
        a = [1.0] * m + [1 - p**m]
        for k in range(m + 1, n + 1):
            a.append(a[k - 1] - (1 - p) * p**m * a[k - m - 1])
        return a[n]
    for n, m, p in [(12, 4, 0.4), (360, 4, 0.05), (50, 3, 0.7)]:
        assert run_probability(n, m, p) == pytest.approx(1 - no_run(n, m, p), rel=1e-9)


def test_queueset_never_runs_more_than_its_seats_nor_queues_more_than_its_limit():
    env = simpy.Environment()
    level = PriorityLevel("workload-low", 100, queues=8, hand_size=2, queue_length_limit=5)
    qs = QueueSet(env, level, 3, lambda req: 0.05)
    rng = np.random.default_rng(0)
    seen = []

    def arrivals():
        from kscale_lab.control_plane.flowcontrol import _Request
        for i in range(2000):
            yield env.timeout(rng.exponential(0.005))
            qs.start_request(_Request("GET", "k", 0, None, i % 7, env.now, env.event()))
            seen.append((qs.executing, max(len(q) for q in qs.queues)))

    env.process(arrivals())
    env.run()
    assert max(e for e, _ in seen) <= 3 and max(q for _, q in seen) <= 5
    assert qs.rejected > 0                      # it was overloaded


def test_a_light_flow_beside_a_heavy_one_in_the_same_level_is_never_refused():
    env = simpy.Environment()
    apf = ApfServer(env, ApiServer(env, Store(env), max_requests_inflight=0,
                                   max_mutating_requests_inflight=0, get_s=0.05),
                    server_concurrency=20)
    _ = apf.api.store.put("/registry/configmaps/x", 10)
    refused = {"heavy": 0, "light": 0}
    rng = np.random.default_rng(1)

    def client(name, rate):
        while True:
            yield env.timeout(rng.exponential(1 / rate))
            try:
                apf.request("GET", "/registry/configmaps/x", user=name,
                            groups=("system:serviceaccounts",))
            except TooManyRequests:
                refused[name] += 1

    env.process(client("heavy", 400.0))        # workload-low has 9 seats: 180 req/s
    env.process(client("light", 10.0))
    env.run(until=60)
    assert refused["heavy"] > 1000 and refused["light"] == 0


def test_apf_refuses_an_apiserver_that_still_has_its_pools():
    env = simpy.Environment()
    with pytest.raises(ValueError, match="no in-flight limits"):
        ApfServer(env, ApiServer(env, Store(env)))


@pytest.fixture(scope="module", params=["naive", "improved"])
def toy_run(request):
    """The toy cluster event by event, once per side for every test that reads it."""
    return request.param, simulate(TOY, request.param)


def test_simpy_agrees_with_the_closed_form_at_toy_scale(toy_run):
    """Tolerances stated before comparing: refusal rates within 10 % (or 0.5 req/s when near
    zero), Lease p99 within one renew interval (10 s), NotReady nodes within three standard
    deviations of a binomial count over the nodes (each node goes NotReady or not, with the
    closed form's probability)."""
    side, sim = toy_run
    out = MODEL.run(TOY, MODEL.version(side))
    for measured, predicted in [
            (sim.lease_rejected_per_s, out.lease_renewals_rejected_per_s),
            (sim.per_s(sim.noisy_rejected), out.noisy_rejected_per_s),
            (sim.per_s(sim.workload_rejected), out.workload_rejected_per_s)]:
        assert measured == pytest.approx(predicted, rel=0.10, abs=0.5)
    p99 = np.quantile(sim.renewal_latencies_s(), 0.99)
    assert abs(p99 - out.lease_renewal_p99_s) <= 10.0
    p = out.nodes_not_ready / TOY.nodes
    sd = math.sqrt(TOY.nodes * p * (1 - p))
    assert abs(sim.nodes_not_ready(TOY.grace_period_s) - out.nodes_not_ready) <= 3 * sd + 0.5


def test_the_heartbeat_survives_an_event_flood_only_with_apf():
    c = MODEL.compare()
    assert c.naive.nodes_not_ready > 0.5 * c.dimensions.nodes
    assert c.improved.nodes_not_ready == 0 and c.improved.lease_renewals_rejected_per_s == 0


def test_a_polling_storm_does_not_touch_the_lease_renewals_before_apf():
    out = MODEL.naive(PriorityDimensions(noisy_client="polling-storm",
                                         noisy_requests_per_s=20_000))
    assert out.lease_renewals_rejected_per_s == 0 and out.workload_rejected_per_s > 0


# --- seats in use, pool by pool and level by level ---------------------------------------------

def _erlang_b_by_recurrence(servers: int, offered: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return b


def test_before_apf_the_flood_and_the_renewals_share_the_mutating_pool_by_hand():
    out = MODEL.naive(PriorityDimensions())
    s = 0.050                                     # every request holds its seat 50 ms
    offered = (5000 / 10 + 6000 + 200) * s        # Lease UPDATEs, Event CREATEs, PATCHes
    served = offered * (1 - _erlang_b_by_recurrence(200, offered))
    assert out.seats_in_use_mutating == pytest.approx(served, rel=1e-9)
    assert out.seats_in_use_read_only == 0        # an event flood sends no reads
    assert out.seats_in_use_node_high is None and out.seats_in_use_workload_low is None


def test_with_apf_each_level_holds_what_its_clients_ask_up_to_its_seats():
    out = MODEL.improved(PriorityDimensions())
    assert out.seats_in_use_node_high == pytest.approx(5000 / 10 * 0.050)      # 25 of 98
    assert out.seats_in_use_workload_low == math.ceil(600 * 100 / 245)         # all 245
    for level in ("leader-election", "system", "workload-high", "global-default",
                  "catch-all"):
        assert out.seats_in_use_by_level[level] == 0
    assert out.seats_in_use_read_only is None and out.seats_in_use_mutating is None


def test_seats_in_use_by_level_agree_with_simpy_at_toy_scale(toy_run):
    """Tolerance stated first: the mean of the sampled seats in use within 10 % of the closed
    form, or 1 seat where it is small."""
    side, sim = toy_run
    out = MODEL.run(TOY, MODEL.version(side))
    assert set(sim.seat_samples) == set(out.seats_in_use_by_level)
    for level, samples in sim.seat_samples.items():
        assert samples.mean() == pytest.approx(out.seats_in_use_by_level[level], rel=0.10,
                                               abs=1.0), level
