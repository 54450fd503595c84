"""Chapter 3 exercises: every expected answer against an independent computation (by hand or
by the SimPy kubelet), the worked answers pass, typical wrong answers do not, and an
unanswered question gets a gentle "Not yet"."""

import math

import numpy as np
import pytest
from answer_key import expected

from kscale_lab.exercises import secrets as ex
from kscale_lab.secrets import secrets_at, simulate

QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6, ex.q7, ex.q8]
IDS = [f"q{i}" for i in range(1, 9)]
GET_S = 0.01                      # the default GET latency: answers arrive 10 ms after


def refresh_s(ttl_s: float, sync_s: float = 60.0, get_s: float = GET_S) -> float:
    """By hand: the first sync at which the copy is at least a TTL old (age from the answer)."""
    return sync_s * max(1, math.ceil((ttl_s + get_s) / sync_s))


# --- each expected answer, computed another way ----------------------------------------------

def test_q1_by_hand():
    # 1,500 nodes: the TTL controller says 60 s; fetched at the second sync after a fetch
    assert refresh_s(60) == 120
    assert expected(ex.q1) == pytest.approx(1500 * 40 * 3 / 120)


def test_q2_by_hand():
    # 2,500 nodes: 300 s, fetched every 360 s: 2,500 × 120 / 360 < 1,500 × 120 / 120
    assert 2500 * 120 / refresh_s(300) < 1500 * 120 / refresh_s(60)
    assert expected(ex.q2) == "down"


def test_q3_by_hand():
    assert expected(ex.q3) == pytest.approx(refresh_s(120) / 2 + GET_S)


def test_q4_by_hand():
    d = ex.Q4_CLUSTER
    own = 80 * 4 / refresh_s(300, get_s=0.025)             # four own objects per pod
    shared = 1 / (300 + 60 / 80)                           # the node's one shared object
    seats = d.nodes * (own + shared) * 0.025
    assert expected(ex.q4) == pytest.approx(100 * seats / 400, rel=1e-6)


def test_q5_is_the_stream_queue_not_the_seats():
    out = ex.at_version(ex.Q5_CLUSTER, ex.Q5_VERSION)
    assert ex.Q5_CLUSTER.unique_objects_per_node >= 250        # more watches than streams
    assert out.get_requests_per_s == 0 and out.readonly_inflight_share == 0
    assert expected(ex.q5) == "b"


def test_q6_is_the_order_statistic_of_the_first_watch_ends():
    waiting = ex.Q6_CLUSTER.unique_objects_per_node - 250      # reflectors ahead of it
    by_hand = 300 + 300 * (waiting + 1) / 251
    assert expected(ex.q6) == pytest.approx(by_hand, rel=0.01)


def test_q7_agrees_with_the_simulated_kubelet():
    """One 1.13.4 kubelet with 270 objects, simulated with four seeds: the share of the hour
    its node spends NotReady, times 2,400 nodes. Tolerance 5 % (stated first)."""
    r = secrets_at(ex.Q7_CLUSTER, ex.Q7_VERSION)
    shares = []
    for seed in range(4):
        beats = simulate(r.dims, r.side, nodes=1, seed=seed).heartbeats[0]
        gaps = np.diff(np.concatenate([[0.0], beats, [3600.0]]))
        shares.append(np.clip(gaps - r.dims.grace_period_s, 0, None).sum() / 3600)
    assert expected(ex.q7) == pytest.approx(ex.Q7_CLUSTER.nodes * np.mean(shares), rel=0.05)


def test_q8_only_the_upgrade_meets_both_goals():
    a, b, c, d = (ex.option_outcome(k) for k in "abcd")
    assert a.notready_nodes == 0 and a.propagation_delay_s > 1        # hidden, still slow
    assert b.notready_nodes == 0 and b.propagation_delay_s == pytest.approx(
        refresh_s(300) / 2 + GET_S)                                   # polling: 3 min
    assert c.notready_nodes == 0 and c.propagation_delay_s < 1e-3
    assert d.notready_nodes > ex.at_version(ex.Q8_CLUSTER, ex.Q7_VERSION).notready_nodes
    assert expected(ex.q8) == "c"


# --- right answers pass, wrong ones do not ---------------------------------------------------

SOLUTIONS = [1500, "down", 90.0, 16.7, "b", 312, 572, "c"]


@pytest.mark.parametrize("q, answer", list(zip(QUESTIONS, SOLUTIONS)), ids=IDS)
def test_a_right_answer_passes(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 3000),             # the TTL taken as the refresh interval
    (ex.q1, 600),              # the 300-s TTL of larger clusters
    (ex.q2, "up"),             # more nodes, more GETs: the misconception
    (ex.q2, "same"),
    (ex.q2, "more"),           # not one of the choices
    (ex.q3, 60),               # half the TTL, not half the refresh interval
    (ex.q3, 180),              # the whole interval
    (ex.q3, 1.5),              # minutes
    (ex.q4, 0.167),            # a fraction, not a percentage
    (ex.q4, 66.9),             # seats, not a percentage
    (ex.q5, "a"), (ex.q5, "c"), (ex.q5, "d"),
    (ex.q6, 300),              # the shortest watch
    (ex.q6, 40),               # the grace period
    (ex.q7, 2400),             # every node, all the time
    (ex.q7, 0),
    (ex.q8, "a"), (ex.q8, "b"), (ex.q8, "d"),
])
def test_a_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_an_unanswered_question_gets_a_hint_without_the_answer(q, capsys):
    assert q(...) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ")
    expected_answer = expected(q)
    if isinstance(expected_answer, float):
        for text in (f"{expected_answer:.0f}", f"{expected_answer:.1f}", f"{expected_answer:,.0f}"):
            assert len(text) < 3 or text not in out
    else:
        assert f"'{expected_answer}'" not in out.split("Hint:")[1]


def test_no_module_level_name_holds_an_expected_answer():
    assert not [n for n in vars(ex) if "expected" in n.lower()]
