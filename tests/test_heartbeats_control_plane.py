"""Chapter 2's event-by-event model on the control plane: measured load, closed form, limits."""

import pytest

from kscale_lab.heartbeats import (
    LEASE_BYTES,
    SIMULATE_MAX_NODES,
    HeartbeatDimensions,
    api_load,
    simulate,
)
from kscale_lab.units import KiB
from kscale_lab.workload_objects import OTHER_KIB_PER_NODE


@pytest.mark.parametrize("version", ["naive", "improved"])
def test_measured_load_of_a_toy_run_agrees_with_the_closed_form(version):
    """20 nodes for an hour; node 0 fails 1 s before the end, so at most one of its writes
    per loop is missing: rates agree within one write (or one object's bytes) per hour.
    etcd's peak (just before a compaction tick) agrees exactly: each loop's period divides
    the 600 s of history held."""
    d = HeartbeatDimensions(nodes=20, horizon_s=3600, failed_node_at_s=3599)
    measured, predicted = simulate(d, version).load, api_load(d, version)
    h = d.horizon_s
    for verb in ("PATCH", "UPDATE"):
        assert measured.requests_per_s_by_verb[verb] == pytest.approx(
            predicted.requests_per_s_by_verb[verb], abs=1 / h)
    assert measured.requests_per_s == pytest.approx(predicted.requests_per_s, abs=2 / h)
    assert measured.etcd_write_bytes_per_s == pytest.approx(
        predicted.etcd_write_bytes_per_s, abs=(d.node_bytes + LEASE_BYTES) / h)
    assert (measured.etcd_objects, measured.etcd_bytes) == (predicted.etcd_objects,
                                                            predicted.etcd_bytes)
    assert measured.watches_open == measured.watch_events_per_s == measured.rejected_per_s == 0


def test_closed_form_follows_the_periods():
    d = HeartbeatDimensions(nodes=5000, status_report_period_s=300)
    naive, improved = api_load(d, "naive"), api_load(d, "improved")
    assert dict(naive.requests_per_s_by_verb)["PATCH"] == 500.0
    assert improved.requests_per_s_by_verb["UPDATE"] == 500.0
    assert improved.requests_per_s_by_verb["PATCH"] == pytest.approx(5000 / 300)
    assert naive.etcd_write_bytes_per_s == 5000 * 20_000 / 10
    # live Nodes and other objects + two intervals
    assert naive.etcd_bytes == 5000 * (20_000 + OTHER_KIB_PER_NODE * KiB) + 600 * 1e7


def test_closed_form_holds_the_other_objects_in_etcd():
    """The cluster's other objects are live data in etcd: 200 KiB more per node is
    nodes × 200 KiB more held, in both versions, and nothing more written."""
    d = HeartbeatDimensions(nodes=2000, other_kib_per_node=0)
    busy = d.replace(other_kib_per_node=200)
    for version in ("naive", "improved"):
        alone, shared = api_load(d, version), api_load(busy, version)
        assert shared.etcd_bytes - alone.etcd_bytes == 2000 * 200 * 1024
        assert shared.etcd_write_bytes_per_s == alone.etcd_write_bytes_per_s


def test_simulate_refuses_clusters_too_large_to_run_event_by_event():
    d = HeartbeatDimensions(nodes=SIMULATE_MAX_NODES + 1)
    with pytest.raises(ValueError, match=rf"nodes must be from 1 to {SIMULATE_MAX_NODES}.*"
                                         rf"got {SIMULATE_MAX_NODES + 1}"):
        simulate(d, "naive")


def test_under_nospace_every_node_looks_dead_and_none_can_be_marked():
    """Once etcd refuses writes, healthy nodes' heartbeats are refused too: the node
    lifecycle controller tries to mark every node NotReady, and etcd refuses that as well."""
    d = HeartbeatDimensions(nodes=50, quota_gib=0.03)       # node 0 fails at 100 s
    sim = simulate(d, "naive")
    assert 100 < 100 + sim.notready_detection_s < sim.nospace_at_s     # marked in time
    later = [w for w in sim.writes if w.kind == "NotReady" and w.t_s > sim.nospace_at_s]
    assert not any(w.accepted for w in later)
    assert {w.node for w in later} == set(range(1, d.nodes))           # every healthy node
    assert min(w.t_s for w in later) > sim.nospace_at_s + d.grace_period_s - 10
