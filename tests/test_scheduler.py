"""Chapter 5: a real mini-scheduler (1.11 vs 1.12–1.14), its cost model and the queue."""


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
    NaiveScheduler,
    Node,
    Pod,
    SchedulerDimensions,
    SchedulerModel,
    Snapshot,
    Taint,
    Toleration,
    cost,
    make_cluster,
    make_pods,
    num_feasible_nodes_to_find,
    run,
    violations,
)
from kscale_lab.scheduler.queue import (
    arrivals,
    lindley_latencies,
    p99_latency_s,
    simulate_queue,
)

MODEL = SchedulerModel()


# --- Kubernetes' numFeasibleNodesToFind --------------------------------------------------------

@pytest.mark.parametrize("nodes, pct, want", [
    (50, 0, 50),            # under minFeasibleNodesToFind: all
    (99, 10, 99),
    (150, 0, 100),          # 49 % of 150 = 73, but at least 100
    (2000, 0, 680),         # 50 - 2000/125 = 34 %
    (5000, 0, 500),         # 50 - 40 = 10 %
    (6000, 0, 300),         # 50 - 48 = 2 %, floored at 5 %
    (5000, 50, 2500),       # the 1.12 fixed default
    (5000, 100, 5000),
    (1000, 1, 100),
])
def test_num_feasible_nodes_to_find(nodes, pct, want):
    assert num_feasible_nodes_to_find(nodes, pct) == want


# --- dimensions --------------------------------------------------------------------------------

# --- the calibration and the predictions --------------------------------------------------------

def test_calibrated_on_the_talks_first_point_and_predicts_the_others():
    at2k = MODEL.naive(SchedulerDimensions(nodes=2000)).pods_per_s
    assert at2k == pytest.approx(TALK["naive_2000"])               # the calibration point
    at5k = MODEL.naive(SchedulerDimensions(nodes=5000)).pods_per_s
    assert 0.7 * TALK["naive_5000"] < at5k < 1.3 * TALK["naive_5000"]   # ~30 pods/s
    aff = MODEL.naive(SchedulerDimensions(nodes=5000, anti_affinity_fraction=1.0)).pods_per_s
    assert aff * 60 < 5                                            # < 5 pods/min
    for n in (2000, 5000):
        d = SchedulerDimensions(nodes=n)
        assert MODEL.improved(d).pods_per_s > 4 * MODEL.naive(d).pods_per_s
    d = SchedulerDimensions(nodes=5000, anti_affinity_fraction=1.0)
    assert MODEL.improved(d).pods_per_s > 1000 * MODEL.naive(d).pods_per_s


def test_anti_affinity_prediction_is_robust_to_the_assumed_pair_cost():
    ops = cost.ops_per_pod("naive", 5000, 30, 1.0, pod_has_anti_affinity=True)
    for weight in (0.01, 0.05, 0.2):
        assert 60 / cost.cycle_s(ops, affinity_weight=weight) < 5


def test_naive_grows_quadratically_with_anti_affinity_improved_linearly():
    def checks(version, n):
        return cost.ops_per_pod(version, n, 30, 1.0, pod_has_anti_affinity=True).affinity_checks
    assert checks("naive", 4000) / checks("naive", 2000) == pytest.approx(4)
    assert checks("improved", 4000) / checks("improved", 2000) == pytest.approx(2, rel=0.05)


# --- the formulas are what the real schedulers count -----------------------------------------

@pytest.mark.parametrize("version", ["naive", "improved"])
@pytest.mark.parametrize("nodes, ppn", [(40, 5), (150, 10), (300, 4)])
def test_formulas_match_real_counts_without_anti_affinity(version, nodes, ppn):
    pods = 20
    r = run(version, make_cluster(nodes, ppn), make_pods(pods), seed=1)
    f = cost.ops_per_pod(version, nodes, ppn, 0.0)
    c = r.counts
    assert c.scheduled == pods
    assert c.per_pod("filter_checks") == f.filter_checks
    assert c.per_pod("score_evals") == f.score_evals
    assert c.affinity_checks == 0 == f.affinity_checks
    if version == "naive":
        assert c.per_pod("node_infos_copied") == f.node_infos_copied == nodes
    else:       # the first cycle copies everything, then one NodeInfo per bound pod
        assert (c.node_infos_copied - nodes) / (pods - 1) == f.node_infos_copied == 1


