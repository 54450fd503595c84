"""Self-checks for chapter 4, "kube-proxy: iptables vs IPVS" (``exercises/04-kube-proxy``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.kube_proxy`) on
the cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The clusters are module constants so the
notebooks, the solutions and the tests all use the same ones — and none of them is a cluster
the chapter used.

The set runs from counting rules (Q1) to choosing a proxier for a latency objective (Q8).
Q3 and Q6 are explain-why choices whose wrong options are the chapter's common
misconceptions; each wrong option gets its own hint.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_number, check_set, scoring
from kscale_lab.kube_proxy import (
    IPTABLES_PER_RULE_HELD_S,
    IptablesProxier,
    KubeProxyDimensions,
    KubeProxyModel,
    iptables_append_s,
    iptables_one_by_one_s,
    iptables_rules,
    make_services,
)
from kscale_lab.kube_proxy.iptables import svc_chain

__dir__, score, not_yet = scoring.check_module(__name__)

MODEL = KubeProxyModel()

#: Q1: 1,200 service ports with 7 ready endpoints each.
Q1_CLUSTER = KubeProxyDimensions(services=1200, backends_per_service=7)
#: Q2: one service with 6 endpoints; the question is about its fourth rule.
Q2_BACKENDS, Q2_RULE = 6, 4
#: Q3: why one ``iptables -A`` into a loaded 40,000-rule table costs so much (legacy back end).
Q3_RULES = 40_000
Q3_CHOICES = ("a", "b", "c", "d")
#: Q4: a table of 60,000 rules built with one ``iptables -A`` per rule.
Q4_RULES = 60_000
#: Q5: 4,000 services × 20 backends, 2 changes/s, full restores, a 10 s minimum sync period.
Q5_CLUSTER = KubeProxyDimensions(services=4000, backends_per_service=20,
                                 endpoint_changes_per_s=2, min_sync_period_s=10)
#: Q6: why a partial restore at 10,000 services (legacy) still takes about half a full sync.
Q6_CLUSTER = KubeProxyDimensions(iptables_restore="partial")
Q6_CHOICES = ("a", "b", "c", "d")
#: Q7: 3,000 services × 10 backends, 8 changes/s, full restores, minimum sync period 5 s.
Q7_CLUSTER = KubeProxyDimensions(services=3000, backends_per_service=10,
                                 endpoint_changes_per_s=8, min_sync_period_s=5)
#: Q8: 2,500 services × 20 backends, 12 changes/s; an objective of p99 ≤ 3 s.
Q8_CLUSTER = KubeProxyDimensions(services=2500, backends_per_service=20,
                                 endpoint_changes_per_s=12)
Q8_OBJECTIVE_S = 3.0
#: Q8's setups: (restore mode, minimum sync period) for iptables; ``None`` for IPVS.
Q8_SETUPS = {"full-1s": ("full", 1.0), "full-10s": ("full", 10.0),
             "partial-1s": ("partial", 1.0), "partial-10s": ("partial", 10.0), "ipvs": None}


# --- Q1 --------------------------------------------------------------------------------------


def q1(answer: Any) -> bool:
    """How many rules does the ``nat`` table of :data:`Q1_CLUSTER` hold (iptables mode)?"""
    def expected() -> int:
        return MODEL.naive(Q1_CLUSTER).rules_total

    return check_number(
        answer, expected(), rel_tol=0.01,
        right="one KUBE-SERVICES rule per service port, and per endpoint one KUBE-SVC rule "
              "plus a two-rule KUBE-SEP chain — on every node of the cluster.",
        hint="count per service port: its KUBE-SERVICES rule, its KUBE-SVC chain (one rule "
             "per endpoint) and one KUBE-SEP chain per endpoint (how many rules each?).")


# --- Q2 --------------------------------------------------------------------------------------

def rule_shares(backends: int) -> list[float]:
    """The share of new connections each rule of a ``KUBE-SVC`` chain really gets, from the
    probabilities the lab's table stores: rule k is reached only if rules 1 … k-1 missed."""
    svc = make_services(1, backends)[0]
    rules = IptablesProxier([svc]).chains[svc_chain(svc)]
    reach, shares = 1.0, []
    for r in rules:
        p = 1.0 if r.probability is None else r.probability
        shares.append(reach * p)
        reach *= 1 - p
    return shares


def q2(answer: Any) -> bool:
    """Rule 4 of 6 prints ``--probability 0.33333333349``: what share of connections does
    its endpoint get?"""
    def expected() -> float:
        return rule_shares(Q2_BACKENDS)[Q2_RULE - 1]

    return check_number(
        answer, expected(), abs_tol=0.01, rel_tol=0,
        right="a rule only sees the connections that every rule above it let through, and "
              "the probabilities 1/(n-i) are chosen so that each endpoint ends up with the "
              "same share.",
        hint="the printed probability applies only to the connections that reach the rule. "
             "What fraction of connections gets past rules 1, 2 and 3?")


# --- Q3 --------------------------------------------------------------------------------------

_Q3_WHY = {
    "a": "netfilter keeps rules in the order they were added and walks them in that order; "
         "nothing is sorted. Where does the time go if not into the one new rule?",
    "b": "conntrack entries are not checked against new rules. Look at what the tool has to "
         "read and write to change the table at all.",
    "d": "-A appends to the one chain named.",
}


