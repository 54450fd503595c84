"""Chapter 2: node heartbeats, naive (NodeStatus every 10 s) vs improved (Lease)."""

import pytest

from kscale_lab.dimensions import DimensionConflict
from kscale_lab.etcd import GiB
from kscale_lab.heartbeats import (
    LEASE_BYTES,
    SIMULATE_MAX_NODES,
    HeartbeatDimensions,
    HeartbeatsModel,
    last_heartbeat_s,
    lease_object,
    node_object_bytes,
    nospace_cliff,
    notready_at_s,
    serialized_bytes,
    simulate,
)
from kscale_lab.units import KiB
from kscale_lab.workload_objects import OTHER_KIB_PER_NODE

MODEL = HeartbeatsModel()


def test_node_object_size_is_calibrated_on_kep_589_and_caps_images_at_50():
    assert node_object_bytes(50, 5) == 20_000
    assert node_object_bytes(80, 5) == node_object_bytes(50, 5)
    assert node_object_bytes(0, 0) < node_object_bytes(10, 0) < node_object_bytes(10, 10)


def test_talk_scale_naive_hits_nospace_improved_does_not():
    """5,000 nodes, 20 KB Nodes, 10 s updates, 5 min compaction, 2 GiB quota (the issue)."""
    c = MODEL.compare(nodes=5000, images_per_node=50, volumes_per_node=5,
                      status_update_period_s=10, compaction_interval_s=300, quota_gib=2)
    assert c.naive.node_object_bytes == 20_000
    # the mechanism: 5,000 × 20 kB / 10 s = 10 MB/s; 2 GiB is reached before any compaction
    assert c.naive.etcd_write_bytes_per_s == pytest.approx(1e7)
    # the quota holds the live Nodes and the cluster's other objects (the default, per node)
    other = OTHER_KIB_PER_NODE * KiB
    expected = (2 * GiB - 5000 * (20_000 + other) - 20_000) / 1e7
    assert c.naive.nospace_at_s == pytest.approx(expected, abs=1.0)
    assert c.naive.etcd_peak_db_bytes <= 2 * GiB
    assert c.improved.nospace_at_s is None
    assert c.improved.etcd_peak_db_bytes - 5000 * other < 0.6 * 2 * GiB
    # the fix is about bytes, not the number of writes: lease renewals are writes too
    assert c.improved.api_writes_per_s > c.naive.api_writes_per_s
    assert c.improved.etcd_write_bytes_per_s < c.naive.etcd_write_bytes_per_s / 5


def test_steady_state_rates_follow_from_the_periods():
    d = HeartbeatDimensions(nodes=1000, status_report_period_s=300)
    naive, improved = MODEL.naive(d), MODEL.improved(d)
    assert naive.api_writes_per_s == pytest.approx(1000 / 10)
    assert improved.api_writes_per_s == pytest.approx(1000 / 10 + 1000 / 300)
    assert improved.etcd_write_bytes_per_s == pytest.approx(
        1000 * LEASE_BYTES / 10 + 1000 * d.node_bytes / 300)


def test_history_between_compactions_is_two_intervals_of_writes():
    d = HeartbeatDimensions(nodes=100, horizon_s=3600)
    out = MODEL.naive(d)
    assert out.history_bytes == pytest.approx(2 * 300 * out.etcd_write_bytes_per_s, rel=0.01)
    assert out.nospace_at_s is None


def test_more_nodes_or_images_reach_nospace_sooner():
    times = [MODEL.naive(HeartbeatDimensions(nodes=n)).nospace_at_s for n in (3000, 4000, 5000)]
    assert times[0] > times[1] > times[2]
    few = MODEL.naive(HeartbeatDimensions(nodes=4000, images_per_node=10)).nospace_at_s
    assert few is None or few > times[1]


def test_a_longer_report_period_means_less_improved_traffic():
    a = MODEL.improved(HeartbeatDimensions(status_report_period_s=60))
    b = MODEL.improved(HeartbeatDimensions(status_report_period_s=300))
    assert b.etcd_write_bytes_per_s < a.etcd_write_bytes_per_s
    assert b.etcd_peak_db_bytes < a.etcd_peak_db_bytes


