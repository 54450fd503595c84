"""Chapter 9, the capstone: the release table, the mappings, each chapter's headroom against a
hand derivation, what bites first, the room to grow, and the toy cluster on one control
plane against the sum of the closed forms — one invariant per test."""

from __future__ import annotations

import json
import math

import pytest

from kscale_lab.capstone import CapstoneDimensions, CapstoneModel, assess, endpoint_changes_per_s
from kscale_lab.capstone.headroom import MECHANISMS
from kscale_lab.capstone.tour import (
    SAME_NODES,
    SWEEP_RELEASES,
    TOUR,
    first_clear_release,
    gains,
    over_releases,
    room,
)
from kscale_lab.capstone.toy import SIMULATE_MAX_NODES, simulate
from kscale_lab.cli import main
from kscale_lab.control_plane.load import VERBS
from kscale_lab.dimensions import DimensionConflict
from kscale_lab.endpoints import backends, endpoints_object, protobuf_bytes
from kscale_lab.heartbeats import LEASE_BYTES, HeartbeatDimensions, HeartbeatsModel
from kscale_lab.kube_proxy.iptables import FIXED_RULES
from kscale_lab.versions import FIXES, RELEASES, TODAY, parse_version, release

MODEL = CapstoneModel()
GiB, MiB = 2**30, 2**20
NODE_BYTES = 4500 + 50 * 280 + 5 * 300          # chapter 2's Node: 50 images, 5 volumes
#: A small cluster the toy can run: 20 nodes of 10 pods, 20 services, a pod a second.
TOY = CapstoneDimensions(version="1.11", nodes=20, pods_per_node=10, services=20,
                         backends_per_service=10, pod_churn=1, hot_objects_per_node=0.0,
                         quota_gib=1.0)


# --- the release table -----------------------------------------------------------------------

#: The facts file, typed out by hand: (release, Lease on, report period, secrets strategy,
#: Go client that blocks, bookmarks, kube-proxy reads slices, APF on).
FACTS = [
    ("1.11", False, 10, "Cache", False, False, False, False),
    ("1.12", False, 10, "Watch", True, False, False, False),
    ("1.12.7", False, 10, "Cache", False, False, False, False),
    ("1.13", False, 10, "Watch", True, False, False, False),
    ("1.13.5", False, 10, "Cache", False, False, False, False),
    ("1.14", True, 60, "Cache", False, False, False, False),
    ("1.14.2", True, 60, "Watch", False, False, False, False),
    ("1.15", True, 60, "Watch", False, False, False, False),
    ("1.16", True, 60, "Watch", False, True, False, False),
    ("1.17", True, 300, "Watch", False, True, False, False),
    ("1.19", True, 300, "Watch", False, True, True, False),
    ("1.20", True, 300, "Watch", False, True, True, True),
    ("1.35", True, 300, "Watch", False, True, True, True),
]


@pytest.mark.parametrize("row", FACTS, ids=[r[0] for r in FACTS])
def test_each_release_runs_what_the_facts_file_says(row):
    name, lease, report, strategy, blocking, bookmarks, slices, apf = row
    r = release(name)
    assert (r.node_lease, r.node_status_report_frequency_s, r.secrets_strategy,
            r.go_client == "go1.10", r.watch_bookmarks, r.endpoint_slices, r.apf) == \
        (lease, report, strategy, blocking, bookmarks, slices, apf)


def test_the_grace_period_is_40_s_until_1_31_and_50_s_from_1_32():
    assert [release(v).node_monitor_grace_period_s for v in ("1.31", "1.32")] == [40, 50]


def test_every_fix_names_a_source_and_a_release_the_table_covers():
    for fix in FIXES:
        assert fix.source and parse_version(fix.since) <= parse_version(TODAY), fix.key


def test_a_release_outside_the_table_is_refused_with_the_range():
    for bad in ("1.10", "1.36", "2.0", "latest"):
        with pytest.raises(ValueError, match=f"1.11 to {TODAY}|from 1.11 to"):
            parse_version(bad)


