"""Chapter 9 exercises: each expected answer against an independent computation (the limits
worked out by hand from the facts and the chapters' published costs), the right answers
pass, and the typical wrong ones get the message meant for them."""

import math

import pytest
from answer_key import expected

from kscale_lab.capstone import assess
from kscale_lab.capstone.tour import room
from kscale_lab.endpoints import per_change
from kscale_lab.exercises import capstone as ex
from kscale_lab.heartbeats import LEASE_BYTES
from kscale_lab.kube_proxy.iptables import FIXED_RULES
from kscale_lab.versions import TODAY

GiB = 2**30
NODE = 4500 + 50 * 280 + 5 * 300                 # chapter 2's calibrated Node object
QUOTA = 2 * GiB
SYNC_BASE_S, PER_RULE_S = 0.005, 7e-6            # chapter 4's costs (per rule held/written)


def test_q1_is_the_nodes_and_two_intervals_of_their_history_over_the_quota():
    n = 3000
    assert expected(ex.q1) == pytest.approx(n * NODE * (1 + 600 / 10) / QUOTA, rel=1e-9)


def test_q2_the_kubelets_streams_are_past_250_while_the_heartbeats_fit():
    objects = 90 * 3 + 1                               # 3 own per pod, 1 shared per node
    assert (objects + 1) / 250 > 1
    assert 1200 * NODE * 61 / QUOTA < 1
    assert expected(ex.q2) == "secrets"


def test_q3_only_the_switch_back_to_polling_happened_in_1_13_5():
    # the talk: watch enabled till 1.13.4, disabled from 1.13.5; Go 1.12 with 1.14.2; the
    # Lease on from 1.14; streams per connection 250, then 100 (late 2023)
    assert expected(ex.q3) == "b"


def test_q4_kube_proxys_partial_restore_buys_more_than_the_lease():
    s, b = 12_000, 5
    held = FIXED_RULES + s * (1 + 3 * b)
    full = SYNC_BASE_S + 2 * PER_RULE_S * held                       # 1.13: full restore
    changes = 20.0                                   # every pod backs a service
    changed = changes + math.exp(-changes)           # services changed per 1-s sync
    partial = SYNC_BASE_S + PER_RULE_S * (s + 1 + changed * 3 * b) + PER_RULE_S * held
    lease = 1500 * (NODE + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + NODE / 300))
    heartbeats_drop = 1500 * NODE * 61 / QUOTA - lease / QUOTA
    assert full - partial > heartbeats_drop
    before, today = assess(ex.Q4_CLUSTER, ex.Q4_CLUSTER.version), assess(ex.Q4_CLUSTER, TODAY)
    kube_proxy_drop = before.headroom["kube-proxy"] - today.headroom["kube-proxy"]
    assert kube_proxy_drop == pytest.approx(full - partial, rel=0.01)
    assert expected(ex.q4) == "kube-proxy"


def test_q5_churn_has_the_most_room_by_hand():
    churn = 1_000_000 / (6 * 3600) / 15              # events: six per pod within their hour
    services = ((1 - SYNC_BASE_S) / (2 * PER_RULE_S) - FIXED_RULES) / (1 + 3 * 8) / 2500
    backends = (((1 - SYNC_BASE_S) / (2 * PER_RULE_S) - FIXED_RULES) / 2500 - 1) / 3 / 8
    rooms = {dim: room(ex.Q5_CLUSTER, dim).factor for dim in ex.Q5_CHOICES}
    assert rooms["pod_churn"] == pytest.approx(math.floor(churn * 15) / 15)
    assert rooms["services"] == pytest.approx(math.floor(services * 2500) / 2500)
    assert rooms["backends_per_service"] == pytest.approx(math.floor(backends * 8) / 8)
    assert rooms["nodes"] < rooms["pod_churn"] and expected(ex.q5) == "pod_churn"


def test_q6_the_nodes_stop_where_heartbeats_and_endpoints_fill_the_quota_together():
    d = ex.Q6_CLUSTER
    endpoints = per_change(d.backends_per_service, "naive")["object_bytes"]   # chapter 8's

    def held(n: int) -> float:
        heartbeats = n * (NODE + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + NODE / 60))
        changes = d.pod_churn * min(1.0, d.services * d.backends_per_service / (n * 40))
        return heartbeats + d.services * endpoints + 600 * changes * endpoints

    by_hand = max(n for n in range(7000, 9500) if held(n) <= QUOTA)
    alone = int(QUOTA / (NODE + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + NODE / 60)))
    assert expected(ex.q6) == by_hand and by_hand < 0.99 * alone   # told apart at 1 %


def test_q7_the_first_release_with_the_lease_clears_every_limit():
    # the NodeStatus history is past the quota on every release before 1.14 ...
    assert 2500 * NODE * 61 / QUOTA > 1
    # ... and the Lease with 1-minute reports fits at 2,500 nodes
    assert 2500 * (NODE + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + NODE / 60)) < QUOTA
    assert expected(ex.q7) == "1.14"


def test_q8_the_services_where_a_partial_restore_takes_a_second():
    b, pods = 12, 5000 * 30

    def sync_s(s: int) -> float:
        rate = 20 * min(1.0, s * b / pods)
        changed = 1.0
        for _ in range(8):                           # services changed per sync, settled
            gap = max(1.0, SYNC_BASE_S + PER_RULE_S * (s + 1 + changed * 3 * b)
                      + PER_RULE_S * (FIXED_RULES + s * (1 + 3 * b)))
            changed = rate * gap + math.exp(-rate * gap)
        return (SYNC_BASE_S + PER_RULE_S * (s + 1 + changed * 3 * b)
                + PER_RULE_S * (FIXED_RULES + s * (1 + 3 * b)))

    by_hand = max(s for s in range(3000, 4500) if sync_s(s) <= 1.0)
    assert expected(ex.q8) == pytest.approx(by_hand, abs=1)


@pytest.mark.parametrize("q, right", [(ex.q1, None), (ex.q2, None), (ex.q3, None),
                                      (ex.q4, None), (ex.q5, None), (ex.q6, None),
                                      (ex.q7, None), (ex.q8, None)])
def test_the_right_answer_passes(q, right, capsys):
    expected_answer = expected(q)
    assert q(expected_answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong, says", [
    (ex.q1, 3000 * NODE * 31 / QUOTA, "previous tick"),
    (ex.q2, "heartbeats", "fits the quota"),
    (ex.q3, "a", "1.14.2"),
    (ex.q3, "c", "alpha"),
    (ex.q4, "heartbeats", "Lease helps every cluster"),
    (ex.q5, "nodes", "shared etcd quota"),
    (ex.q7, "1.13.5", "heartbeat"),
    (ex.q8, int((1 - SYNC_BASE_S) / (2 * PER_RULE_S) / 37), "full restore"),
])
def test_a_typical_wrong_answer_gets_its_explanation(q, wrong, says, capsys):
    assert q(wrong) is False
    assert says in capsys.readouterr().out


def test_q6_the_heartbeats_alone_are_named_as_such(capsys):
    alone = int(QUOTA / (NODE + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + NODE / 60)))
    assert ex.q6(alone) is False
    assert "heartbeats alone" in capsys.readouterr().out