def test_lease_keeps_liveness_detection_near_the_grace_period():
    for n in (10, 1000):
        c = MODEL.compare(nodes=n, status_report_period_s=300)
        for out in (c.naive, c.improved):
            assert 40 - 10 <= out.notready_detection_s <= 40 + 5
    # status reports alone (no lease): a 40 s grace would flag healthy nodes between
    # 5-minute reports, so the grace period would have to exceed the report period
    with pytest.raises(ValueError, match="grace_period_s must be longer"):
        HeartbeatDimensions(status_update_period_s=300, grace_period_s=40)


def test_nospace_blocks_marking_a_dead_node_notready():
    c = MODEL.compare(nodes=5000, failed_node_at_s=1800)
    assert c.naive.nospace_at_s < 1800
    assert c.naive.notready_detection_s is None
    assert c.improved.notready_detection_s is not None


def test_notready_check_arithmetic():
    assert last_heartbeat_s(3.0, 10, 100.0) == 93.0
    assert last_heartbeat_s(3.0, 10, 2.0) is None
    assert notready_at_s(93.0, 40) == 135      # first 5 s tick with now - 93 > 40


@pytest.mark.parametrize("kw", [
    dict(nodes=50, quota_gib=0.03),
    dict(nodes=50, quota_gib=0.05, status_report_period_s=10),
    dict(nodes=120, quota_gib=0.04, failed_node_at_s=900, images_per_node=20),
    dict(nodes=40, compaction_interval_s=60, failed_node_at_s=400, horizon_s=1200),
])
@pytest.mark.parametrize("version", ["naive", "improved"])
def test_simpy_and_vectorised_models_agree(kw, version):
    """Tolerances: NOSPACE within 1 s; peak database within 0.5 %; detection exactly."""
    d = HeartbeatDimensions(**kw)
    sim = simulate(d, version)
    out = MODEL.run(d, version)
    assert (sim.nospace_at_s is None) == (out.nospace_at_s is None)
    if sim.nospace_at_s is not None:
        assert out.nospace_at_s == pytest.approx(sim.nospace_at_s, abs=1.0)
    assert out.etcd_peak_db_bytes == pytest.approx(sim.db_size_bytes.max(), rel=0.005)
    assert out.notready_detection_s == sim.notready_detection_s


def test_simulation_records_the_mechanism():
    d = HeartbeatDimensions(nodes=5, horizon_s=120, failed_node_at_s=30)
    naive = simulate(d, "naive")
    kinds = {w.kind for w in naive.writes}
    assert kinds == {"NodeStatus", "NotReady"}
    assert all(w.t_s < 30 for w in naive.writes if w.node == 0 and w.kind == "NodeStatus")
    improved = simulate(d, "improved")
    assert {w.kind for w in improved.writes} == {"Lease", "NodeStatus", "NotReady"}
    leases = [w for w in improved.writes if w.kind == "Lease" and w.node == 1]
    assert len(leases) == 12 and all(w.size_bytes == LEASE_BYTES for w in leases)
    with pytest.raises(ValueError, match="version must be 'naive' or 'improved'"):
        simulate(d, "fast")


def test_figure_draws_both_versions_and_the_quota():
    import matplotlib.pyplot as plt

    fig = MODEL.figure()
    ax = fig.axes[0]
    assert len(ax.lines) >= 5              # two versions × (db, in use) + quota + marker
    assert "etcd database size" in ax.get_ylabel()
    plt.close(fig)


# --- the Lease's size, measured ---------------------------------------------------------------

def test_the_lease_is_the_slides_object_and_a_few_hundred_bytes():
    lease = lease_object()
    assert (lease["kind"], lease["metadata"]["namespace"]) == ("Lease", "kube-node-lease")
    assert set(lease["spec"]) == {"holderIdentity", "leaseDurationSeconds", "renewTime"}
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert 200 <= LEASE_BYTES <= 1000
    full = lease_object(full_spec=True)
    assert set(full["spec"]) - set(lease["spec"]) == {"acquireTime", "leaseTransitions"}
    assert 0 < serialized_bytes(full) - LEASE_BYTES < 100


def test_serialized_bytes_counts_utf8_bytes_of_compact_json():
    assert serialized_bytes({"a": 1}) == len('{"a":1}')
    assert serialized_bytes({"a": "é"}) == len('{"a":"\\u00e9"}')   # ASCII-escaped


def test_node_object_bytes_refuses_impossible_counts():
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError, match="must be a whole number of at least 0"):
            node_object_bytes(bad, 0)
        with pytest.raises(ValueError, match="volumes"):
            node_object_bytes(0, bad)


# --- the cliff, exact ---------------------------------------------------------------------------