def test_moving_from_1_13_to_today_changes_every_modelled_chapter_but_the_scheduler_knobs():
    changed = {name for name, _, _ in release("1.13").differences(release(TODAY))}
    assert {"node_lease", "go_client", "watch_bookmarks", "endpoint_slices", "apf",
            "iptables_restore"} <= changed
    assert "secrets_strategy" not in changed            # Watch on both, with different clients


# --- the mappings -----------------------------------------------------------------------------

def test_endpoint_changes_are_the_churn_times_the_share_of_pods_that_back_a_service():
    d = CapstoneDimensions(nodes=100, pods_per_node=30, services=50, backends_per_service=20,
                           pod_churn=10)
    assert endpoint_changes_per_s(d) == pytest.approx(10 * 50 * 20 / 3000)


def test_more_backends_than_pods_is_refused_naming_the_fields():
    with pytest.raises(DimensionConflict) as err:
        CapstoneDimensions(nodes=2, pods_per_node=3, backends_per_service=10)
    assert set(err.value.fields) == {"backends_per_service", "nodes", "pods_per_node"}


def test_a_cluster_whose_nodes_do_not_fit_in_the_quota_is_refused_in_the_capstones_terms():
    with pytest.raises(DimensionConflict) as err:
        CapstoneDimensions(nodes=15_000, quota_gib=0.01)
    assert "quota_gib" in err.value.fields and "nodes" in err.value.fields


# --- each chapter's headroom, by hand ---------------------------------------------------------

def test_heartbeats_headroom_is_the_history_of_two_compaction_intervals_over_the_quota():
    n = 3000
    held = n * NODE_BYTES + 2 * 300 * n * NODE_BYTES / 10         # live + 600 s of 10-s writes
    h = assess(CapstoneDimensions(nodes=n), "1.13").by_key("heartbeats")
    assert h.ratio == pytest.approx(held / (2 * GiB), rel=1e-9)


def test_heartbeats_with_the_lease_count_the_lease_and_the_5_minute_report_on_1_17():
    n = 3000
    per_s = n * (LEASE_BYTES / 10 + NODE_BYTES / 300)
    held = n * (NODE_BYTES + LEASE_BYTES) + 600 * per_s
    h = assess(CapstoneDimensions(nodes=n), "1.17").by_key("heartbeats")
    assert h.ratio == pytest.approx(held / (2 * GiB), rel=1e-9)


@pytest.mark.parametrize("nodes", [800, 1200, 2500, 4000])
def test_heartbeats_past_their_limit_exactly_when_chapter_2_predicts_nospace(nodes):
    broken = assess(CapstoneDimensions(nodes=nodes), "1.12.7").by_key("heartbeats").broken
    sim = HeartbeatsModel().naive(HeartbeatDimensions(nodes=nodes, horizon_s=3600))
    assert broken is (sim.nospace_at_s is not None)


def test_secrets_on_1_13_need_a_stream_per_object_and_one_for_the_heartbeat():
    d = CapstoneDimensions(pods_per_node=100, objects_per_pod=4)
    objects = 100 * 3 + 1                                  # own 3 per pod, 1 shared
    h = assess(d, "1.13").by_key("secrets")
    assert (h.value, h.ratio) == (objects + 1, pytest.approx((objects + 1) / 250))


def test_secrets_polling_asks_for_gets_per_second_times_the_seat_time():
    # 5,000 nodes: the TTL controller's 300 s; a pod's own object is fetched at the first
    # 60-s sync past the TTL (360 s), the node's shared one every 300 s + 60 s / 30 pods.
    d = CapstoneDimensions(nodes=5000, pods_per_node=30, objects_per_pod=4)
    gets = 5000 * (30 * 3 / 360 + 1 / (300 + 60 / 30))
    h = assess(d, "1.13.5").by_key("secrets")
    assert h.ratio == pytest.approx(gets * 0.010 / 400, rel=0.01)


