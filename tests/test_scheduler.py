"""Chapter 5: a real mini-scheduler release by release, its cost model, the queue and limit."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kscale_lab.scheduler import (
    HOSTNAME,
    TALK,
    ZONE,
    AntiAffinityTerm,
    Cache,
    ImprovedScheduler,
    KubeScheduler,
    NaiveScheduler,
    Node,
    Pod,
    SchedulerDimensions,
    SchedulerModel,
    Snapshot,
    Taint,
    Toleration,
    cost,
    feasible_nodes_to_find,
    make_cluster,
    make_pods,
    num_feasible_nodes_to_find,
    outcome_at,
    release,
    run,
    talk_points,
    violations,
)
from kscale_lab.scheduler.base import score
from kscale_lab.scheduler.cluster import ZONE_GA, make_nodes
from kscale_lab.scheduler.queue import (
    arrivals,
    latencies,
    lindley_latencies,
    p99_latency_s,
    simulate_queue,
    token_grants,
)

MODEL = SchedulerModel()
RELEASES = ["1.10", "1.11", "1.12", "1.14"]


# --- the history as data ----------------------------------------------------------------------

@pytest.mark.parametrize("version, affinity, percentage, snapshot", [
    ("1.10", "scan", None, "walk-all"),
    ("v1.11.3", "by-node", None, "walk-all"),        # PR #62211 is in 1.11
    ("1.12", "topology-pairs", 50, "walk-all"),      # fixed 50 %
    ("1.13.4", "topology-pairs", 50, "walk-all"),
    ("1.14.0", "topology-pairs", 0, "recency"),      # adaptive; PR #74041
    ("1.33", "topology-pairs", 0, "recency"),
])
def test_each_fix_switches_on_in_the_release_it_landed(version, affinity, percentage, snapshot):
    r = release(version)
    assert (r.affinity, r.percentage_default, r.snapshot) == (affinity, percentage, snapshot)


@pytest.mark.parametrize("bad", ["1.9", "2.0", "latest", "", 14])
def test_a_release_before_1_10_or_not_a_version_is_refused(bad):
    with pytest.raises(ValueError, match="version must be"):
        release(bad)


def test_the_zone_label_changes_in_1_17():
    assert release("1.16").zone_label == ZONE == "failure-domain.beta.kubernetes.io/zone"
    assert release("1.17").zone_label == ZONE_GA == "topology.kubernetes.io/zone"
    assert ZONE_GA in make_nodes(3, zone_label=release("1.33").zone_label)[0].labels


# --- numFeasibleNodesToFind -------------------------------------------------------------------

@pytest.mark.parametrize("nodes, pct, want", [
    (50, 0, 50),            # under minFeasibleNodesToFind: all
    (99, 10, 99),
    (150, 0, 100),          # 49 % of 150 = 73, but at least 100
    (2000, 0, 680),         # 50 - 2000/125 = 34 %
    (5000, 0, 500),         # 50 - 40 = 10 %
    (6000, 0, 300),         # 50 - 48 = 2 %, floored at 5 %
    (5000, 50, 2500),
    (5000, 100, 5000),
    (1000, 1, 100),
])
def test_num_feasible_nodes_to_find(nodes, pct, want):
    assert num_feasible_nodes_to_find(nodes, pct) == want


@pytest.mark.parametrize("version, nodes, pct, want", [
    ("1.10", 5000, 10, 5000),       # no such option before 1.12: every node
    ("1.12", 5000, 0, 2500),        # the fixed default, 50 %
    ("1.13", 150, 0, 100),
    ("1.12", 5000, 10, 500),
    ("1.14", 5000, 0, 500),         # adaptive
])
def test_feasible_nodes_to_find_follows_the_release(version, nodes, pct, want):
    assert feasible_nodes_to_find(version, nodes, pct) == want
    assert cost.nodes_to_find(version, np.array([nodes]), pct)[0] == want


# --- the calibration and the predictions ------------------------------------------------------

def test_one_unit_is_calibrated_on_the_talks_first_point_only():
    # 1.10 at 2,000 nodes: walk 2,000 entries (0.05 each), clone 1, filter 2,000, score 2,000
    units = 0.05 * 2000 + 1 + 2000 + 2000
    assert cost.UNIT_S == pytest.approx((1 / 90 - cost.CYCLE_OVERHEAD_S) / units)
    kinds = [p.kind for p in talk_points()]
    assert kinds == ["calibration", "prediction", "prediction"]
    assert talk_points()[0].model_pods_per_s == pytest.approx(TALK["naive_2000"])


def test_the_named_fixed_costs_add_up_to_the_1_ms_the_calibration_was_made_with():
    assert cost.QUEUEING_S + cost.BINDING_S + cost.EVENT_RECORDING_S == 1e-3
    assert cost.CYCLE_OVERHEAD_S == 1e-3
    # and the chapter quotes each part as the module sets it
    from pathlib import Path

    text = " ".join((Path(__file__).parent.parent / "book/05-scheduler.md").read_text().split())
    for part in (cost.QUEUEING_S, cost.BINDING_S, cost.EVENT_RECORDING_S):
        assert f"{part * 1e3:g} ms" in text


def test_the_5000_node_prediction_is_near_the_talk():
    at5k = talk_points()[1].model_pods_per_s
    assert 0.7 * TALK["naive_5000"] < at5k < 1.3 * TALK["naive_5000"]


@pytest.mark.parametrize("weight", [0.01, 0.05, 0.2])
@pytest.mark.parametrize("overhead_s", [0.3e-3, 1e-3, 3e-3])
def test_anti_affinity_prediction_holds_for_any_plausible_pair_cost_and_overhead(weight,
                                                                                 overhead_s):
    ops = cost.ops_per_pod("1.10", 5000, 30, 1.0, pod_has_anti_affinity=True)
    t = cost.cycle_s(ops, weights={"affinity_checks": weight}, overhead_s=overhead_s)
    assert 60 / t < 5                                            # < 5 pods/min


def test_no_release_is_faster_than_the_per_cycle_overhead_allows():
    for version in ("1.10", "1.14", "1.33"):
        curve = outcome_at(SchedulerDimensions(), version).curve["cycle_pods_per_s"]
        assert curve.max() < 1 / cost.CYCLE_OVERHEAD_S


def test_throughput_is_capped_by_the_client_limit():
    for qps in (20, 50, 1000):
        o = outcome_at(SchedulerDimensions(nodes=100, kube_api_qps=qps, arrival_rate=1), "1.14")
        assert o.pods_per_s == pytest.approx(min(o.cycle_pods_per_s, qps))


def test_anti_affinity_is_quadratic_in_1_10_and_linear_from_1_11():
    def checks(version, n):
        return float(cost.ops_per_pod(version, n, 30, 1.0, replicas=10,
                                      pod_has_anti_affinity=True).affinity_checks)
    assert checks("1.10", 4000) / checks("1.10", 2000) == pytest.approx(4, rel=0.01)
    for version in ("1.11", "1.12", "1.14"):
        assert checks(version, 4000) / checks(version, 2000) == pytest.approx(2, rel=0.05)


def test_the_adaptive_percentage_makes_1_14_faster_at_5000_than_at_3125_nodes():
    nodes = np.array([3125, 5000])
    k = [num_feasible_nodes_to_find(int(n), 0) for n in nodes]
    assert k == [781, 500]                                # 25 % of 3,125; 10 % of 5,000
    d = SchedulerDimensions()
    rate = MODEL.improved(d).curve
    faster = dict(zip(rate["nodes"], rate["cycle_pods_per_s"]))
    assert faster[5000] > faster[3125]
    # and only the nodes searched explain it: 1.12's fixed 50 % has no such bump
    c12 = outcome_at(d, "1.12").curve
    slower = dict(zip(c12["nodes"], c12["cycle_pods_per_s"]))
    assert slower[5000] < slower[3125]


# --- the version dimension and outcome_at -----------------------------------------------------

def test_naive_is_always_1_10_and_improved_is_the_version_dimension():
    d = SchedulerDimensions(version="1.12", anti_affinity_fraction=0.1)
    c = MODEL.compare(d)
    assert c.naive.release == "1.10" and c.improved.release == "1.12"
    assert c.naive.metrics() == outcome_at(d, "1.10").metrics()
    assert c.improved.metrics() == outcome_at(d, "v1.12.7").metrics()


def test_1_13_and_a_recent_release_carry_no_change_of_their_own():
    d = SchedulerDimensions(anti_affinity_fraction=0.2)
    assert outcome_at(d, "1.13").metrics() == outcome_at(d, "1.12").metrics()
    assert outcome_at(d, "1.33").metrics() == outcome_at(d, "1.14").metrics()


def test_the_slo_is_judged_only_under_its_churn_condition():
    assert MODEL.improved(SchedulerDimensions(arrival_rate=20)).meets_pod_startup_slo is True
    assert MODEL.improved(SchedulerDimensions(arrival_rate=21)).meets_pod_startup_slo is None


def test_load_is_a_binding_and_an_event_per_pod_placed():
    for rate, qps in ((10, 50), (100, 50)):
        o = MODEL.improved(SchedulerDimensions(nodes=500, arrival_rate=rate, kube_api_qps=qps))
        placed = min(rate, qps)                              # the loop is faster than both
        verbs = {v: r for v, r in o.load.requests_per_s_by_verb.items() if r}
        assert verbs == {"CREATE": 2 * placed}
        assert o.load.etcd_objects == pytest.approx(3600 * placed)


# --- the formulas are what the real scheduler counts ------------------------------------------

@pytest.mark.parametrize("version", ["1.10", "1.12", "1.14"])
@pytest.mark.parametrize("nodes, ppn", [(40, 5), (150, 10), (300, 4)])
def test_formulas_match_real_counts_without_anti_affinity(version, nodes, ppn):
    pods = 20
    r = run(version, make_cluster(nodes, ppn), make_pods(pods), seed=1)
    f = cost.ops_per_pod(version, nodes, ppn)
    c = r.counts
    assert c.scheduled == pods and c.affinity_checks == 0 == f.affinity_checks
    assert c.per_pod("filter_checks") == f.filter_checks == c.per_pod("score_evals")
    # the first cycle walks and clones every NodeInfo; the formula is every later cycle
    assert (c.snapshot_walked - nodes) / (pods - 1) == f.snapshot_walked
    assert (c.node_infos_copied - nodes) / (pods - 1) == f.node_infos_copied == 1


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("kind", ["required", "preferred"])
def test_formulas_match_real_counts_with_anti_affinity(version, kind):
    nodes, ppn, pods, fraction = 120, 5, 20, 0.5
    r = run(version, make_cluster(nodes, ppn, fraction, kind=kind),
            make_pods(pods, fraction, kind=kind), seed=1)
    batch = make_pods(pods, fraction, kind=kind)
    f = []
    for i, p in enumerate(batch):
        f.append(cost.ops_per_pod(version, nodes, ppn, fraction, kind=kind,
                                  pod_has_anti_affinity=bool(p.anti_affinity),
                                  replica_index=i % 10).affinity_checks)
    # the formula is the steady state: the real run stops at a node's first conflict (fewer
    # checks) while the pods it binds join later scans (more): within 10 %
    assert r.counts.per_pod("affinity_checks") == pytest.approx(np.mean(f), rel=0.1)
    assert r.counts.unschedulable == 0 and violations(r.cache) == []


@pytest.mark.parametrize("version", RELEASES)
def test_pods_without_terms_never_scan_other_pods_terms_per_node(version):
    cache = make_cluster(60, 4, 0.5)
    with_terms = sum(bool(p.anti_affinity) for p in cache.pods)     # counted, not computed
    r = run(version, cache, [Pod(f"plain-{i}", 50, 2**20) for i in range(5)], seed=1)
    # one pass over the existing pods' terms per cycle, whatever the number of nodes
    assert r.counts.affinity_checks == 5 * with_terms


# --- the snapshot -----------------------------------------------------------------------------

@pytest.mark.parametrize("build, name, bad, allowed", [
    (make_nodes, "nodes", -1, ">= 0"),
    (make_nodes, "tainted_fraction", 1.5, "from 0 to 1"),
    (make_cluster, "nodes", -3, ">= 0"),
    (make_cluster, "pods_per_node", -1, ">= 0"),
    (make_cluster, "anti_affinity_fraction", -0.1, "from 0 to 1"),
    (make_cluster, "tainted_fraction", float("nan"), "from 0 to 1"),
    (make_cluster, "replicas", 0, ">= 1"),
    (make_pods, "count", -5, ">= 0"),
    (make_pods, "anti_affinity_fraction", 2.0, "from 0 to 1"),
    (make_pods, "replicas", 0, ">= 1"),
])
def test_builders_refuse_values_out_of_range_naming_the_parameter_range_and_value(
        build, name, bad, allowed):
    good = {make_nodes: {"nodes": 4}, make_cluster: {"nodes": 4, "pods_per_node": 2},
            make_pods: {"count": 4}}[build]
    with pytest.raises(ValueError) as err:
        build(**{**good, name: bad})
    message = str(err.value)
    assert message.startswith(f"{name} must be ") and allowed in message
    assert message.endswith(f"got {bad!r}")


def test_walk_all_snapshot_walks_every_node_but_clones_only_the_changed():
    cache = make_cluster(50, 3)
    snap = Snapshot()
    assert snap.update_walk_all(cache) == (50, 50)          # first update: everything
    assert snap.update_walk_all(cache) == (50, 0)           # nothing changed, all walked
    cache.add_pod(Pod("x", 10, 10), "node-7")
    cache.add_pod(Pod("y", 10, 10), "node-9")
    assert snap.update_walk_all(cache) == (50, 2)
    assert [p.name for p in snap.node_infos[7].pods][-1] == "x"
    assert snap.node_infos[7] is not cache.node_infos[7]


def test_recency_snapshot_stops_at_the_first_unchanged_node():
    cache = make_cluster(50, 3)
    snap = Snapshot()
    assert snap.update_by_recency(cache) == (50, 50)
    assert snap.update_by_recency(cache) == (1, 0)          # the head is unchanged: stop
    gen = cache.generation
    cache.add_pod(Pod("x", 10, 10), "node-7")
    cache.add_pod(Pod("y", 10, 10), "node-7")
    cache.add_pod(Pod("z", 10, 10), "node-9")
    assert cache.by_name["node-7"].generation == gen + 2
    assert snap.update_by_recency(cache) == (3, 2)          # node-9, node-7, then stop
    assert [p.name for p in snap.node_infos[7].pods][-2:] == ["x", "y"]


# --- correctness ------------------------------------------------------------------------------

@st.composite
def clusters(draw):
    """A small random cluster (nodes with zones, taints, small sizes) and pending pods with
    selectors, tolerations and anti-affinity — required or preferred — on hostname or zone."""
    n = draw(st.integers(1, 8))
    nodes = []
    for i in range(n):
        name = f"n{i}"
        zone = draw(st.sampled_from(["a", "b", "c"]))
        labels = {HOSTNAME: name, ZONE: zone, "disk": draw(st.sampled_from(["ssd", "hdd"]))}
        taints = (Taint("dedicated", "gpu"),) if draw(st.booleans()) and i else ()
        nodes.append(Node(name, labels, cpu_milli=draw(st.sampled_from([500, 1000, 2000])),
                          memory_bytes=2**30, max_pods=draw(st.integers(1, 6)), taints=taints))
    pods = []
    for j in range(draw(st.integers(1, 14))):
        app = draw(st.sampled_from(["web", "db", "cache"]))
        terms = ()
        if draw(st.booleans()):
            terms = (AntiAffinityTerm((("app", app),), draw(st.sampled_from([HOSTNAME, ZONE])),
                                      draw(st.sampled_from([None, None, 10, 100]))),)
        pods.append(Pod(f"p{j}", draw(st.sampled_from([100, 300, 700])), 2**27,
                        labels={"app": app},
                        node_selector={"disk": "ssd"} if draw(st.integers(0, 3)) == 0 else {},
                        tolerations=(Toleration("dedicated", operator="Exists"),)
                        if draw(st.booleans()) else (),
                        anti_affinity=terms))
    return nodes, pods


def _fresh(nodes, pods):
    return Cache(copy.deepcopy(nodes)), copy.deepcopy(pods)


@settings(max_examples=40, deadline=None)
@given(clusters(), st.integers(0, 3), st.sampled_from(["1.11", "1.12", "1.14"]))
def test_every_release_at_100_percent_decides_exactly_like_1_10(cluster, seed, version):
    nodes, pods = cluster
    a = run("1.10", *_fresh(nodes, pods), seed=seed)
    b = run(version, *_fresh(nodes, pods), seed=seed, percentage_of_nodes_to_score=100)
    assert a.placements == b.placements


@settings(max_examples=40, deadline=None)
@given(clusters(), st.integers(0, 100), st.integers(0, 3))
def test_every_placement_is_valid_and_unschedulable_pods_stay_pending(cluster, pct, seed):
    nodes, pods = cluster
    r = run("1.14", *_fresh(nodes, pods), seed=seed, percentage_of_nodes_to_score=pct)
    assert violations(r.cache) == []
    bound = {p.name for p in r.cache.pods}
    for d in r.decisions:
        assert (d.node is not None) == (d.pod in bound)


def test_unschedulable_pod_is_reported_and_not_placed():
    pods = [Pod("picky", 50, 2**20, node_selector={"node-pool": "gpu"}),
            Pod("huge", 10**6, 2**20), Pod("fine", 50, 2**20)]
    for version in RELEASES:
        c = make_cluster(5, 2)
        r = run(version, c, copy.deepcopy(pods))
        assert r.placements["picky"] is None and r.placements["huge"] is None
        assert r.placements["fine"] is not None
        assert r.counts.unschedulable == 2 and r.counts.scheduled == 1


def test_required_zone_anti_affinity_allows_one_replica_per_zone():
    for version in RELEASES:
        r = run(version, make_cluster(30, 2), make_pods(5, 1.0, topology_key=ZONE), seed=2)
        assert sum(d.node is not None for d in r.decisions) == 3          # three zones
        assert violations(r.cache) == []


def test_preferred_anti_affinity_spreads_but_never_refuses():
    for kind, placed in (("required", 4), ("preferred", 6)):
        r = run("1.14", make_cluster(4, 0), make_pods(6, 1.0, kind=kind, replicas=6), seed=3)
        nodes = [d.node for d in r.decisions]
        assert sum(n is not None for n in nodes) == placed
        assert len(set(nodes[:4])) == 4                 # the first four on four nodes


def test_preferred_score_by_hand():
    # three empty nodes, one replica already on node-0: InterPodAffinityPriority adds 10 to
    # node-1 and node-2 (no matching pod in their domain) and 0 to node-0 (the minimum)
    cache = make_cluster(3, 0)
    cache.add_pod(make_pods(1, 1.0, kind="preferred")[0], "node-0")
    pod = make_pods(2, 1.0, kind="preferred")[1]
    (d,) = KubeScheduler(cache, "1.10", trace=True).schedule([pod])
    extra = {t.node: t.score - score(pod, cache.by_name[t.node]) for t in d.trace}
    assert extra == {"node-0": 0, "node-1": 10, "node-2": 10}
    assert d.node != "node-0"


def test_tied_nodes_are_broken_by_the_seeded_generator():
    picks = {run("1.10", make_cluster(20, 0), make_pods(1), seed=s).decisions[0].node
             for s in range(12)}
    assert len(picks) > 3                                       # empty nodes all tie
    again = [run("1.14", make_cluster(60, 3), make_pods(30), seed=7).placements
             for _ in range(2)]
    assert again[0] == again[1]


def test_search_from_1_12_rotates_its_start_index():
    s = ImprovedScheduler(make_cluster(1000, 2), seed=0)
    s.schedule(make_pods(3))
    assert s.counts.filter_checks == 3 * 420        # 50 - 1000/125 = 42 %
    assert s.next_start_node_index == 3 * 420 % 1000


def test_trace_of_one_cycle_names_the_failed_predicate():
    cache = make_cluster(6, 1, tainted_fraction=0.5)
    s = NaiveScheduler(cache, seed=0, trace=True)
    (d,) = s.schedule([Pod("p", 50, 2**20)])
    verdicts = {t.node: t.verdict for t in d.trace}
    tainted = {i.node.name for i in cache.node_infos if i.node.taints}
    assert tainted and all(verdicts[n] == "PodToleratesNodeTaints" for n in tainted)
    assert max(t.score for t in d.trace if t.score is not None) == d.score


def test_scoring_a_subset_can_miss_the_best_node_but_rarely():
    s = ImprovedScheduler(make_cluster(400, 30, uneven=True), seed=1, audit=True,
                          percentage_of_nodes_to_score=5)
    s.schedule(make_pods(150))
    regret = np.array(s.score_regret)
    assert regret.min() >= 0 and regret.mean() < 1


# --- pod churn: the queue and the client's limit ----------------------------------------------

@pytest.mark.parametrize("rate, plain, aff, frac, qps, burst", [
    (5.0, 0.1, 0.5, 0.3, None, 1), (50, 0.015, 0.02, 0.0, None, 1),
    (30, 0.01, 0.02, 0.2, 40, 5), (45, 0.001, 0.001, 0.0, 50, 100)])
def test_simpy_queue_and_closed_form_agree(rate, plain, aff, frac, qps, burst):
    t, has = arrivals(rate, 400, frac)
    service = np.where(has, aff, plain)
    assert simulate_queue(t, service, qps, burst) == pytest.approx(
        latencies(t, service, qps, burst), abs=1e-9)


def test_token_grants_against_a_brute_force_bucket():
    rng = np.random.default_rng(5)
    ready = np.sort(rng.uniform(0, 2, 300))
    qps, burst, dt = 100.0, 7, 1e-4
    grants, tokens, i = [], float(burst), 0       # step time, refill, serve in order
    for step in range(40_000):
        now = step * dt
        tokens = min(burst, tokens + qps * dt) if step else tokens
        while i < len(ready) and ready[i] <= now and tokens >= 1 - 1e-9:
            tokens -= 1
            grants.append(now)
            i += 1
    assert np.array(grants) == pytest.approx(token_grants(ready, qps, burst), abs=3 * dt)


def test_lindley_is_the_single_server_queue_by_hand():
    # arrivals at 0, 1, 1.5 s, services 2, 1, 1 s: departures 2, 3, 4 s
    assert lindley_latencies(np.array([0, 1, 1.5]), np.array([2.0, 1, 1])) == \
        pytest.approx([2, 2, 2.5])


def test_latency_is_null_when_either_stage_is_saturated():
    assert p99_latency_s(40.0, 1 / 36, 1 / 36, 0.0)[0] is None           # the loop
    assert p99_latency_s(60.0, 1e-3, 1e-3, 0.0, qps=50, burst=100)[0] is None   # the limit
    low, _ = p99_latency_s(10.0, 1 / 36, 1 / 36, 0.0)
    high, _ = p99_latency_s(30.0, 1 / 36, 1 / 36, 0.0)
    assert 1 / 36 <= low < high


def test_figure_has_both_releases_the_talk_and_no_minor_ticks():
    fig = MODEL.figure()
    ax, bx = fig.axes
    assert ax.get_xscale() == "log" and "pods/s" in ax.get_ylabel()
    assert [t.get_text() for t in bx.get_xticklabels()] == ["1.10", "1.14"]
    assert ax.xaxis.get_minor_locator().tick_values(1, 10) == []
    (legend,) = fig.legends                       # one legend, under the panels
    assert "1.14 loop" in [t.get_text() for t in legend.get_texts()]