def test_the_nospace_cliff_is_exact_and_agrees_with_the_closed_form():
    cliff = nospace_cliff()
    d = HeartbeatDimensions()
    assert MODEL.naive(d.replace(nodes=cliff)).nospace_at_s is not None
    assert MODEL.naive(d.replace(nodes=cliff - 1)).nospace_at_s is None
    # by hand: two compaction intervals of heartbeats + the live Nodes and other objects +
    # one write's headroom
    by_hand = (d.quota_bytes - d.node_bytes) / (
        d.node_bytes * (1 + 2 * d.compaction_interval_s / d.status_update_period_s)
        + OTHER_KIB_PER_NODE * KiB)
    assert cliff == pytest.approx(by_hand, rel=0.005)


def test_the_chapter_the_lab_and_the_exercise_use_the_same_cliff():
    from kscale_lab.exercises import heartbeats as ex

    for dims in (ex.Q3_CLUSTER, ex.Q3_FASTER, ex.Q4_CLUSTER):
        assert ex._cliff(dims) == nospace_cliff(dims)


def test_cliffs_in_other_dimensions_and_none_when_never():
    vol = nospace_cliff(HeartbeatDimensions(), "volumes_per_node", "improved")
    d = HeartbeatDimensions()
    assert MODEL.improved(d.replace(volumes_per_node=vol)).nospace_at_s is not None
    assert MODEL.improved(d.replace(volumes_per_node=vol - 1)).nospace_at_s is None
    # 8 GiB holds two intervals of 5,000 full Nodes every 10 s: no image count hits NOSPACE
    assert nospace_cliff(HeartbeatDimensions(quota_gib=8.0), "images_per_node") is None
    with pytest.raises(ValueError, match="whole-number dimension"):
        nospace_cliff(d, "quota_gib")


# --- combinations that are each valid but jointly absurd ---------------------------------------

@pytest.mark.parametrize("version", ["naive", "improved"])
def test_a_failure_in_the_last_second_is_still_detected_after_the_run(version):
    d = HeartbeatDimensions(nodes=100, failed_node_at_s=3599, horizon_s=3600)
    out = MODEL.run(d, MODEL.version(version))
    assert out.notready_detection_s is not None
    assert 0 < out.notready_detection_s <= d.grace_period_s + 5


def test_live_objects_beyond_the_quota_are_refused_naming_every_value_involved():
    with pytest.raises(DimensionConflict) as err:
        HeartbeatDimensions(nodes=15_000, other_kib_per_node=2048)
    assert {"nodes", "other_kib_per_node", "quota_gib"} <= set(err.value.fields)
    assert "do not fit in the etcd quota" in str(err.value)


def test_a_lease_duration_that_is_not_a_multiple_of_4_is_refused():
    with pytest.raises(ValueError, match="multiple of 4"):
        HeartbeatDimensions(lease_duration_s=42)
    assert HeartbeatDimensions(lease_duration_s=44).lease_renew_s == 11


def test_the_event_by_event_model_refuses_clusters_too_big_for_it():
    with pytest.raises(ValueError, match=f"nodes must be from 1 to {SIMULATE_MAX_NODES}"):
        simulate(HeartbeatDimensions(nodes=SIMULATE_MAX_NODES + 1))


# --- a detection after the end of the run is flagged ---------------------------------------------

def test_a_mark_after_the_simulated_time_is_flagged_as_after_the_run():
    """Node 0 fails 1 s before the end of the hour: its mark comes ~40 s later, after the run
    (by hand: the grace period alone outlasts the 1 s left)."""
    d = HeartbeatDimensions(nodes=100, failed_node_at_s=3599)
    for out in (MODEL.naive(d), MODEL.improved(d)):
        assert d.failed_node_at_s + out.notready_detection_s > d.horizon_s
        assert out.metrics()["detected_after_run"] is True


def test_a_mark_within_the_simulated_time_is_not_flagged():
    d = HeartbeatDimensions(nodes=100, failed_node_at_s=100)
    for out in (MODEL.naive(d), MODEL.improved(d)):
        assert d.failed_node_at_s + out.notready_detection_s <= d.horizon_s
        assert out.metrics()["detected_after_run"] is False


def test_no_mark_under_nospace_has_no_after_the_run_flag():
    out = MODEL.naive(HeartbeatDimensions(nodes=5000, failed_node_at_s=1800))
    assert out.notready_detection_s is None and out.detected_after_run is None
