"""Chapter 1: the scalability envelope (kscale_lab.envelope) and its exercise checks."""

from __future__ import annotations

import matplotlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from kscale_lab.envelope import (  # noqa: E402
    THRESHOLD_NAMES,
    THRESHOLDS,
    ClusterDimensions,
    EnvelopeModel,
    EnvelopeOutcome,
    assess,
    max_nodes,
    max_pods_per_node,
    min_nodes,
    node_range,
    pods_per_node_limit,
    threshold,
    thresholds_table,
)

MODEL = EnvelopeModel()


def by_name(dims: ClusterDimensions) -> dict:
    return {c.name: c for c in assess(dims)}


# --- the published thresholds, as data ---------------------------------------------------------

def test_thresholds_match_kubernetes_facts():
    limits = {t.name: t.limit for t in THRESHOLDS}
    assert limits == {
        "nodes": 5_000, "namespaces": 10_000, "pods": 150_000, "pods_per_namespace": 3_000,
        "pods_per_node": 110, "services": 10_000, "services_per_namespace": 5_000,
        "endpoints_per_service": 250, "deployments_per_namespace": 2_000,
    }
    assert all("thresholds.md" in t.source for t in THRESHOLDS)
    assert len(thresholds_table()) == len(THRESHOLDS)


def test_unknown_threshold_is_a_value_error():
    with pytest.raises(ValueError, match="thresholds: nodes"):
        threshold("pods_per_cluster")
    with pytest.raises(ValueError):
        assess(ClusterDimensions(), ("nope",))


@pytest.mark.parametrize("cores, limit", [(1, 10), (4, 40), (8, 80), (11, 110), (16, 110),
                                          (64, 110)])
def test_pods_per_node_limit_is_min_110_10x_cores(cores, limit):
    assert pods_per_node_limit(cores) == limit
    assert by_name(ClusterDimensions(cores_per_node=cores))["pods_per_node"].limit == limit


# --- interactions ------------------------------------------------------------------------------

def test_pods_is_nodes_times_pods_per_node():
    d = ClusterDimensions(nodes=4000, pods_per_node=50)
    assert d.pods == 200_000
    c = by_name(d)["pods"]
    assert c.value == 200_000 and c.limit == 120_000        # 150,000 × 4,000 ÷ 5,000
    assert c.ratio == pytest.approx(5 / 3)
    assert not c.inside


# --- limits that follow the cluster's size -----------------------------------------------------

@pytest.mark.parametrize("nodes", [1, 7, 1000, 2500, 4999, 5000])
def test_cluster_wide_limits_are_proportionally_lower_for_smaller_clusters(nodes):
    checks = by_name(ClusterDimensions(nodes=nodes))
    # thresholds.md's numbers are for 5,000 nodes: 30 pods, 2 namespaces, 2 services per node
    assert checks["pods"].limit == 30 * nodes
    assert checks["namespaces"].limit == 2 * nodes
    assert checks["services"].limit == 2 * nodes


@pytest.mark.parametrize("nodes", [5000, 5001, 15_000])
def test_cluster_wide_limits_stop_growing_at_the_published_size(nodes):
    checks = by_name(ClusterDimensions(nodes=nodes, pods_per_node=1))
    assert (checks["pods"].limit, checks["namespaces"].limit, checks["services"].limit) == \
        (150_000, 10_000, 10_000)


@pytest.mark.parametrize("nodes", [1, 100, 5000, 15_000])
def test_per_node_namespace_and_service_limits_do_not_scale(nodes):
    checks = by_name(ClusterDimensions(nodes=nodes, cores_per_node=64))
    assert {name: checks[name].limit for name in (
        "pods_per_namespace", "pods_per_node", "services_per_namespace",
        "endpoints_per_service", "deployments_per_namespace", "nodes")} == {
        "pods_per_namespace": 3000, "pods_per_node": 110, "services_per_namespace": 5000,
        "endpoints_per_service": 250, "deployments_per_namespace": 2000, "nodes": 5000}


def test_thirty_pods_per_node_on_average_at_every_size():
    """150,000 pods on 5,000 nodes, proportionally fewer below: density above 30 is outside
    at every size, although 110 pods on one node is inside its own threshold."""
    for nodes in (100, 1000, 5000):
        assert by_name(ClusterDimensions(nodes=nodes, pods_per_node=30))["pods"].inside
        assert not by_name(ClusterDimensions(nodes=nodes, pods_per_node=31))["pods"].inside
        assert by_name(ClusterDimensions(nodes=nodes, pods_per_node=31))["pods_per_node"].inside


