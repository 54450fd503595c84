"""Chapter 4 exercises: every expected answer against an independent computation (by hand,
from the real rendered table, or by brute force), the worked answers pass, typical wrong
answers do not, and an unanswered question gets a gentle "Not yet"."""

import math

import numpy as np
import pytest
from answer_key import expected

from kscale_lab.exercises import kube_proxy as ex
from kscale_lab.kube_proxy import (
    FIXED_RULES,
    IPTABLES_PER_RULE_HELD_S,
    IPTABLES_PER_RULE_WRITTEN_S,
    IPTABLES_SYNC_BASE_S,
    IptablesProxier,
    Packet,
    make_services,
)

QUESTIONS = [ex.q1, ex.q2, ex.q3, ex.q4, ex.q5, ex.q6, ex.q7, ex.q8]
IDS = [f"q{i}" for i in range(1, 9)]


def by_hand_sync_s(services, backends, written=None):
    """One sync from the three calibrated constants: rules held, rules written."""
    held = FIXED_RULES + services * (1 + 3 * backends)
    return (IPTABLES_SYNC_BASE_S + IPTABLES_PER_RULE_WRITTEN_S * (held if written is None
                                                                  else written)
            + IPTABLES_PER_RULE_HELD_S * held)


# --- each expected answer, computed another way ----------------------------------------------

def test_q1_is_the_real_tables_rule_count():
    d = ex.Q1_CLUSTER
    real = IptablesProxier(make_services(d.services, d.backends_per_service)).rules_total
    assert expected(ex.q1) == real == 8 + 1200 * (1 + 7 + 2 * 7)


def test_q2_is_one_sixth_by_hand_and_by_routing():
    by_hand = (1 - 1 / 6) * (1 - 1 / 5) * (1 - 1 / 4) * (1 / 3)
    assert by_hand == pytest.approx(1 / 6)
    assert expected(ex.q2) == pytest.approx(by_hand, abs=1e-9)
    svc = make_services(1, ex.Q2_BACKENDS)[0]
    ipt = IptablesProxier([svc])
    rng = np.random.default_rng(4)
    p = Packet(0x0A000002, svc.cluster_ip, svc.port, svc.protocol)
    fourth = svc.endpoints[ex.Q2_RULE - 1]
    routed = sum(ipt.route(p, rng).backend == fourth for _ in range(30_000)) / 30_000
    assert routed == pytest.approx(1 / 6, abs=0.01)


def test_q3_the_append_is_mostly_the_table_copy():
    held = IPTABLES_PER_RULE_HELD_S * ex.Q3_RULES
    whole = IPTABLES_SYNC_BASE_S + IPTABLES_PER_RULE_WRITTEN_S + held
    assert held / whole > 0.9 and expected(ex.q3) == "c"


def test_q4_is_the_sum_over_every_call():
    total_s = sum(IPTABLES_SYNC_BASE_S + IPTABLES_PER_RULE_WRITTEN_S
                  + IPTABLES_PER_RULE_HELD_S * k for k in range(ex.Q4_RULES))
    assert expected(ex.q4) == pytest.approx(total_s / 3600, rel=1e-9)


def test_q5_is_one_sync_plus_nearly_a_whole_period():
    d = ex.Q5_CLUSTER
    sync = by_hand_sync_s(d.services, d.backends_per_service)
    gap = max(sync, d.min_sync_period_s)
    # λG = 20: the chance a change finds the proxier idle, e^-20 / 20, is negligible
    assert expected(ex.q5) == pytest.approx(sync + 0.99 * gap, rel=1e-6)


def test_q6_most_of_a_partial_sync_is_the_table_copy():
    d = ex.Q6_CLUSTER
    held = IPTABLES_PER_RULE_HELD_S * (FIXED_RULES + d.services * 31)
    assert held / ex.MODEL.naive(d).update_latency_s > 0.9 and expected(ex.q6) == "b"


