"""Chapter 2 exercises: each expected answer against a derivation by hand (closed forms from
the mechanism: bytes per write × writes per second × the history etcd holds), the right
answers pass, and the typical wrong ones get the message meant for them."""

import pytest
from answer_key import expected

from kscale_lab.etcd import Etcd
from kscale_lab.exercises import heartbeats as ex
from kscale_lab.heartbeats import LEASE_BYTES
from kscale_lab.workload_objects import OTHER_KIB_PER_NODE

MiB, GiB, KiB = 2**20, 2**30, 1024
COMPACTION_S, UPDATE_S, REPORT_S, RENEW_S = 300, 10, 60, 10


def node_bytes(images, volumes):
    """The lab's Node: 4,500 B + 280 B per image + 300 B per volume (its calibration)."""
    return 4500 + 280 * min(images, 50) + 300 * volumes


def naive_cliff(node, quota, other=0.0, compaction_s=COMPACTION_S):
    """Nodes whose live objects plus two compaction intervals of heartbeats fill the quota."""
    per_node = 2 * compaction_s * node / UPDATE_S + node + other
    return quota / per_node


def improved_per_node(node, report_s=REPORT_S, renew_s=RENEW_S, compaction_s=COMPACTION_S):
    history = 2 * compaction_s * (node / report_s + LEASE_BYTES / renew_s)
    return history + node + LEASE_BYTES


def test_q1_is_nodes_times_node_size_over_the_period():
    assert expected(ex.q1) == pytest.approx(1200 * node_bytes(30, 12) / UPDATE_S / MiB)


def test_q2_only_the_bytes_claim_holds():
    nodes = 3000
    assert nodes / RENEW_S + nodes / REPORT_S > nodes / UPDATE_S          # more writes
    assert LEASE_BYTES / RENEW_S + node_bytes(50, 5) / REPORT_S \
        < node_bytes(50, 5) / UPDATE_S                                    # fewer bytes
    db = Etcd(quota_bytes=10**6)                                          # every write is kept
    db.put("/registry/leases/kube-node-lease/n", LEASE_BYTES)
    db.put("/registry/leases/kube-node-lease/n", LEASE_BYTES)
    assert db.versions("/registry/leases/kube-node-lease/n") == 2
    assert expected(ex.q2) == "b"


def test_q3_halving_the_interval_about_doubles_the_cliff():
    node = node_bytes(50, 5)
    # the default cluster's other objects (its live data) do not shrink with the interval,
    # so the cliff grows a little less than twofold
    other = OTHER_KIB_PER_NODE * KiB
    ratio = (naive_cliff(node, 2 * GiB, other, compaction_s=150)
             / naive_cliff(node, 2 * GiB, other))
    assert 1.33 < ratio < 2.0
    assert ex._cliff(ex.Q3_FASTER) / ex._cliff(ex.Q3_CLUSTER) == pytest.approx(ratio, rel=0.02)
    assert expected(ex.q3) == "c"


def test_q4_the_cliff_counts_the_other_objects():
    by_hand = naive_cliff(node_bytes(20, 0), 4 * GiB, other=100 * KiB)  # 5,977.7
    assert expected(ex.q4) == pytest.approx(by_hand, rel=0.002)
    assert not ex.nospace_within_horizon(expected(ex.q4) - 1, ex.Q4_CLUSTER)


def test_q5_the_cluster_is_past_its_cliff_before_the_node_dies():
    assert naive_cliff(node_bytes(40, 8), 2 * GiB, OTHER_KIB_PER_NODE * KiB) < 2600
    assert ex.MODEL.naive(ex.Q5_CLUSTER).nospace_at_s < ex.Q5_CLUSTER.failed_node_at_s
    assert expected(ex.q5) is None


@pytest.mark.parametrize("key, changes, survives", [
    ("base", {}, False),
    ("a", {"renew_s": 20}, False),
    ("b", {"report_s": 300}, True),
    ("d", {"compaction_s": 600}, False),
])
def test_q6_only_the_report_period_brings_the_cluster_under_the_quota(key, changes, survives):
    per_node = improved_per_node(node_bytes(50, 100), **changes) + OTHER_KIB_PER_NODE * KiB
    assert (4200 * per_node < 2 * GiB) is survives


def test_q6_expected_is_the_report_period():
    assert expected(ex.q6) == "b"