def test_a_small_cluster_with_many_services_is_outside():
    # 2,000 services need 2,000 × 5,000 ÷ 10,000 = 1,000 nodes
    assert by_name(ClusterDimensions(nodes=1000, services=2000))["services"].inside
    assert not by_name(ClusterDimensions(nodes=999, services=2000))["services"].inside
    assert min_nodes(ClusterDimensions(services=2000, namespaces=200)) == 1000
    assert min_nodes(ClusterDimensions(services=10, namespaces=3001)) == 1501


def test_per_namespace_quantities_assume_an_even_spread():
    d = ClusterDimensions(nodes=1000, pods_per_node=30, namespaces=8, services=20_000)
    checks = by_name(d)
    assert checks["pods_per_namespace"].value == pytest.approx(30_000 / 8)
    assert checks["services_per_namespace"].value == pytest.approx(20_000 / 8)


def test_exactly_at_a_threshold_is_inside():
    d = ClusterDimensions(nodes=1000, pods_per_node=30, services=2000)
    checks = by_name(d)
    assert checks["pods"].ratio == 1.0 and checks["pods"].inside
    assert checks["services"].ratio == 1.0 and checks["services"].inside


def test_defaults_are_inside_with_headroom():
    c = MODEL.compare()
    assert c.naive.within_envelope and c.improved.within_envelope
    assert c.improved.worst_ratio < 0.7


def test_naive_and_improved_disagree_when_only_pods_are_outside():
    c = MODEL.compare(nodes=4000, pods_per_node=50)
    assert isinstance(c.naive, EnvelopeOutcome) and isinstance(c.improved, EnvelopeOutcome)
    assert c.naive.within_envelope and c.naive.violations == 0
    assert c.naive.dimensions_checked == 1 and c.naive.worst_dimension == "nodes"
    assert not c.improved.within_envelope
    assert c.improved.violations == 1 and c.improved.worst_dimension == "pods"
    assert c.improved.dimensions_checked == len(THRESHOLDS)


def test_both_agree_on_too_many_nodes():
    c = MODEL.compare(nodes=6000, pods_per_node=10)
    assert not c.naive.within_envelope and not c.improved.within_envelope
    assert c.naive.max_nodes == 5000


def test_max_nodes():
    assert max_nodes(ClusterDimensions(pods_per_node=30)) == 5000
    assert max_nodes(ClusterDimensions(pods_per_node=60)) == 0  # over 30/node at every size
    assert max_nodes(ClusterDimensions(pods_per_node=60), ("nodes",)) == 5000
    # pods alone: past 5,000 nodes the limit stays at 150,000, so 20/node stop at 7,500
    assert max_nodes(ClusterDimensions(pods_per_node=20), ("pods",)) == 7500
    d = ClusterDimensions(pods_per_node=10, namespaces=2, services=100)
    assert node_range(d) == (50, 600)        # 100 services ÷ 2 per node; 3,000 × 2 ÷ 10
    # 2,000 services need 1,000 nodes, but 2 namespaces hold pods for only 600
    assert node_range(ClusterDimensions(pods_per_node=10, namespaces=2)) is None
    assert max_nodes(ClusterDimensions(backends_per_service=300)) == 0  # nothing helps


def test_more_backends_than_pods_is_refused_naming_the_values():
    from kscale_lab.dimensions import DimensionConflict

    with pytest.raises(DimensionConflict) as err:
        ClusterDimensions(nodes=10, pods_per_node=0, backends_per_service=2000)
    assert set(err.value.fields) == {"backends_per_service", "nodes", "pods_per_node"}
    assert "a service's endpoints are pods" in str(err.value)
    # the node range counts only clusters that exist: 250 backends need 250 one-pod nodes
    d = ClusterDimensions(nodes=300, pods_per_node=1, backends_per_service=250, services=10)
    assert node_range(d, ("nodes",)) == (250, 5000)


def test_lower_level_functions_refuse_impossible_sizes():
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="cores_per_node"):
            pods_per_node_limit(bad)
        with pytest.raises(ValueError, match="nodes"):
            max_pods_per_node([100, bad])
    with pytest.raises(ValueError, match="namespaces"):
        max_pods_per_node([100], namespaces=-5)


