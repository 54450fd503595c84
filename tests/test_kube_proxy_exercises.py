"""Chapter 4 exercises: the worked solutions pass their checks, wrong answers do not, and an
unanswered question (``...``) gets a gentle "Not yet" instead of an exception."""

import numpy as np
import pytest

from kscale_lab.exercises import kube_proxy as ex
from kscale_lab.kube_proxy import (
    IPTABLES_PER_RULE_S,
    IPTABLES_SYNC_BASE_S,
    SVC_TAB_SIZE,
    IptablesProxier,
    KubeProxyDimensions,
    KubeProxyModel,
    Packet,
    make_services,
)

MODEL = KubeProxyModel()
QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6]
IDS = [f"q{i}" for i in range(1, 7)]


def solution_1():
    d = ex.Q1_CLUSTER
    return d.services * (1 + d.backends_per_service + 2 * d.backends_per_service)


def solution_2():
    """By hand: the connections that get past rules 1 and 2, times the rule's probability."""
    return (1 - 1 / 4) * (1 - 1 / 3) * (1 / 2)


def solution_2_by_routing():
    """As in the solutions notebook: route 40,000 connections and count (seeded)."""
    svc = make_services(1, ex.Q2_BACKENDS)[0]
    ipt = IptablesProxier([svc])
    rng = np.random.default_rng(4)
    p = Packet(0x0A000002, svc.cluster_ip, svc.port, svc.protocol)
    third = svc.endpoints[ex.Q2_RULE - 1]
    return sum(ipt.route(p, rng).backend == third for _ in range(40_000)) / 40_000


def solution_3():
    d = ex.Q3_CLUSTER
    return 1 + (d.services + 1) / 2 + (d.backends_per_service + 1) / 2 + 2


def solution_4():
    """Solve base + per-rule × (8 + S × 31) = 1 s for S."""
    rules = (ex.Q4_LIMIT_S - IPTABLES_SYNC_BASE_S) / IPTABLES_PER_RULE_S
    return int((rules - 8) / (1 + 3 * ex.Q4_BACKENDS)) + 1


def solution_5():
    return 1 + (ex.Q5_CLUSTER.services - 1) / (2 * SVC_TAB_SIZE) + 1


def solution_6():
    """By hand: one full restore of Q6's table takes longer than the gap between changes, so
    a sync almost never ends with nothing pending (no change during it: e^(-rate × sync))."""
    d = ex.Q6_CLUSTER
    rules = 8 + d.services * (1 + 3 * d.backends_per_service)
    sync_s = IPTABLES_SYNC_BASE_S + IPTABLES_PER_RULE_S * rules
    idle_after_a_sync = np.exp(-d.endpoint_changes_per_s * sync_s)
    return "always" if idle_after_a_sync < 0.05 else "half"


SOLUTIONS = [solution_1, solution_2, solution_3, solution_4, solution_5, solution_6]


@pytest.mark.parametrize("q, solve", list(zip(QUESTIONS, SOLUTIONS, strict=True)), ids=IDS)
def test_worked_solution_is_right(q, solve, capsys):
    assert q(solve()) is True
    assert capsys.readouterr().out.startswith("Right — ")


def test_routing_estimate_of_q2_is_accepted_too(capsys):
    assert ex.q2(solution_2_by_routing()) is True


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 10_000),            # one rule per endpoint
    (ex.q1, 22_008),            # forgot one of the two KUBE-SEP rules
    (ex.q1, "32008"),           # a string
    (ex.q2, 0.5),               # the printed probability
    (ex.q2, 1 / 3),
    (ex.q3, 10_000),            # the whole chain, not half
    (ex.q3, 21.5),              # IPVS's answer
    (ex.q4, 10_000),
    (ex.q4, 98_000),            # rules, not services
    (ex.q5, 2),                 # "a hash table is O(1)"
    (ex.q5, 5009),
    (ex.q6, "rarely"),
    (ex.q6, "sometimes"),       # not one of the choices
])
def test_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_hints_do_not_reveal_the_answer(q, capsys):
    q(...)
    hint = capsys.readouterr().out
    expected = {ex.q1: ex.q1_expected, ex.q2: ex.q2_expected, ex.q3: ex.q3_expected,
                ex.q4: ex.q4_expected, ex.q5: ex.q5_expected, ex.q6: ex.q6_expected}[q]()
    if isinstance(expected, str):
        assert f"'{expected}'" not in hint.split("Hint:")[1]
    elif expected < 1:
        assert f"{expected:.2f}" not in hint and "1/4" not in hint
    else:
        for text in (f"{expected:.0f}", f"{expected:,.0f}", f"{expected:.1f}"):
            assert text not in hint


def test_expected_answers_follow_the_mechanism():
    assert ex.q1_expected() == 8 + 2000 * 16
    assert ex.rule_shares(4) == pytest.approx([0.25] * 4, abs=1e-9)
    assert ex.rule_shares(7) == pytest.approx([1 / 7] * 7, abs=1e-9)
    assert ex.q3_expected() == pytest.approx(10_000 / 2, rel=0.01)
    s = ex.q4_expected()

    def sync_s(services):
        dims = KubeProxyDimensions(services=services, backends_per_service=ex.Q4_BACKENDS)
        return MODEL.naive(dims).update_latency_s

    assert sync_s(s) > 1.0 >= sync_s(s - 1)
    assert ex.q5_expected() == pytest.approx(2 + 19_999 / 512)
    assert ex.q6_expected() == "always"
