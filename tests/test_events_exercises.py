"""Chapter 6 exercises: each expected answer against an independent computation, the worked
solutions pass, typical wrong answers do not, and hints never give the answer away."""

import math

import pytest
from answer_key import expected

from kscale_lab.events import EventsModel, get_events, simulate
from kscale_lab.events.correlator import LRU_SIZE
from kscale_lab.exercises import events as ex

MODEL = EventsModel()


def q1_by_hand():
    """Four events a restart, every 10 s, 120 restarts (0 … 1190 s). Tokens: 25 at first —
    restarts 0–5 take four each, restart 6 the 25th. The bucket refills one token per 300 s;
    after the 25th (at 60 s, 0.2 of a token accrued since 0 s was spent… ) the next whole token
    comes at the first restart after each 300 s: 360, 660, 960 s (t = 60 + 300 k). So 28
    requests: 4 POSTs and 24 PATCHes."""
    tokens, t_last, accepted = 25.0, 0.0, 0
    for k in range(120):
        t = 10.0 * k
        tokens = min(25.0, tokens + (t - t_last) / 300)
        t_last = t
        take = min(4, math.floor(tokens + 1e-12))
        accepted += take
        tokens -= take
    return accepted


def q3_by_hand():
    """Four series: POST, series PATCH, and a close. The last restart is at 1190 s; the check
    every 360 s closes a series more than 360 s quiet: at 1800 s (1440 − 1190 = 250 s is not
    enough), which runs before the 1800-s heartbeat. So 3 × 4."""
    last = 1190.0
    close = next(t for t in range(360, 3600, 360) if t - last > 360)
    assert close == 1800
    return 4 * 3


def q4_by_hand():
    """90 s apart: at most 7 failures within any 600 s (< 10), never combined. 27 failures
    (0 … 2340 s), each needing a token: 25 + one per 300 s is enough (2340 s ≥ 2 × 300 s)."""
    failures = math.ceil(2400 / 90)
    assert math.floor(600 / 90) + 1 < 10
    return failures


def q5_by_hand():
    """One correlator holds 4,096 entries per cache; n nodes bring 2.5 n stuck ReplicaSets
    (rounded to whole ones). The first n whose ReplicaSets do not fit: 4,096 / 2.5 = 1,638.4,
    so 1,638 nodes bring 4,095 and 1,639 bring 4,098."""
    return next(n for n in range(1, 20_000) if round(2.5 * n) > 4096)


def q7_by_hand():
    """75 s apart, ten distinct messages would need 9 × 75 = 675 s > 600 s: the old API never
    combines, and every failure is a POST that needs a token (burst 25, one per 300 s). The
    failures fall at 75 k s (k = 0 … 47) within the hour, whatever the phase. New: one series
    per pod. Churn: 6 Events per pod, 3,600 pods per pod/s in an hour."""
    assert 9 * 75 > 600
    tokens, t_last, stored = 25.0, 0.0, 0
    for k in range(48):
        t = 75.0 * k
        tokens = min(25.0, tokens + (t - t_last) / 300)
        t_last = t
        if tokens >= 1 - 1e-12:
            tokens -= 1
            stored += 1
    return 2400 * (stored - 1) / (6 * 3600)


def test_q1_expected_is_the_hand_count():
    assert expected(ex.q1) == pytest.approx(q1_by_hand()) == pytest.approx(28)


def test_q2_expected_follows_from_the_rows():
    rows = {r["REASON"]: r["COUNT"] for r in get_events(simulate(ex.Q1_CLUSTER, "naive"))}
    assert expected(ex.q2) == "bucket" and rows["Pulled"] > rows["BackOff"]


def test_q3_expected_is_the_hand_count():
    assert expected(ex.q3) == pytest.approx(q3_by_hand())


def test_q4_expected_is_the_hand_count():
    assert expected(ex.q4) == q4_by_hand()


def test_q5_expected_is_where_the_replicasets_outgrow_the_cache():
    assert LRU_SIZE == 4096
    assert expected(ex.q5) == q5_by_hand() == 1639


def test_q6_expected_is_same():
    assert expected(ex.q6) == "same"


def test_q7_expected_is_the_hand_count():
    assert expected(ex.q7) == pytest.approx(q7_by_hand(), rel=0.005)


def test_q7_the_spam_filter_keeps_36_of_a_pods_48_failures():
    assert q7_by_hand() == pytest.approx(2400 * 35 / 21600)


RIGHT = [(ex.q1, 28), (ex.q2, "bucket"), (ex.q3, 12), (ex.q4, 27), (ex.q5, 1639),
         (ex.q6, "same"), (ex.q7, 2400 * 35 / 21600)]


@pytest.mark.parametrize("q, answer", RIGHT, ids=[f"q{i}" for i in range(1, 8)])
def test_a_right_answer_passes(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 480),          # every event sent
    (ex.q1, 25),           # the burst only, no refill
    (ex.q2, "message"),
    (ex.q2, "evicted"),
    (ex.q3, 16),           # a heartbeat too
    (ex.q3, 8),            # no closing PATCH
    (ex.q4, 10),           # as if combined after nine
    (ex.q4, 1),            # the new API's answer
    (ex.q5, 1638),         # 4,095 ReplicaSets still fit
    (ex.q5, 4097),         # ReplicaSets, not nodes
    (ex.q5, 4096),         # the cache size itself
    (ex.q6, "fewer"),
    (ex.q7, 0),
    (ex.q7, 2400 * 9 / 21600),   # as if combined after nine messages (as at 20 s)
    (ex.q7, 2400 * 47 / 21600),  # every failure an Event, no spam filter
    (ex.q7, 84.0),               # objects / 1,000 instead of per pod-hour
])
def test_a_typical_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q, answer", RIGHT, ids=[f"q{i}" for i in range(1, 8)])
def test_an_unanswered_question_gets_a_hint_without_the_answer(q, answer, capsys):
    assert q(...) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ")
    if isinstance(answer, str):
        assert f"'{answer}'" not in out.split("Hint:")[1]
    else:
        for text in (f"{answer:.0f}", f"{answer:,.0f}", f"{answer:.1f}", f"{answer:.2f}"):
            assert text not in out or len(text) < 2