def test_max_pods_per_node_is_thirty_on_average_then_bends_with_few_namespaces():
    n = [100, 1000, 2000, 5000, 6000]
    got = max_pods_per_node(n, cores_per_node=16, namespaces=200, services=100)
    assert list(got) == pytest.approx([30, 30, 30, 30, 0])
    got = max_pods_per_node(n, cores_per_node=16, namespaces=10, services=100)
    assert list(got) == pytest.approx([30, 30, 15, 6, 0])          # 3,000 × 10 ÷ nodes
    assert max_pods_per_node([100], cores_per_node=2, services=100)[0] == 20
    # 2,000 services need 1,000 nodes: no density is allowed below
    assert list(max_pods_per_node([999, 1000], services=2000)) == [0, 30]


# --- properties --------------------------------------------------------------------------------

@st.composite
def clusters(draw):
    nodes, per_node = draw(st.integers(1, 15_000)), draw(st.integers(1, 500))
    return ClusterDimensions(
        nodes=nodes, pods_per_node=per_node, cores_per_node=draw(st.integers(1, 256)),
        namespaces=draw(st.integers(1, 50_000)), services=draw(st.integers(1, 50_000)),
        backends_per_service=draw(st.integers(1, min(2_000, nodes * per_node))),
        deployments_per_namespace=draw(st.integers(0, 10_000)))


@settings(max_examples=200, deadline=None)
@given(clusters())
def test_inside_iff_every_ratio_at_most_one(d):
    out = MODEL.improved(d)
    ratios = [c.ratio for c in out.checks]
    assert out.within_envelope == all(r <= 1 for r in ratios)
    assert out.violations == sum(r > 1 for r in ratios)
    assert out.worst_ratio == max(ratios)
    assert {c.name for c in out.checks} == set(THRESHOLD_NAMES)


@settings(max_examples=200, deadline=None)
@given(clusters())
def test_envelope_is_stricter_than_one_number(d):
    naive, improved = MODEL.naive(d), MODEL.improved(d)
    assert naive.dimensions_checked == 1
    if improved.within_envelope:
        assert naive.within_envelope
    if improved.max_nodes is not None:             # None: the envelope allows no size
        assert naive.max_nodes is not None and improved.max_nodes <= naive.max_nodes
    assert improved.worst_ratio >= naive.worst_ratio


def _inside_at(d: ClusterDimensions, nodes: int) -> bool:
    """The cluster ``d`` with ``nodes`` nodes exists and is inside every threshold."""
    try:
        resized = d.replace(nodes=nodes)
    except ValueError:                  # fewer pods than one service's backends
        return False
    return all(c.inside for c in assess(resized))


@settings(max_examples=150, deadline=None)
@given(clusters(), st.integers(1, 15_000))
def test_node_range_is_where_every_threshold_holds(d, nodes):
    """Checked by asking the thresholds directly at a node count drawn at random, and at the
    edges: inside the range everything holds, one node beyond it something breaks."""
    allowed = node_range(d)
    if allowed is None:
        assert not _inside_at(d, nodes)
        assert max_nodes(d) == 0 and min_nodes(d) == 0
        return
    lo, hi = allowed
    assert _inside_at(d, nodes) == (lo <= nodes <= hi)
    assert _inside_at(d, lo) and _inside_at(d, hi)
    if lo > 1:
        assert not _inside_at(d, lo - 1)
    if hi < 15_000:
        assert not _inside_at(d, hi + 1)


# --- figures -----------------------------------------------------------------------------------

def test_sweep_figure_draws_both_panels():
    from kscale_lab.figures.envelope import plot_sweep
    from kscale_lab.style import new_figure

    fig = new_figure()
    plot_sweep(fig, cores_per_node=4, namespaces=10, services=500, clusters={"A": (4000, 50)})
    assert len(fig.axes) == 2
    region = fig.axes[1].collections[0].get_paths()[0].vertices
    # the envelope's region reaches 5,000 nodes and no further, and starts at 250 nodes
    # (500 services need 500 × 5,000 ÷ 10,000)
    assert region[:, 0].max() == pytest.approx(5000, abs=6)
    assert region[:, 0].min() == pytest.approx(250, abs=6)