def test_q7_is_one_sync_per_period():
    d = ex.Q7_CLUSTER
    sync = by_hand_sync_s(d.services, d.backends_per_service)
    cycle = d.min_sync_period_s + math.exp(-8 * 5) / 8
    assert expected(ex.q7) == pytest.approx(sync / cycle, rel=1e-9)
    assert expected(ex.q7) == pytest.approx(sync / d.min_sync_period_s, rel=1e-6)


def test_q8_by_hand_for_each_setup():
    """p99 ≈ sync + 0.99 × max(sync, period) when changes arrive many times per cycle."""
    d = ex.Q8_CLUSTER
    full = by_hand_sync_s(d.services, d.backends_per_service)
    # a partial sync writes KUBE-SERVICES and ~12 changes/s × one cycle of services' chains
    partial = by_hand_sync_s(d.services, d.backends_per_service,
                             written=d.services + 1 + 12 * 1.1 * 3 * 20)
    by_hand = {"full-1s": full + 0.99 * max(full, 1), "full-10s": full + 0.99 * 10,
               "partial-1s": partial + 0.99 * max(partial, 1),
               "partial-10s": partial + 0.99 * 10, "ipvs": 1e-4}
    for name, p99 in by_hand.items():
        assert ex.setup_outcome(name).network_programming_latency_p99_s == pytest.approx(
            p99, rel=0.02), name
    assert expected(ex.q8) == {n for n, p99 in by_hand.items() if p99 <= 3.0} \
        == {"partial-1s", "ipvs"}


# --- the checks ---------------------------------------------------------------------------

RIGHT = [26_408, 1 / 6, "c", expected(ex.q4), expected(ex.q5), "B", 0.2614,
         ["ipvs", "partial-1s"]]


@pytest.mark.parametrize("q, answer", list(zip(QUESTIONS, RIGHT, strict=True)), ids=IDS)
def test_a_right_answer_passes(q, answer, capsys):
    assert q(answer) is True
    assert capsys.readouterr().out.startswith("Right — ")


@pytest.mark.parametrize("q, wrong", [
    (ex.q1, 1200 * 7),          # one rule per endpoint
    (ex.q1, 8 + 1200 * 15),     # forgot one of the two KUBE-SEP rules
    (ex.q2, 1 / 3),             # the printed probability
    (ex.q3, "a"),               # "the kernel sorts the rules"
    (ex.q3, "e"),               # not one of the choices
    (ex.q4, 2 * expected(ex.q4)),   # forgot the halving of the triangle
    (ex.q4, expected(ex.q4) * 3600),  # seconds, not hours
    (ex.q5, 3.42),              # one sync, no wait for the period
    (ex.q6, "a"),               # "it still writes every chain"
    (ex.q6, "d"),               # "the period forces full restores"
    (ex.q7, 1.0),               # "a busy proxier is always busy"
    (ex.q8, ["ipvs"]),          # missed that a partial restore fits
    (ex.q8, ["ipvs", "partial-1s", "partial-10s"]),   # a long period undoes it
])
def test_a_typical_wrong_answer_is_not_yet(q, wrong, capsys):
    assert q(wrong) is False
    assert capsys.readouterr().out.startswith("Not yet — ")


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_unanswered_is_not_yet_and_the_hint_hides_the_answer(q, capsys):
    assert q(...) is False
    hint = capsys.readouterr().out
    assert hint.startswith("Not yet — ")
    want = expected(q)
    if isinstance(want, float | int):
        shown = {f"{want:.0f}", f"{want:,.0f}", f"{want:.1f}", f"{want:.2f}"}
        assert not any(text in hint for text in shown if text not in ("0", "0.0", "1", "1.0"))
    elif isinstance(want, set):
        assert not all(name in hint for name in want)


def test_explain_why_wrong_options_get_their_own_hint(capsys):
    hints = set()
    for option in ("a", "b", "d"):
        ex.q3(option)
        hints.add(capsys.readouterr().out)
    assert len(hints) == 3


def test_no_module_level_name_holds_an_expected_answer():
    assert not [n for n in vars(ex) if "expected" in n.lower()]