def q3(answer: Any) -> bool:
    """Why does one ``iptables -A`` into a loaded table cost so much (legacy back end)?"""
    def expected() -> str:
        """The lab's account (calibrated on the real tool): an append into a loaded table is
        mostly the part per rule held — the whole-table copy — so the answer is ``c`` when that
        part is most of the call."""
        rules = Q3_RULES
        held = IPTABLES_PER_RULE_HELD_S * rules
        return "c" if held > 0.5 * float(iptables_append_s(rules)) else "a"

    return check_choice(
        answer, expected(), Q3_CHOICES, why=_Q3_WHY,
        right="there is no call that changes one rule: every call copies the table out of "
              "the kernel and back, so its cost grows with the rules already there.",
        hint="compare the time of one append with the number of rules already in the table.")


# --- Q4 --------------------------------------------------------------------------------------


def q4(answer: Any) -> bool:
    """Hours to build a :data:`Q4_RULES`-rule table with one ``iptables -A`` per rule."""
    def expected() -> float:
        return float(iptables_one_by_one_s(Q4_RULES)) / 3600

    return check_number(
        answer, expected(), rel_tol=0.05,
        right="each call copies every rule already there, so the calls cost 0, 1, 2 … rules' "
              "worth: the total grows with the square of the table.",
        hint="call k finds k - 1 rules in place; add up base + written + held × (k - 1) over "
             "every call (iptables_append_s), and mind the unit: hours.")


# --- Q5 --------------------------------------------------------------------------------------


def q5(answer: Any) -> bool:
    """p99 network programming latency of :data:`Q5_CLUSTER` (iptables, full restores)."""
    def expected() -> float:
        return MODEL.naive(Q5_CLUSTER).network_programming_latency_p99_s

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="with a change every half second and syncs at most every 10 s, nearly every "
              "change waits for the next sync to start and then for the whole sync: the "
              "period, not the sync, sets the tail.",
        hint="a change waits for the next sync to start (at most one minimum sync period, "
             "or one sync if that is longer), then for the sync itself.")


# --- Q6 --------------------------------------------------------------------------------------

_Q6_WHY = {
    "a": "KEP-3453 writes only the changed services' chains; count the rules a partial "
         "restore writes (iptables_rules_written) against those the table holds.",
    "c": "KEP-3453 is about iptables mode's restore input; IPVS has no iptables-restore of "
         "the services at all.",
    "d": "the minimum sync period limits how often syncs start; full resyncs are periodic "
         "but rare.",
}


def q6(answer: Any) -> bool:
    """Why is a partial restore at 10,000 services still about half as slow as a full one?"""
    def expected() -> str:
        """``b`` if most of a partial sync is the table copy (rules held), as the lab says."""
        part = MODEL.naive(Q6_CLUSTER).update_latency_s
        held = IPTABLES_PER_RULE_HELD_S * float(iptables_rules(Q6_CLUSTER.services,
                                                                 Q6_CLUSTER.backends_per_service))
        return "b" if held > 0.5 * part else "a"

    return check_choice(
        answer, expected(), Q6_CHOICES, why=_Q6_WHY,
        right="the input shrinks to KUBE-SERVICES and a few chains, but the legacy back end "
              "still copies every rule the table holds into the kernel on every call.",
        hint="split one partial sync's time into what it writes and what the table holds.")


# --- Q7 --------------------------------------------------------------------------------------


def q7(answer: Any) -> bool:
    """Fraction of the time the iptables proxier of :data:`Q7_CLUSTER` spends syncing."""
    def expected() -> float:
        return MODEL.naive(Q7_CLUSTER).busy_fraction

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="at this churn a sync starts every period, so the proxier works one sync per "
              "period: a longer period buys CPU back and costs latency.",
        hint="how often does a sync start when changes arrive many times per period, and how "
             "long does each take? Give a fraction between 0 and 1.")


# --- Q8 --------------------------------------------------------------------------------------

def setup_outcome(name: str, dims: KubeProxyDimensions = Q8_CLUSTER) -> Any:
    """The outcome of one of :data:`Q8_SETUPS` on ``dims``."""
    if name not in Q8_SETUPS:
        raise ValueError(f"setup must be one of {', '.join(Q8_SETUPS)}; got {name!r}")
    setup = Q8_SETUPS[name]
    if setup is None:
        return MODEL.improved(dims)
    restore, period = setup
    return MODEL.naive(dims.replace(iptables_restore=restore, min_sync_period_s=period))


def q8(answer: Any) -> bool:
    """Which setups keep :data:`Q8_CLUSTER`'s p99 network programming latency within
    :data:`Q8_OBJECTIVE_S`? (A list of names from :data:`Q8_SETUPS`.)"""
    def expected() -> set[str]:
        return {name for name in Q8_SETUPS
                if setup_outcome(name).network_programming_latency_p99_s <= Q8_OBJECTIVE_S}

    return check_set(
        answer, expected(),
        right="the tail is one wait for a sync to start plus one sync: shrinking the sync "
              "helps only while the period is shorter than the sync, and a long period "
              "undoes any sync you saved.",
        hint="for each setup: how long is one sync, and which is longer — the sync or the "
             "minimum sync period? p99 ≈ sync + 0.99 × the longer of the two.")