def test_secrets_with_a_go_1_12_client_have_no_limit_that_breaks():
    d = CapstoneDimensions(pods_per_node=110, objects_per_pod=10)
    assert assess(d, "1.14.2").by_key("secrets").ratio == 0.0


def test_kube_proxy_in_iptables_mode_asks_for_one_full_restore_per_second():
    d = CapstoneDimensions(services=3000, backends_per_service=10)
    sync_s = 0.005 + 14e-6 * (FIXED_RULES + 3000 * (1 + 3 * 10))   # chapter 4's costs
    assert assess(d, "1.13").by_key("kube-proxy").ratio == pytest.approx(sync_s, rel=1e-9)


def test_kube_proxy_in_ipvs_mode_is_busy_one_netlink_operation_per_change():
    d = CapstoneDimensions(proxy_mode="ipvs")
    changes = endpoint_changes_per_s(d)
    assert assess(d, "1.13").by_key("kube-proxy").ratio == pytest.approx(changes * 100e-6)


def test_the_scheduler_is_judged_on_throughput_alone_above_the_slos_churn():
    h = assess(CapstoneDimensions(version=TODAY, pod_churn=60), TODAY).by_key("scheduler")
    assert (h.unit, h.ratio) == ("pods/s", pytest.approx(60 / 50))     # the 50-qps client


def test_events_without_hot_objects_are_six_per_pod_started_in_the_hour():
    d = CapstoneDimensions(pod_churn=20, hot_objects_per_node=0.0)
    h = assess(d, "1.13").by_key("events")
    assert h.value == 6 * 20 * 3600 and h.ratio == pytest.approx(0.432)


def test_a_kubelets_pod_watch_backlog_is_one_over_the_selectivity_against_50_per_node():
    for n in (10, 5000):
        h = assess(CapstoneDimensions(nodes=n), "1.13").by_key("watch")
        assert h.ratio == pytest.approx((n - 1) / max(1000, 50 * n), rel=1e-9)


def test_the_endpoints_object_is_measured_against_etcds_request_limit():
    d = CapstoneDimensions(backends_per_service=2000)
    measured = protobuf_bytes(endpoints_object("web", backends("web", 2000)))
    h = assess(d, "1.13").by_key("endpoints")
    assert h.value == pytest.approx(measured, rel=0.02)
    assert h.ratio == pytest.approx(h.value / (1.5 * MiB))


def test_the_mutating_pool_holds_every_chapters_writes_before_apf():
    d = CapstoneDimensions(nodes=5000, pod_churn=20, hot_objects_per_node=0.0)
    o = assess(d, "1.13")
    writes = 5000 / 10 + 6 * 20 + 20 + endpoint_changes_per_s(d)   # heartbeats, events,
    assert o.by_key("priority").ratio == pytest.approx(writes * 0.010 / 200, rel=1e-6)


def test_under_apf_only_the_kubelets_requests_share_the_heartbeats_level():
    d = CapstoneDimensions(nodes=5000, pod_churn=20, hot_objects_per_node=0.0)
    o = assess(d, TODAY)
    kubelets = 5000 / 10 + 5000 / 300 + 6 * 20 + o.loads["watch"].requests_per_s_by_verb["LIST"]
    assert o.by_key("priority").ratio == pytest.approx(kubelets * 0.010 / 98, rel=1e-6)


# --- what bites first -------------------------------------------------------------------------

def test_the_first_bottleneck_is_the_most_broken_mechanism():
    o = assess(TOUR["5,000 nodes on 1.13"], "1.13")
    worst = max((h for h in o.headrooms if h.key in MECHANISMS), key=lambda h: h.ratio)
    assert o.first_bottleneck == worst.key and worst.ratio > 1


