"""Chapter 1 exercises: each expected answer against a derivation by hand from the published
thresholds, the right answers pass, and the typical wrong ones get the message meant for them.

The hand derivations use only the numbers of thresholds.md (5,000 nodes, 150,000 pods,
3,000 pods per namespace, min(110, 10 × cores) pods per node), never the lab's code.
"""

import math

import pytest
from answer_key import expected

from kscale_lab.exercises import envelope as ex

NODES, PODS, PODS_PER_NAMESPACE = 5000, 150_000, 3000


def pods_per_node_limit(cores):
    return min(110, 10 * cores)


def test_q1_is_pods_per_namespace_over_its_threshold():
    assert expected(ex.q1) == pytest.approx(2400 * 24 / 20 / PODS_PER_NAMESPACE)   # 0.96


def test_q2_pods_per_namespace_caps_density_below_the_other_caps():
    caps = {"own": pods_per_node_limit(7), "cluster": PODS / 5000,
            "namespace": PODS_PER_NAMESPACE * 40 / 5000}                   # 70, 30, 24
    assert min(caps, key=caps.get) == "namespace"
    assert expected(ex.q2) == math.floor(min(caps.values())) == 24


def test_q3_doubling_the_density_moves_the_binding_threshold():
    before = min(NODES, PODS / 15, PODS_PER_NAMESPACE * 40 / 15)          # 5,000
    after = min(NODES, PODS / 30, PODS_PER_NAMESPACE * 40 / 30)           # 4,000
    assert 0.5 < after / before < 1
    assert expected(ex.q3) == "c"


def test_q4_pods_per_namespace_binds_first():
    assert expected(ex.q4) == min(NODES, PODS // 24, PODS_PER_NAMESPACE * 12 // 24) == 1500


def test_q5_the_plan_breaks_only_pods_per_cluster():
    assert 60 <= pods_per_node_limit(16)
    assert 5000 * 60 > PODS and 5000 * 60 / 250 <= PODS_PER_NAMESPACE
    assert 5000 * 30 <= PODS                                             # today: at the limit
    assert expected(ex.q5) == "c"


def test_q6_one_namespace_may_hold_the_threshold_over_all_pods():
    assert expected(ex.q6) == pytest.approx(PODS_PER_NAMESPACE / (2000 * 30))   # 5 %


def test_q7_the_busiest_namespace_binds_before_the_model_does():
    busiest = PODS_PER_NAMESPACE / (0.044 * 25)                           # 2,727.3 nodes
    even = min(NODES, PODS / 25, PODS_PER_NAMESPACE * 30 / 25)            # 3,600 nodes
    assert busiest < even
    assert expected(ex.q7) == math.floor(busiest) - 2400 == 327


def test_no_cluster_is_denser_than_30_pods_per_node_below_5000_nodes():
    """150,000 pods on 5,000 nodes is 30 per node: at or below that density (or at 5,000
    nodes) the answers do not depend on whether a smaller cluster's cluster-wide limits are
    read as proportionally lower (thresholds.md says they are)."""
    for dims in (ex.Q1_CLUSTER, ex.Q3_BEFORE, ex.Q3_AFTER, ex.Q4_CLUSTER, ex.Q6_CLUSTER,
                 ex.Q7_CLUSTER):
        assert dims.pods_per_node <= PODS / NODES
    for dims in (ex.Q2_CLUSTER, ex.Q5_TODAY, ex.Q5_PLAN):
        assert dims.nodes == NODES


def test_the_hand_out_numbers_are_the_modules_clusters():
    """The question texts and the constants the checks use describe the same clusters."""
    assert (ex.Q1_CLUSTER.nodes, ex.Q1_CLUSTER.cores_per_node, ex.Q1_CLUSTER.pods_per_node,
            ex.Q1_CLUSTER.namespaces) == (2400, 16, 24, 20)
    assert (ex.Q2_CLUSTER.nodes, ex.Q2_CLUSTER.cores_per_node, ex.Q2_CLUSTER.namespaces) \
        == (5000, 7, 40)
    assert (ex.Q3_BEFORE.pods_per_node, ex.Q3_AFTER.pods_per_node, ex.Q3_AFTER.namespaces) \
        == (15, 30, 40)
    assert (ex.Q4_CLUSTER.pods_per_node, ex.Q4_CLUSTER.namespaces) == (24, 12)
    assert (ex.Q5_TODAY.nodes, ex.Q5_TODAY.cores_per_node, ex.Q5_TODAY.pods_per_node,
            ex.Q5_PLAN.cores_per_node, ex.Q5_PLAN.pods_per_node, ex.Q5_PLAN.namespaces) \
        == (5000, 8, 30, 16, 60, 250)
    assert (ex.Q6_CLUSTER.nodes, ex.Q6_CLUSTER.pods_per_node, ex.Q6_CLUSTER.namespaces) \
        == (2000, 30, 40)
    assert (ex.Q7_CLUSTER.nodes, ex.Q7_CLUSTER.pods_per_node, ex.Q7_CLUSTER.namespaces,
            ex.Q7_BUSIEST_SHARE) == (2400, 25, 30, 0.044)


@pytest.mark.parametrize("q, answer", [
    (ex.q1, 0.96), (ex.q1, "96 %"), (ex.q1, "24/25"),
    (ex.q2, 24), (ex.q2, "24 pods"),
    (ex.q3, "C"),
    (ex.q4, 1500), (ex.q4, "1,500"),
    (ex.q5, "(c)"),
    (ex.q6, 0.05), (ex.q6, "5%"), (ex.q6, "1/20"),
    (ex.q7, 327),
])
def test_right_answers_are_right(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong, words", [
    (ex.q1, 96, "percentage"),                   # a percentage without its sign
    (ex.q1, 2880, "too high"),                   # the pods per namespace, not the share
    (ex.q2, 70, "node's own limit"),             # forgot the shared thresholds
    (ex.q2, 30, "pods per cluster binds"),       # the per-cluster cap, not the lowest
    (ex.q2, 110, "one half"),
    (ex.q3, "a", "bound both"),                  # density doubles, size halves
    (ex.q3, "b", "still the one"),
    (ex.q3, "d", "fewer nodes"),
    (ex.q4, 5000, "one-number"),
    (ex.q4, 6250, "beyond even the node threshold"),
    (ex.q4, 1.5, "1,000"),                       # in thousands
    (ex.q5, "a", "not the only threshold"),      # checks only the changed dimension
    (ex.q5, "b", "new* core count"),
    (ex.q5, "d", "one-number"),
    (ex.q6, 0.025, "spread evenly"),             # the even share
    (ex.q6, 5, "percentage"),
    (ex.q7, 1200, "even spread"),                # the model's answer
    (ex.q7, 2600, "one-number"),
    (ex.q7, 2727, "how many more"),              # the total
])
def test_typical_wrong_answers_get_their_message(q, wrong, words, capsys):
    assert q(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ") and words in out, out
