"""Chapter 7 exercises: each expected answer against an independent computation (by hand, in
closed form, or by brute force), right answers pass and typical wrong ones fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
from answer_key import expected

from kscale_lab.exercises import watch as ex


def by_hand_1():
    return 3000 / ((300 + 600) / 2)                    # watchers / mean watch (s)


def by_hand_2():
    return (1 - 1 / 800) ** 501                        # none of the last 501 events matched


def by_hand_4():
    """Brute force: 2 s of 400 events/s, each matching 1 in 10,000; count the unmatched
    events after the last match (a 102,400-event cache never refuses this)."""
    rng = np.random.default_rng(11)
    n = rng.poisson(800, 20_000)
    total = 0
    for k in n:
        hits = np.flatnonzero(rng.random(k) < 1e-4)
        total += k - 1 - hits[-1] if hits.size else k
    return total / len(n)


def by_hand_5():
    """Naive: ~1/s per restart at any churn; bookmarks: ~2 s × churn. Doubling the churn
    doubles the denominator."""
    s = 1 / 3000
    factor = [(1 / s) / (2 * churn) for churn in (30, 60)]
    return "halves" if factor[1] / factor[0] < 0.7 else "other"


def by_hand_7():
    """relists/h = (2000 / 450) × q^(c + 1) × 3600 ≤ 1, q = 1 − 1/2000: solve for c."""
    restarts_per_h = 2000 / 450 * 3600
    return math.ceil(math.log(1 / restarts_per_h) / math.log(1 - 1 / 2000) - 1)


def test_q1_expected_is_watchers_over_the_mean_timeout():
    assert expected(ex.q1) == pytest.approx(by_hand_1())


def test_q2_expected_is_the_chance_none_of_the_last_capacity_plus_one_matched():
    assert expected(ex.q2) == pytest.approx(by_hand_2())


def test_q4_expected_agrees_with_brute_force_within_two_percent():
    assert expected(ex.q4) == pytest.approx(by_hand_4(), rel=0.02)


def test_q5_expected_follows_from_the_two_limits():
    assert expected(ex.q5) == by_hand_5()


def test_q6_watcher_matches_many_times_within_the_bookmarks_lead():
    d = ex.Q6_CLUSTER
    assert d.selectivity * d.events_per_s * 2.0 >= 4          # several matches in 2 s
    assert expected(ex.q6) == "fresh"


def test_q7_expected_is_the_logarithmic_solution():
    assert abs(expected(ex.q7) - by_hand_7()) <= 1


RIGHT = [(ex.q1, by_hand_1()), (ex.q1, 6.67), (ex.q2, by_hand_2()), (ex.q2, 0.53),
         (ex.q3, "apiserver"), (ex.q3, " APIServer "), (ex.q4, 770), (ex.q5, "halves"),
         (ex.q6, "fresh"), (ex.q7, by_hand_7()), (ex.q7, 19_400)]


@pytest.mark.parametrize("q, answer", RIGHT)
def test_a_right_answer_passes(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


WRONG = [
    (ex.q1, 10.0),             # 3,000 / 300 s: the shortest timeout, not the mean
    (ex.q1, 400.0),            # per minute instead of per second
    (ex.q2, 1 / 800),          # one event's chance, not the chance over the buffer
    (ex.q2, 53.4),             # a percentage given as a fraction's number
    (ex.q3, "kubelet"),        # the client that caused it
    (ex.q3, "etcd"),           # the cache, not etcd, replays
    (ex.q4, 9999),             # the naive replay (≈ 1 / selectivity)
    (ex.q4, 800),              # every event of the 2 s (λ × 2 s), not those after the last match
    (ex.q5, "stays"),
    (ex.q5, "doubles"),
    (ex.q6, "opt-in"),
    (ex.q6, "buffer"),
    (ex.q7, 9208),             # a 1 % 410 share per restart, not one relist an hour
    (ex.q7, 2000 * 50),        # 50 events per node
]


@pytest.mark.parametrize("q, answer", WRONG)
def test_a_typical_wrong_answer_fails(q, answer, capsys):
    assert q(answer) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q", [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6, ex.q7])
def test_an_unanswered_question_gets_a_hint_not_an_exception(q, capsys):
    assert q(...) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


def test_no_module_level_name_holds_an_expected_answer():
    assert not [n for n in vars(ex) if "expected" in n.lower()]
