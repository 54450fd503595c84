"""Chapter 1 exercises: each expected answer against a derivation by hand from the published
thresholds, the right answers pass, and the typical wrong ones get the message meant for them.

The hand derivations use only the numbers of thresholds.md (5,000 nodes, 150,000 pods,
3,000 pods per namespace, min(110, 10 × cores) pods per node), never the lab's code.
"""

import math

import pytest

from kscale_lab.exercises import envelope as ex

NODES, PODS, PODS_PER_NAMESPACE = 5000, 150_000, 3000


def pods_per_node_limit(cores):
    return min(110, 10 * cores)


def test_q1_is_the_product_over_the_threshold():
    assert ex._q1_expected() == pytest.approx(3200 * 45 / PODS)          # 0.96


def test_q2_the_per_cluster_threshold_caps_density_below_the_nodes_own_limit():
    by_hand = min(pods_per_node_limit(7), PODS / 2500, PODS_PER_NAMESPACE * 200 / 2500)
    assert ex._q2_expected() == math.floor(by_hand) == 60


def test_q3_the_node_threshold_takes_over_when_density_halves():
    before = min(NODES, PODS / 50, PODS_PER_NAMESPACE * 200 / 50)        # 3,000
    after = min(NODES, PODS / 25, PODS_PER_NAMESPACE * 200 / 25)         # 5,000
    assert 1 < after / before < 2
    assert ex._q3_expected() == "c"


def test_q4_pods_per_namespace_binds_first():
    assert ex._q4_expected() == min(NODES, PODS // 40, PODS_PER_NAMESPACE * 25 // 40) == 1875


def test_q5_the_plan_breaks_two_thresholds():
    assert 200 > pods_per_node_limit(64) and 1500 * 200 > PODS
    assert 200 / 300 * 1500 <= PODS_PER_NAMESPACE                         # but not this one
    assert ex._q5_expected() == "c"


def test_q6_one_namespace_may_hold_the_threshold_over_all_pods():
    assert ex._q6_expected() == pytest.approx(PODS_PER_NAMESPACE / (2000 * 30))   # 5 %


def test_q7_the_busiest_namespace_binds_before_the_model_does():
    busiest = PODS_PER_NAMESPACE / (0.022 * 55)                           # 2,479.3 nodes
    even = min(NODES, PODS / 55, PODS_PER_NAMESPACE * 60 / 55)            # 2,727.3 nodes
    assert busiest < even
    assert ex._q7_expected() == math.floor(busiest) - 2400 == 79


def test_the_hand_out_numbers_are_the_modules_clusters():
    """The question texts and the constants the checks use describe the same clusters."""
    assert (ex.Q1_CLUSTER.nodes, ex.Q1_CLUSTER.cores_per_node, ex.Q1_CLUSTER.pods_per_node) \
        == (3200, 12, 45)
    assert (ex.Q2_CLUSTER.nodes, ex.Q2_CLUSTER.cores_per_node) == (2500, 7)
    assert (ex.Q3_BEFORE.pods_per_node, ex.Q3_AFTER.pods_per_node) == (50, 25)
    assert (ex.Q4_CLUSTER.pods_per_node, ex.Q4_CLUSTER.namespaces) == (40, 25)
    assert (ex.Q5_PLAN.nodes, ex.Q5_PLAN.cores_per_node, ex.Q5_PLAN.pods_per_node,
            ex.Q5_PLAN.namespaces) == (1500, 64, 200, 300)
    assert (ex.Q6_CLUSTER.nodes, ex.Q6_CLUSTER.pods_per_node, ex.Q6_CLUSTER.namespaces) \
        == (2000, 30, 40)
    assert (ex.Q7_CLUSTER.nodes, ex.Q7_CLUSTER.pods_per_node, ex.Q7_CLUSTER.namespaces,
            ex.Q7_BUSIEST_SHARE) == (2400, 55, 60, 0.022)


@pytest.mark.parametrize("q, answer", [
    (ex.q1, 0.96), (ex.q1, "96 %"), (ex.q1, "24/25"),
    (ex.q2, 60), (ex.q2, "60 pods"),
    (ex.q3, "C"),
    (ex.q4, 1875), (ex.q4, "1,875"),
    (ex.q5, "(c)"),
    (ex.q6, 0.05), (ex.q6, "5%"), (ex.q6, "1/20"),
    (ex.q7, 79),
])
def test_right_answers_are_right(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong, words", [
    (ex.q1, 96, "percentage"),                   # a percentage without its sign
    (ex.q1, 144_000, "too high"),                # the pods, not the share
    (ex.q2, 70, "node's own limit"),             # forgot the per-cluster threshold
    (ex.q2, 110, "kubelet's half"),
    (ex.q3, "d", "still bound"),                 # as if pods per cluster kept binding
    (ex.q3, "b", "node count alone"),
    (ex.q4, 3750, "another derived threshold"),  # pods per cluster, not per namespace
    (ex.q4, 5000, "one-number"),
    (ex.q4, 1.875, "1,000"),                     # in thousands
    (ex.q5, "a", "only half"),                   # more cores, more pods
    (ex.q5, "b", "Which derived threshold"),     # half right
    (ex.q5, "d", "one-number"),
    (ex.q6, 0.025, "spread evenly"),             # the even share
    (ex.q6, 5, "percentage"),
    (ex.q7, 327, "even spread"),                 # the model's answer
    (ex.q7, 2600, "one-number"),
    (ex.q7, 2479, "how many more"),              # the total
])
def test_typical_wrong_answers_get_their_message(q, wrong, words, capsys):
    assert q(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ") and words in out, out
