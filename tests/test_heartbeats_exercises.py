"""Chapter 2 exercises: the worked solutions pass their checks, wrong answers do not, and an
unanswered question (``...``) gets a gentle "Not yet" instead of an exception."""

import pytest

from kscale_lab.etcd import MiB
from kscale_lab.exercises import heartbeats as ex
from kscale_lab.heartbeats import LEASE_BYTES, HeartbeatDimensions, HeartbeatsModel
from kscale_lab.units import KiB

MODEL = HeartbeatsModel()
QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5]


def solution_1():
    """As in the solutions notebook: the model's bandwidth, and the same by hand."""
    d = ex.Q1_CLUSTER
    by_hand = d.nodes * d.node_bytes / d.status_update_period_s / MiB
    assert MODEL.naive(d).etcd_write_bytes_per_s / MiB == pytest.approx(by_hand)
    return by_hand


def solution_2():
    """By hand: the improved kubelet renews its Lease as often as the naive one wrote its
    status, and still reports the status on top."""
    d = ex.Q2_CLUSTER
    naive = d.nodes / d.status_update_period_s
    improved = d.nodes / d.lease_renew_s + d.nodes / d.status_report_period_s
    return "more" if improved > naive else "fewer"


def solution_3():
    """Two compaction intervals of heartbeat bytes plus the live objects fill the quota."""
    d = ex.Q3_CLUSTER
    per_node = (2 * d.compaction_interval_s * d.node_bytes / d.status_update_period_s
                + d.node_bytes + LEASE_BYTES + d.other_kib_per_node * KiB)
    return round(d.quota_bytes / per_node)


def solution_4():
    """By hand: the most etcd holds (live objects and two compaction intervals of Lease and
    status writes) stays under the quota, so NOSPACE never comes."""
    d = ex.Q4_CLUSTER
    per_node_s = LEASE_BYTES / d.lease_renew_s + d.node_bytes / d.status_report_period_s
    live = d.nodes * (d.node_bytes + LEASE_BYTES + d.other_kib_per_node * KiB)
    peak = live + 2 * d.compaction_interval_s * d.nodes * per_node_s
    assert peak < 0.95 * d.quota_bytes            # far enough from the edge to be sure
    return "never"


def solution_5():
    """By hand: the node that dies just after a status write is seen late by the whole grace
    period, plus at most one 5-s pass of the node lifecycle controller."""
    return ex.Q5_CLUSTER.grace_period_s + 5


SOLUTIONS = [solution_1, solution_2, solution_3, solution_4, solution_5]


@pytest.mark.parametrize("q, solve", list(zip(QUESTIONS, SOLUTIONS, strict=True)),
                         ids=[f"q{i}" for i in range(1, 6)])
def test_worked_solution_is_right(q, solve, capsys):
    assert q(solve()) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 4.0),              # MB/s instead of MiB/s
    (ex.q1, 38.1),             # a factor of ten off
    (ex.q1, "3.8"),            # a string, not a number
    (ex.q2, "fewer"),
    (ex.q2, "less"),           # not one of the choices
    (ex.q3, 1834),             # the first point of the chapter's sweep, not the edge
    (ex.q3, 5000),
    (ex.q4, 5.6),              # the 1-minute report period's answer
    (ex.q4, 0),
    (ex.q5, 40),               # the Lease's answer
    (ex.q5, 640),              # report period + grace period, double counted
    (ex.q5, "never"),
])
def test_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ")


@pytest.mark.parametrize("q", QUESTIONS, ids=[f"q{i}" for i in range(1, 6)])
def test_hints_do_not_reveal_the_answer(q, capsys):
    q(...)
    hint = capsys.readouterr().out
    expected = {ex.q1: ex.q1_expected, ex.q2: ex.q2_expected, ex.q3: ex.q3_expected,
                ex.q4: ex.q4_expected, ex.q5: ex.q5_expected}[q]()
    if isinstance(expected, float):
        for text in (f"{expected:.0f}", f"{expected:.1f}", f"{expected:.2f}", f"{expected:,.0f}"):
            assert text not in hint or len(text) < 3
    elif isinstance(expected, int):
        assert str(expected) not in hint and f"{expected:,}" not in hint
    elif isinstance(expected, str):
        assert f"'{expected}'" not in hint.split("Hint:")[1]


def test_expected_answers_follow_the_mechanism():
    """The answers are computed, so check them against the mechanism, not stored values."""
    assert ex.q1_expected() == pytest.approx(2000 * 20_000 / 10 / MiB)
    assert ex.q2_expected() == "more"
    # the edge: just below never fills the quota, the edge itself does, within 10 minutes
    edge = ex.q3_expected()
    assert not ex.nospace_within_horizon(edge - 1)
    assert MODEL.naive(HeartbeatDimensions(nodes=edge)).nospace_at_s <= 600
    # 1.17 settings survive three times the envelope; the 1.13–1.16 setting does not
    assert ex.q4_expected() is None
    assert MODEL.improved(ex.Q4_CLUSTER.replace(status_report_period_s=60)).nospace_at_s
    # status-only liveness: the worst case is the whole grace period (+ one 5-s check)
    grace = ex.Q5_CLUSTER.grace_period_s
    assert grace <= ex.q5_expected() <= grace + 5
