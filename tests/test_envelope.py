"""Chapter 1: the scalability envelope (kscale_lab.envelope); its exercises are tested in
tests/test_envelope_exercises.py."""

from __future__ import annotations

import json

import matplotlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from kscale_lab import cli  # noqa: E402
from kscale_lab.envelope import (  # noqa: E402
    THRESHOLD_NAMES,
    THRESHOLDS,
    ClusterDimensions,
    EnvelopeModel,
    EnvelopeOutcome,
    assess,
    max_nodes,
    max_pods_per_node,
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
    assert c.value == 200_000 and c.limit == 150_000
    assert c.ratio == pytest.approx(4 / 3)
    assert not c.inside


def test_per_namespace_quantities_assume_an_even_spread():
    d = ClusterDimensions(nodes=1000, pods_per_node=30, namespaces=8, services=20_000)
    checks = by_name(d)
    assert checks["pods_per_namespace"].value == pytest.approx(30_000 / 8)
    assert checks["services_per_namespace"].value == pytest.approx(20_000 / 8)


def test_exactly_at_a_threshold_is_inside():
    d = ClusterDimensions(nodes=1000, pods_per_node=150, cores_per_node=16)
    checks = by_name(d)
    assert checks["pods"].ratio == 1.0 and checks["pods"].inside
    assert not checks["pods_per_node"].inside


def test_defaults_are_inside_with_headroom():
    c = MODEL.compare()
    assert c.naive.within_envelope and c.improved.within_envelope
    assert c.improved.worst_ratio < 0.5


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
    assert max_nodes(ClusterDimensions(pods_per_node=60)) == 2500
    assert max_nodes(ClusterDimensions(pods_per_node=60), ("nodes",)) == 5000
    assert max_nodes(ClusterDimensions(pods_per_node=10, namespaces=2)) == 600  # 3,000 × 2 ÷ 10
    assert max_nodes(ClusterDimensions(backends_per_service=300)) == 0  # nothing helps


def test_max_pods_per_node_sweep_bends_down():
    n = [100, 1000, 2000, 5000, 6000]
    got = max_pods_per_node(n, cores_per_node=16, namespaces=200)
    assert list(got) == pytest.approx([110, 110, 75, 30, 0])
    assert max_pods_per_node([100], cores_per_node=4)[0] == 40


def test_cli_gives_the_two_verdicts(capsys):
    assert cli.main(["run", "envelope", "--nodes", "4000", "--pods-per-node", "50",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["naive"]["within_envelope"] is True
    assert out["improved"]["within_envelope"] is False


# --- bad input ---------------------------------------------------------------------------------

def test_unknown_dimension_is_a_value_error():
    with pytest.raises(ValueError, match="unknown dimension"):
        MODEL.compare(pods=3)


# --- properties --------------------------------------------------------------------------------

clusters = st.builds(
    ClusterDimensions,
    nodes=st.integers(1, 15_000), pods_per_node=st.integers(1, 500),
    cores_per_node=st.integers(1, 256), namespaces=st.integers(1, 50_000),
    services=st.integers(1, 50_000), backends_per_service=st.integers(1, 2_000),
    deployments_per_namespace=st.integers(0, 10_000))


@settings(max_examples=200, deadline=None)
@given(clusters)
def test_inside_iff_every_ratio_at_most_one(d):
    out = MODEL.improved(d)
    ratios = [c.ratio for c in out.checks]
    assert out.within_envelope == all(r <= 1 for r in ratios)
    assert out.violations == sum(r > 1 for r in ratios)
    assert out.worst_ratio == max(ratios)
    assert {c.name for c in out.checks} == set(THRESHOLD_NAMES)


@settings(max_examples=200, deadline=None)
@given(clusters)
def test_envelope_is_stricter_than_one_number(d):
    naive, improved = MODEL.naive(d), MODEL.improved(d)
    assert naive.dimensions_checked == 1
    if improved.within_envelope:
        assert naive.within_envelope
    assert improved.max_nodes <= naive.max_nodes
    assert improved.worst_ratio >= naive.worst_ratio


@settings(max_examples=100, deadline=None)
@given(clusters)
def test_max_nodes_is_the_edge(d):
    """At ``max_nodes`` the node-dependent thresholds hold; one node more breaks one of them."""
    n = max_nodes(d)
    node_dependent = ("nodes", "pods", "pods_per_namespace")
    if n == 0:
        others = [c for c in assess(d) if c.name not in node_dependent]
        assert any(not c.inside for c in others)
        return
    assert all(c.inside for c in assess(d.replace(nodes=n), node_dependent))
    if n + 1 <= 15_000:
        assert not all(c.inside for c in assess(d.replace(nodes=n + 1), node_dependent))


# --- figures -----------------------------------------------------------------------------------

def test_sweep_figure_draws_both_panels():
    from kscale_lab.figures.envelope import plot_sweep
    from kscale_lab.style import new_figure

    fig = new_figure()
    plot_sweep(fig, cores_per_node=4, namespaces=10, clusters={"A": (4000, 50)})
    assert len(fig.axes) == 2