@pytest.mark.parametrize("version", ["naive", "improved"])
@pytest.mark.parametrize("fraction", [0.5, 1.0])
def test_formulas_match_real_counts_with_anti_affinity(version, fraction):
    nodes, ppn, pods = 120, 5, 20
    r = run(version, make_cluster(nodes, ppn, fraction), make_pods(pods, fraction), seed=1)
    has = [bool(p.anti_affinity) for p in make_pods(pods, fraction)]
    f = np.mean([cost.ops_per_pod(version, nodes, ppn, fraction, pod_has_anti_affinity=h)
                 .affinity_checks for h in has])
    # the formula is the steady state: the real run stops scanning a node at its first
    # conflict (fewer checks) while the pods it binds join the scan (more): within 10 %
    assert r.counts.per_pod("affinity_checks") == pytest.approx(f, rel=0.1)
    assert r.counts.unschedulable == 0 and violations(r.cache) == []


# --- correctness -------------------------------------------------------------------------------

@st.composite
def clusters(draw):
    """A small random cluster (nodes with zones, taints, small sizes) and pending pods with
    selectors, tolerations and anti-affinity on hostname or zone."""
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
            terms = (AntiAffinityTerm((("app", app),), draw(st.sampled_from([HOSTNAME, ZONE]))),)
        pods.append(Pod(f"p{j}", draw(st.sampled_from([100, 300, 700])), 2**27,
                        labels={"app": app},
                        node_selector={"disk": "ssd"} if draw(st.integers(0, 3)) == 0 else {},
                        tolerations=(Toleration("dedicated", operator="Exists"),)
                        if draw(st.booleans()) else (),
                        anti_affinity=terms))
    return nodes, pods


def _fresh(nodes, pods):
    import copy
    return Cache(copy.deepcopy(nodes)), copy.deepcopy(pods)


@settings(max_examples=60, deadline=None)
@given(clusters(), st.integers(0, 3))
def test_improved_at_100_percent_decides_exactly_like_naive(cluster, seed):
    nodes, pods = cluster
    a = run("naive", *_fresh(nodes, pods), seed=seed)
    b = run("improved", *_fresh(nodes, pods), seed=seed, percentage_of_nodes_to_score=100)
    assert a.placements == b.placements
    assert violations(a.cache) == [] and violations(b.cache) == []


@settings(max_examples=40, deadline=None)
@given(clusters(), st.integers(0, 100), st.integers(0, 3))
def test_every_placement_is_valid_and_unschedulable_pods_stay_pending(cluster, pct, seed):
    nodes, pods = cluster
    r = run("improved", *_fresh(nodes, pods), seed=seed, percentage_of_nodes_to_score=pct)
    assert violations(r.cache) == []
    bound = {p.name for p in r.cache.pods}
    for d in r.decisions:
        assert (d.node is not None) == (d.pod in bound)
    # below minFeasibleNodesToFind every node is searched: the same pods are unschedulable
    naive = run("naive", *_fresh(nodes, pods), seed=seed)
    assert [d.node is None for d in naive.decisions] == [d.node is None for d in r.decisions]


def test_unschedulable_pod_is_reported_and_not_placed():
    cache = make_cluster(5, 2)
    pods = [Pod("picky", 50, 2**20, node_selector={"node-pool": "gpu"}),
            Pod("huge", 10**6, 2**20),
            Pod("fine", 50, 2**20)]
    for version in ("naive", "improved"):
        c = make_cluster(5, 2)
        r = run(version, c, [Pod(p.name, p.cpu_milli, p.memory_bytes,
                                 node_selector=dict(p.node_selector)) for p in pods])
        assert r.placements["picky"] is None and r.placements["huge"] is None
        assert r.placements["fine"] is not None
        assert r.counts.unschedulable == 2 and r.counts.scheduled == 1
        assert {p.name for p in c.pods} >= {"fine"} and "huge" not in {p.name for p in c.pods}
    assert len(cache.pods) == 10


def test_zone_anti_affinity_allows_one_replica_per_zone():
    pods = make_pods(5, 1.0, topology_key=ZONE)[:5]
    for version in ("naive", "improved"):
        r = run(version, make_cluster(30, 2), pods if version == "naive"
                else make_pods(5, 1.0, topology_key=ZONE)[:5], seed=2)
        placed = [d.node for d in r.decisions]
        assert sum(p is not None for p in placed) == 3          # three zones
        assert violations(r.cache) == []


