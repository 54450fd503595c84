"""Chapter 5 exercises: worked solutions pass, wrong answers do not, blanks say "Not yet"."""

import pytest

from kscale_lab.exercises import scheduler as ex
from kscale_lab.scheduler import (
    SchedulerModel,
    num_feasible_nodes_to_find,
)

MODEL = SchedulerModel()
QUESTIONS = [ex.q1, ex.q2, ex.q6]


def solution_1():
    pct = 50 - 3000 // 125
    return max(3000 * max(pct, 5) // 100, 100)


def solution_2():
    """By hand: the 1.11 snapshot clones every NodeInfo in every cycle, one cycle per pod."""
    d = ex.Q2_CLUSTER
    return d["nodes"] * d["pods"]


def solution_6():
    """By reasoning: at 5,000 nodes with anti-affinity on every pod the 1.11 scheduler places
    fewer than 5 pods a minute (the talk; tests/test_scheduler.py), far below the 20 pods/s
    arriving, so the queue and the latency grow without bound."""
    return "no"


# Worked without the model that the check runs (q3-q5 have no hand derivation yet: their
# expected values are bounded in test_expected_answers_follow_the_mechanism).
SOLUTIONS = [solution_1, solution_2, solution_6]
IDS = ["q1", "q2", "q6"]


@pytest.mark.parametrize("q, solve", list(zip(QUESTIONS, SOLUTIONS, strict=True)), ids=IDS)
def test_worked_solution_is_right(q, solve, capsys):
    assert q(solve()) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 3000), (ex.q1, 1500), (ex.q1, 100),
    (ex.q2, 300), (ex.q2, 319),
    (ex.q3, 36 * 60), (ex.q3, "fast"),
    (ex.q4, 90), (ex.q4, 540),
    (ex.q5, "never"), (ex.q5, 5.0),
    (ex.q6, "yes"), (ex.q6, "maybe"),
])
def test_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


def test_expected_answers_follow_the_mechanism():
    assert ex.q1_expected() == num_feasible_nodes_to_find(3000, 0) == 780
    assert ex.q2_expected() == 300 * 20
    assert ex.q3_expected() < MODEL.naive(ex.Q4_CLUSTER).pods_per_s * 60 / 10
    assert ex.q4_expected() == pytest.approx(36, rel=0.01)
    assert 0 < ex.q5_expected() < 5
    assert ex.q6_expected() == "no"


@pytest.mark.parametrize("q, expected", [(ex.q1, ex.q1_expected), (ex.q2, ex.q2_expected),
                                         (ex.q4, ex.q4_expected)], ids=["q1", "q2", "q4"])
def test_hints_do_not_reveal_the_answer(q, expected, capsys):
    q(...)
    hint = capsys.readouterr().out
    value = expected()
    assert f"{value:.0f}" not in hint and f"{value:,.0f}" not in hint