def test_q7_the_worst_delay_is_the_grace_period_plus_at_most_one_check():
    grace, check = 50, 5
    assert grace <= expected(ex.q7) <= grace + check
    # the worst case dies just after a Lease renewal: brute force over the renewal phase
    renew = ex.Q7_CLUSTER.lease_renew_s
    worst = max((int(p_s + grace) // check + 1) * check - p_s
                for p_s in (i / 100 for i in range(100 * renew)))
    assert expected(ex.q7) <= worst <= grace + check


def test_q8_etcd_binds_before_the_envelope_on_1_12():
    envelope = min(5000, 150_000 / 25, 3000 * 40 / 25)                    # 4,800
    etcd = naive_cliff(node_bytes(50, 5), 4 * GiB, other=120 * KiB)       # 3,198.3
    lease = 4 * GiB / (improved_per_node(node_bytes(50, 5)) + 120 * KiB)
    assert etcd < envelope < lease
    assert expected(ex.q8) == pytest.approx(etcd, rel=0.005)


def test_the_hand_out_numbers_are_the_modules_clusters():
    d = ex.Q1_CLUSTER
    assert (d.nodes, d.images_per_node, d.volumes_per_node) == (1200, 30, 12)
    assert ex.Q3_FASTER.compaction_interval_s == 150
    d = ex.Q4_CLUSTER
    assert (d.images_per_node, d.volumes_per_node, d.other_kib_per_node, d.quota_gib) \
        == (20, 0, 100, 4.0)
    d = ex.Q5_CLUSTER
    assert (d.nodes, d.images_per_node, d.volumes_per_node, d.failed_node_at_s) \
        == (2600, 40, 8, 1500)
    d = ex.Q6_CLUSTER
    assert (d.nodes, d.volumes_per_node, d.status_report_period_s) == (4200, 100, 60)
    d = ex.Q7_CLUSTER
    assert (d.nodes, d.lease_renew_s, d.status_report_period_s, d.grace_period_s) \
        == (100, 15, 600, 50)
    assert (ex.Q7_FAIL_TIMES_S.start, ex.Q7_FAIL_TIMES_S.stop) == (600, 1201)
    assert (ex.Q8_CLUSTER.other_kib_per_node, ex.Q8_CLUSTER.quota_gib,
            ex.Q8_ENVELOPE.pods_per_node, ex.Q8_ENVELOPE.namespaces) == (120, 4.0, 25, 40)


@pytest.mark.parametrize("q, answer", [
    (ex.q1, 1.888), (ex.q1, "1.89 MiB/s"), (ex.q1, "1.98 MB/s"), (ex.q1, "1980000 B/s"),
    (ex.q1, "113.3 MiB/min"),
    (ex.q2, "B"), (ex.q3, " c "),
    (ex.q4, 5979), (ex.q4, 5978),                     # the closed form is accepted too
    (ex.q5, "never"), (ex.q5, "Never"),
    (ex.q6, "b"),
    (ex.q7, 50), (ex.q7, "55 s"),                  # by hand: the grace period (+ 5 s)
    (ex.q8, 3199), (ex.q8, 3198),
])
def test_right_answers_are_right(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong, words", [
    (ex.q1, 1.98, "MB (10⁶ bytes) and MiB"),      # divided by a million
    (ex.q1, 1_980_000, "1,024²"),                  # bytes per second
    (ex.q1, 113.3, "60"),                          # per minute
    (ex.q1, 3.8, "too high"),
    (ex.q2, "a", "two loops"),                     # the fix cuts writes
    (ex.q2, "c", "Leases included"),               # Leases keep no history
    (ex.q2, "d", "on a timer"),
    (ex.q3, "b", "frees the history"),
    (ex.q3, "a", "less history, not more"),
    (ex.q3, "d", "still fills"),
    (ex.q4, 6971, "other objects"),                # without the other objects
    (ex.q4, 2989, "default quota"),
    (ex.q5, 40, "still accepts writes"),           # a healthy etcd's delay
    (ex.q5, 45, "still accepts writes"),             # grace period + one 5-s check
    (ex.q5, 600, "whether it happens at all"),
    (ex.q6, "a", "few hundred bytes"),             # the Lease is the heavy write
    (ex.q6, "c", "changes no write"),
    (ex.q6, "d", "more history"),
    (ex.q7, 650, "status-only liveness"),          # report period + grace
    (ex.q7, 600, "not the only heartbeat"),
    (ex.q7, 70, "nothing is added"),               # renew interval + grace + check
    (ex.q7, "10 min", "not the only heartbeat"),   # the report period, in minutes
    (ex.q8, 4800, "envelope binds"),               # the envelope alone
    (ex.q8, 5000, "one-number"),
    (ex.q8, 11_582, "too high"),                   # the Lease's etcd cap
])
def test_typical_wrong_answers_get_their_message(q, wrong, words, capsys):
    assert q(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ") and words in out, out
