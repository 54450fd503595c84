"""Chapter 5 exercises: each expected answer against an independent computation, right
answers pass, typical wrong ones do not, and hints never give the answer away."""

import pytest

from kscale_lab.exercises import scheduler as ex
from kscale_lab.scheduler import cost

QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6, ex.q7, ex.q8]


def _k_1_14(nodes, pct=0):
    """numFeasibleNodesToFind by hand (1.14 rules)."""
    if nodes < 100:
        return nodes
    pct = pct or max(50 - nodes // 125, 5)
    return max(nodes * pct // 100, 100)


def _units_1_10(nodes):
    """A 1.10 cycle without anti-affinity: walk (0.05 each), clone 1, filter, score."""
    return 0.05 * nodes + 1 + nodes + nodes


def _rate_1_10(nodes):
    unit_s = (1 / 90 - cost.CYCLE_OVERHEAD_S) / _units_1_10(2000)
    return 1 / (cost.CYCLE_OVERHEAD_S + unit_s * _units_1_10(nodes))


# what a learner would compute by hand, from the chapter's mechanisms
BY_HAND = {
    1: 4000 * (50 - 32) // 100,                         # 18 % of 4,000
    2: 400 + 2 * 29,                                    # first cycle all, then 2 per cycle
    3: _rate_1_10(3000),
    4: "1.11",                                          # PR #62211
    5: "b",                                             # the queue, not a per-node scan
    6: 50,                                              # the default --kube-api-qps
    7: "never",
    8: ["lower-percentage", "bigger-cluster"],
}


@pytest.mark.parametrize("i", range(1, 9))
def test_expected_answer_agrees_with_the_hand_derivation(i, capsys):
    assert QUESTIONS[i - 1](BY_HAND[i]) is True
    assert capsys.readouterr().out.startswith("Right — ")


def test_q1_by_hand_is_the_adaptive_formula():
    assert BY_HAND[1] == _k_1_14(4000) == 720


def test_q6_the_loop_is_faster_than_the_limit_so_the_limit_is_the_answer():
    k = _k_1_14(8000)                                   # 5 % floor: 400
    unit_s = (1 / 90 - cost.CYCLE_OVERHEAD_S) / _units_1_10(2000)
    loop = 1 / (cost.CYCLE_OVERHEAD_S + unit_s * (0.05 * 2 + 1 + 2 * k))
    assert k == 400 and loop > 6 * BY_HAND[6]


def test_q7_one_slow_pod_in_a_hundred_outweighs_the_arrivals():
    unit_s = (1 / 90 - cost.CYCLE_OVERHEAD_S) / _units_1_10(2000)
    # a pod with terms scans nodes × running pods; 1 % of pods → mean cycle at least this
    slow_s = unit_s * 0.05 * 4000 * (4000 * 30)
    assert 0.01 * slow_s > 1 / 2                       # more than the time between arrivals


def test_q8_only_changes_that_cut_the_nodes_scored_speed_the_loop_up():
    # without anti-affinity a 1.14 cycle costs 2 × K + constants: faster iff K falls
    k = {"base": _k_1_14(5000), "lower-percentage": _k_1_14(5000, 5),
         "bigger-cluster": _k_1_14(5625), "fewer-pods": _k_1_14(5000),
         "upgrade": _k_1_14(5000)}
    faster = {name for name, value in k.items() if value < k["base"]}
    assert faster == {"lower-percentage", "bigger-cluster"}       # 1.12 (50 %) is slower
    assert sorted(faster) == sorted(BY_HAND[8])


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 4000), (ex.q1, 2000), (ex.q1, 500), (ex.q1, 0.18),
    (ex.q2, 12_000), (ex.q2, 400), (ex.q2, 429),
    (ex.q3, 90), (ex.q3, 60), (ex.q3, 30),
    (ex.q4, "1.12"), (ex.q4, "1.14"), (ex.q4, "maybe"),
    (ex.q5, "a"), (ex.q5, "c"), (ex.q5, "d"),
    (ex.q6, 336), (ex.q6, 100), (ex.q6, 288),
    (ex.q7, 5.0), (ex.q7, 0.5),
    (ex.q8, ["lower-percentage"]), (ex.q8, ["lower-percentage", "bigger-cluster", "upgrade"]),
    (ex.q8, ["fewer-pods"]), (ex.q8, "bigger-cluster"),
])
def test_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("i", [1, 2, 3, 6])
def test_hints_do_not_reveal_the_answer(i, capsys):
    QUESTIONS[i - 1](...)
    hint = capsys.readouterr().out
    value = BY_HAND[i]
    assert f"{value:.0f}" not in hint and f"{value:,.0f}" not in hint


def test_right_messages_do_not_restate_the_answer(capsys):
    for i in range(1, 9):
        QUESTIONS[i - 1](BY_HAND[i])
        right = capsys.readouterr().out
        value = BY_HAND[i]
        if isinstance(value, (int, float)):
            assert f"{value:.0f}" not in right, i
        elif isinstance(value, str) and len(value) > 1:
            assert value not in right, i