def test_tied_nodes_are_broken_by_the_seeded_generator():
    picks = {run("naive", make_cluster(20, 0), make_pods(1), seed=s).decisions[0].node
             for s in range(12)}
    assert len(picks) > 3                                       # empty nodes all tie
    again = [run("improved", make_cluster(60, 3), make_pods(30), seed=7).placements
             for _ in range(2)]
    assert again[0] == again[1]


# --- the cache, the snapshot and the search ----------------------------------------------------

def test_snapshot_full_copy_vs_generation_update():
    cache = make_cluster(50, 3)
    snap = Snapshot()
    assert snap.update(cache) == 50                 # first update: everything
    assert snap.update(cache) == 0                  # nothing changed
    gen = cache.generation
    cache.add_pod(Pod("x", 10, 10), "node-7")
    cache.add_pod(Pod("y", 10, 10), "node-7")
    cache.add_pod(Pod("z", 10, 10), "node-9")
    assert cache.generation == gen + 3
    assert cache.by_name["node-7"].generation == gen + 2
    assert snap.update(cache) == 2                  # only the two changed NodeInfos
    assert [p.name for p in snap.node_infos[7].pods][-2:] == ["x", "y"]
    assert snap.node_infos[7] is not cache.node_infos[7]
    full = Snapshot()
    assert full.full_copy(cache) == 50


def test_improved_search_rotates_its_start_index():
    s = ImprovedScheduler(make_cluster(1000, 2), seed=0)
    s.schedule(make_pods(3))
    assert s.counts.filter_checks == 3 * 420        # 50 - 1000/125 = 42 %
    assert s.next_start_node_index == 3 * 420 % 1000


def test_trace_of_one_cycle_names_the_failed_predicate():
    cache = make_cluster(6, 1, tainted_fraction=0.5)
    s = NaiveScheduler(cache, seed=0, trace=True)
    (d,) = s.schedule([Pod("p", 50, 2**20)])
    verdicts = {t.node: t.verdict for t in d.trace}
    assert len(verdicts) == 6
    tainted = {i.node.name for i in cache.node_infos if i.node.taints}
    assert tainted and all(verdicts[n] == "PodToleratesNodeTaints" for n in tainted)
    assert d.node not in tainted
    assert max(t.score for t in d.trace if t.score is not None) == d.score


def test_scoring_a_subset_can_miss_the_best_node_but_rarely():
    s = ImprovedScheduler(make_cluster(400, 30, uneven=True), seed=1, audit=True,
                          percentage_of_nodes_to_score=5)
    s.schedule(make_pods(150))
    regret = np.array(s.score_regret)
    assert regret.min() >= 0 and regret.mean() < 1
    full = ImprovedScheduler(make_cluster(400, 30, uneven=True), seed=1, audit=True,
                             percentage_of_nodes_to_score=100)
    full.schedule(make_pods(150))
    assert max(full.score_regret) == 0


# --- pod churn: the queue -----------------------------------------------------------------------

@pytest.mark.parametrize("rate, plain, aff, frac", [(5.0, 0.1, 0.5, 0.3), (50, 0.015, 0.02, 0.0),
                                                     (1.0, 0.2, 3.0, 0.1)])
def test_simpy_queue_and_lindley_recursion_agree(rate, plain, aff, frac):
    t, has = arrivals(rate, 400, frac)
    service = np.where(has, aff, plain)
    assert simulate_queue(t, service) == pytest.approx(lindley_latencies(t, service), abs=1e-9)


def test_latency_is_null_when_the_backlog_grows_without_bound():
    p99, rho = p99_latency_s(40.0, 1 / 36, 1 / 36, 0.0)
    assert p99 is None and rho > 1
    low, _ = p99_latency_s(10.0, 1 / 36, 1 / 36, 0.0)
    high, _ = p99_latency_s(30.0, 1 / 36, 1 / 36, 0.0)
    assert 1 / 36 <= low < high
    c = MODEL.compare(nodes=5000, arrival_rate=50)
    assert c.naive.p99_scheduling_latency_s is None and not c.naive.meets_pod_startup_slo
    assert c.improved.p99_scheduling_latency_s < 5 and c.improved.meets_pod_startup_slo


def test_figure_has_both_versions_the_talk_and_no_minor_ticks():
    import matplotlib.pyplot as plt

    fig = MODEL.figure()
    ax, bx = fig.axes
    assert ax.get_xscale() == "log" and "pods/s" in ax.get_ylabel()
    assert len(ax.lines) >= 6
    assert ax.xaxis.get_minor_locator().tick_values(1, 10) == []
    assert "unbounded" in [t.get_text() for t in bx.texts]
    plt.close(fig)