def test_the_envelope_is_reported_but_never_named_first():
    o = assess(CapstoneDimensions(nodes=1500, pods_per_node=100), "1.13")
    assert o.headroom["envelope"] > max(o.headroom[k] for k in MECHANISMS)
    assert o.first_bottleneck != "envelope" and not o.within_envelope


def test_nothing_bites_first_when_every_ratio_is_within_its_limit():
    o = assess(CapstoneDimensions(version=TODAY), TODAY)
    assert o.first_bottleneck is None and max(o.headroom[k] for k in MECHANISMS) <= 1


def test_when_only_the_shared_quota_breaks_the_chapter_holding_most_of_it_is_named():
    # 8,445 nodes of 40 pods, 1,000 services of 120 backends (IPVS) on 1.14.2: the Leases'
    # and the Endpoints' bytes fill the main etcd together, neither alone
    d = CapstoneDimensions(version="1.14.2", nodes=8445, pods_per_node=40, services=1000,
                           backends_per_service=120, pod_churn=15, hot_objects_per_node=0.0,
                           proxy_mode="ipvs")
    o = assess(d, "1.14.2")
    hb, ep = o.loads["heartbeats"].etcd_bytes, o.loads["endpoints"].etcd_bytes
    assert max(o.headroom[k] for k in MECHANISMS) < 1 < (hb + ep) / GiB / 2
    assert o.first_bottleneck == ("heartbeats" if hb > ep else "endpoints")


def test_the_toy_refuses_a_cluster_too_big_to_run_event_by_event():
    with pytest.raises(ValueError, match="nodes must be from 1 to 50"):
        simulate(TOY.replace(nodes=51))


def test_two_clusters_with_the_same_nodes_and_release_break_in_different_chapters():
    firsts = [assess(d, d.version).first_bottleneck for d in SAME_NODES.values()]
    assert len({d.nodes for d in SAME_NODES.values()}) == 1
    assert None not in firsts and len(set(firsts)) == 2


def test_the_heartbeats_never_get_worse_as_releases_move_forward():
    ratios = [o.headroom["heartbeats"] for o in over_releases(TOUR["5,000 nodes on 1.13"],
                                                              SWEEP_RELEASES).values()]
    assert all(b <= a for a, b in zip(ratios, ratios[1:]))


def test_the_first_release_without_a_broken_mechanism_is_the_first_with_the_lease():
    assert first_clear_release(TOUR["5,000 nodes on 1.13"]) == "1.14"


def test_gains_are_infinite_where_a_limit_stops_applying():
    assert gains(CapstoneDimensions(pods_per_node=100), "1.13")["secrets"] == math.inf


# --- room to grow -----------------------------------------------------------------------------

@pytest.mark.parametrize("dimension", ["nodes", "services", "pod_churn"])
def test_room_ends_where_one_more_breaks_something(dimension):
    d = CapstoneDimensions(version="1.13.5", nodes=1000)
    r = room(d, dimension)
    assert assess(d.replace(**{dimension: r.largest}), "1.13.5").first_bottleneck is None
    assert assess(d.replace(**{dimension: r.largest + 1}),
                  "1.13.5").first_bottleneck == r.first


def test_room_is_zero_for_a_cluster_broken_already():
    r = room(TOUR["5,000 nodes on 1.13"], "nodes")
    assert r.largest is None and r.factor == 0 and r.first == "heartbeats"


# --- the command line -------------------------------------------------------------------------

