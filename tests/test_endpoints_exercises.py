"""Chapter 8 exercises: each expected answer against an independent computation; right
answers pass, typical wrong ones do not, an unanswered one gets a gentle "Not yet"."""

from __future__ import annotations

import math

import pytest
from answer_key import expected

from kscale_lab.endpoints import backends, endpoints_object, json_bytes, protobuf_bytes
from kscale_lab.exercises import endpoints as ex
from kscale_lab.units import MiB

SHARES = {"leader-election": 10, "node-high": 40, "system": 30, "workload-high": 40,
          "workload-low": 100, "global-default": 20, "catch-all": 5}


def erlang_b_by_sum(c, a):
    """(A^c / c!) / Σ A^k / k!, summed in logarithms (A^200 overflows a float)."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c + 1)]
    top = max(logs)
    return math.exp(logs[-1] - top) / sum(math.exp(x - top) for x in logs)


def not_ready_by_recurrence(nodes, p, renewals=360, run=4):
    a = [1.0] * run + [1 - p**run]
    for k in range(run + 1, renewals + 1):
        a.append(a[k - 1] - (1 - p) * p**run * a[k - run - 1])
    return nodes * (1 - a[renewals])


def solution_1():
    d = ex.Q1_CLUSTER
    return d.nodes * protobuf_bytes(endpoints_object("web", backends("web", 400))) / MiB


def solution_2():
    return "same"          # one object rewritten per change, one event per kube-proxy


def solution_3():
    e = {n: protobuf_bytes(endpoints_object("web", backends("web", n))) for n in (300, 1200)}
    return 1200 * e[1200] / (300 * e[300])


def solution_4():
    one = json_bytes(endpoints_object("web", backends("web", 1)))
    per = json_bytes(endpoints_object("web", backends("web", 2))) - one
    return (1.5 * MiB - one) // per + 1


def solution_5():
    return math.ceil(1100 * SHARES["workload-low"] / sum(SHARES.values()))


def solution_6():
    return "b"


def solution_7():
    d = ex.Q7_CLUSTER
    offered = (d.nodes / 10 + d.noisy_requests_per_s + d.workload_requests_per_s) * 0.05
    return 100 * erlang_b_by_sum(200, offered)


def solution_8():
    d = ex.Q8_CLUSTER
    lo, hi = 0.0, 20_000.0
    for _ in range(40):
        mid = (lo + hi) / 2
        offered = (d.nodes / 10 + mid + d.workload_requests_per_s) * 0.05
        if not_ready_by_recurrence(d.nodes, erlang_b_by_sum(200, offered)) < 1:
            lo = mid
        else:
            hi = mid
    return lo


QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6, ex.q7, ex.q8]
SOLUTIONS = [solution_1, solution_2, solution_3, solution_4, solution_5, solution_6,
             solution_7, solution_8]


@pytest.mark.parametrize("q, solve", list(zip(QUESTIONS, SOLUTIONS, strict=True)),
                         ids=[f"q{i}" for i in range(1, 9)])
def test_an_independent_solution_is_accepted(q, solve, capsys):
    assert q(solve()) is True
    assert capsys.readouterr().out.startswith("Right — ")


def test_q4_independent_answer_is_exact():
    assert expected(ex.q4) == solution_4()


def test_q5_independent_answer_is_exact():
    assert expected(ex.q5) == solution_5() == 449


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, solution_1() * 1.048576),       # MB instead of MiB
    (ex.q1, solution_1() / 3000),           # one kube-proxy, not every node's
    (ex.q2, "fewer"),
    (ex.q3, 4),                             # linear growth: the slices' answer
    (ex.q4, 1.5e6 / 172),                   # a million for a MiB
    (ex.q5, 408),                           # 1,000 seats: the flags misread
    (ex.q5, 245),                           # the default's seats
    (ex.q6, "a"), (ex.q6, "c"), (ex.q6, "d"),
    (ex.q7, solution_7() / 100),            # a fraction, not a percentage
    (ex.q7, 0),
    (ex.q8, 4000),                          # the pool's capacity itself
    (ex.q8, 20_000),
])
def test_typical_wrong_answers_are_refused(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q", QUESTIONS)
def test_an_unanswered_question_says_not_yet(q, capsys):
    assert q(...) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ")


def test_no_module_level_name_holds_an_expected_answer():
    assert not [n for n in vars(ex) if "expected" in n.lower()]