def test_json_has_the_first_bottleneck_headroom_and_load_by_chapter_per_side(capsys):
    assert main(["run", "capstone", "--nodes", "2000", "--version", "1.11", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    side = data["naive"]
    assert side["first_bottleneck"] == "heartbeats"
    assert set(side["headroom"]) == set(side["load_by_chapter"]) == {"envelope", *MECHANISMS}
    assert set(side["load_by_chapter"]["heartbeats"]["requests_per_s_by_verb"]) == set(VERBS)


@pytest.mark.parametrize("command", [["run", "capstone"], ["bottleneck"]])
def test_json_answers_at_the_top_for_the_release_picked_not_todays(command, capsys):
    # the command: 5,000 nodes on 1.13, whose NodeStatus heartbeats (no Lease by
    # default before 1.14, facts file) fill the quota, while today's release breaks nothing
    assert main([*command, "--nodes", "5000", "--version", "1.13", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"release", "first_bottleneck", "headroom", "load_by_chapter"} <= set(data)
    assert data["release"] == "1.13" and data["first_bottleneck"] == "heartbeats"
    assert data["headroom"]["heartbeats"] > 1 >= data["improved"]["headroom"]["heartbeats"]
    assert data["improved"]["first_bottleneck"] != data["first_bottleneck"]
    assert set(data["headroom"]) == set(data["load_by_chapter"]) == {"envelope", *MECHANISMS}
    assert data["load_by_chapter"]["heartbeats"]["requests_per_s_by_verb"]["PATCH"] == \
        pytest.approx(5000 / 10)            # one NodeStatus PATCH per node every 10 s


def test_kscale_bottleneck_prints_what_kscale_run_capstone_prints(capsys):
    args = ["--nodes", "3000", "--version", "1.14", "--json"]
    main(["run", "capstone", *args])
    first = capsys.readouterr().out
    assert main(["bottleneck", *args]) == 0
    assert capsys.readouterr().out == first


# --- the toy cluster on one control plane -----------------------------------------------------

@pytest.fixture(scope="module", params=["naive", "improved"])
def toy(request):
    return simulate(TOY, request.param), request.param


def test_the_toy_is_a_cluster_the_event_by_event_run_allows():
    assert TOY.nodes <= SIMULATE_MAX_NODES


def test_the_toys_measured_requests_are_the_sum_of_the_closed_forms(toy):
    # tolerance, stated before comparing: every verb within 10 % (a Poisson workload and
    # watch restarts over half an hour), or within 0.01 req/s for a verb hardly used
    run, side = toy
    closed = assess(TOY, run.release).load
    for verb in VERBS:
        measured, expected = (run.load.requests_per_s_by_verb[verb],
                              closed.requests_per_s_by_verb[verb])
        assert measured == pytest.approx(expected, rel=0.10, abs=0.01), (side, verb)


def test_the_toys_measured_bytes_are_the_sum_of_the_closed_forms(toy):
    # tolerance, stated before comparing: etcd write bytes and watch bytes within 5 %
    run, side = toy
    closed = assess(TOY, run.release).load
    assert run.load.etcd_write_bytes_per_s == pytest.approx(closed.etcd_write_bytes_per_s,
                                                            rel=0.05)
    assert run.load.watch_bytes_per_s == pytest.approx(closed.watch_bytes_per_s, rel=0.05)


def test_the_toy_holds_as_many_watches_open_as_the_closed_forms_count(toy):
    run, side = toy
    assert run.load.watches_open == pytest.approx(assess(TOY, run.release).load.watches_open)


def test_the_toy_fills_a_small_quota_on_1_11_and_not_on_today_as_the_ratio_says():
    small = TOY.replace(quota_gib=0.02)
    assert assess(small, "1.11").first_bottleneck == "heartbeats"
    assert assess(small, TODAY).first_bottleneck is None
    naive, improved = (simulate(small, side, warm_s=0.0, horizon_s=1200)
                       for side in ("naive", "improved"))
    assert naive.nospace_at_s is not None and improved.nospace_at_s is None


def test_a_sweep_over_releases_plays_one_frame_per_release():
    from kscale_lab.player import sweep_player

    html = sweep_player(MODEL, "version", ["1.11", "1.14", TODAY], nodes=3000).data
    assert html.count("data:image/png;base64") == 3


@pytest.mark.parametrize("module", ["kscale_lab.versions", "kscale_lab.capstone.model"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_every_release_offered_is_one_the_table_reads():
    assert all(release(v).name == v for v in RELEASES)
