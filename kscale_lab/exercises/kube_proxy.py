"""Self-checks for chapter 4, "kube-proxy: iptables vs IPVS" (``exercises/04-kube-proxy``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.kube_proxy`) on
the cluster the question describes; no answer is stored. The clusters are module constants so
the notebooks, the solutions and the tests all use the same ones.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_number
from kscale_lab.kube_proxy import (
    SVC_TAB_SIZE,
    IptablesProxier,
    KubeProxyDimensions,
    KubeProxyModel,
    iptables_sync_s,
    make_services,
)
from kscale_lab.kube_proxy.iptables import svc_chain

MODEL = KubeProxyModel()

#: Q1: 2,000 service ports with 5 ready endpoints each.
Q1_CLUSTER = KubeProxyDimensions(services=2000, backends_per_service=5)
#: Q2: one service with 4 endpoints; the question is about its third rule (k = 3).
Q2_BACKENDS, Q2_RULE = 4, 3
#: Q3: the envelope: 10,000 services with 10 endpoints each.
Q3_CLUSTER = KubeProxyDimensions(services=10_000, backends_per_service=10)
#: Q4: 10 endpoints per service; the question is the number of services.
Q4_BACKENDS, Q4_LIMIT_S = 10, 1.0
#: Q5: twice the envelope, with IPVS and its default round-robin scheduler.
Q5_CLUSTER = KubeProxyDimensions(services=20_000, backends_per_service=10)
#: Q6: the default cluster and churn (10,000 services, 10 backends, 5 changes/s).
Q6_CLUSTER = KubeProxyDimensions()
Q6_CHOICES = ("rarely", "half", "always")


def q1_expected() -> int:
    return MODEL.naive(Q1_CLUSTER).rules_total


def q1(answer: Any) -> bool:
    """How many rules does the iptables nat table of :data:`Q1_CLUSTER` hold?"""
    return check_number(
        answer, q1_expected(), rel_tol=0.01,
        right="one KUBE-SERVICES rule per service port, and per endpoint one KUBE-SVC rule "
              "plus a two-rule KUBE-SEP chain (the few fixed rules hardly matter).",
        hint="count per service port: its KUBE-SERVICES rule, its KUBE-SVC chain (one rule "
             "per endpoint) and one KUBE-SEP chain per endpoint (how many rules each?).")


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


def q2_expected() -> float:
    return rule_shares(Q2_BACKENDS)[Q2_RULE - 1]


def q2(answer: Any) -> bool:
    """Rule 3 of 4 says ``--probability 0.5``: what share of connections does it get?"""
    return check_number(
        answer, q2_expected(), abs_tol=0.01, rel_tol=0,
        right="a rule only sees the connections that every rule above it let through: "
              "(1 - 1/4) × (1 - 1/3) × 1/2 = 1/4. Probabilities 1/(n-i) give every endpoint "
              "the same share.",
        hint="the probability applies only to the connections that reach the rule. What "
             "fraction of connections gets past rules 1 and 2?")


def q3_expected() -> float:
    return MODEL.naive(Q3_CLUSTER).rules_per_packet


def q3(answer: Any) -> bool:
    """Mean rules evaluated for a connection's first packet at :data:`Q3_CLUSTER` (iptables)."""
    return check_number(
        answer, q3_expected(), rel_tol=0.03,
        right="half of KUBE-SERVICES on average to find the service, then a few rules in "
              "its KUBE-SVC and KUBE-SEP chains: the walk is linear in the number of services.",
        hint="the packet walks KUBE-SERVICES in order until its own service's rule; where is "
             "that rule on average? Add the KUBE-SVC rules until one matches and the KUBE-SEP "
             "chain.")


def q4_expected() -> int:
    """The fewest services whose iptables sync (10 endpoints each) takes over 1 s."""
    spec = KubeProxyDimensions.spec("services")
    lo, hi = int(spec.lo), int(spec.hi)              # lo: fast enough, hi: too slow
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if iptables_sync_s(mid, Q4_BACKENDS) > Q4_LIMIT_S:
            hi = mid
        else:
            lo = mid
    return hi


def q4(answer: Any) -> bool:
    """From how many services does one endpoint change take over a second (iptables)?"""
    return check_number(
        answer, q4_expected(), rel_tol=0.03,
        right="every change restores the whole table, so the sync time is proportional to "
              f"the rules, {1 + 3 * Q4_BACKENDS} per service here. (The costs are "
              "illustrative; the proportionality is the mechanism.)",
        hint="model.naive(dims).update_latency_s is one sync. Bisect on services, or solve "
             "base + per-rule cost × rules = 1 s with the constants IPTABLES_SYNC_BASE_S and "
             "IPTABLES_PER_RULE_S.")


def q5_expected() -> float:
    return MODEL.improved(Q5_CLUSTER).rules_per_packet


def q5(answer: Any) -> bool:
    """Mean entries IPVS examines per new connection at 20,000 services (rr)."""
    return check_number(
        answer, q5_expected(), rel_tol=0.05,
        right=f"the kernel's service table has a fixed {SVC_TAB_SIZE} chains, so each holds "
              f"~{Q5_CLUSTER.services / SVC_TAB_SIZE:.0f} services here and a lookup walks "
              "about half of one, plus one real server for rr. It grows with the services "
              f"too, but {2 * SVC_TAB_SIZE} times more slowly than iptables.",
        hint="a hash table with a fixed number of buckets (SVC_TAB_SIZE): how many services "
             "share a bucket, and how far into that chain is a service on average? Then add "
             "what the rr scheduler examines.")


def q6_expected() -> str:
    busy = MODEL.naive(Q6_CLUSTER).busy_fraction
    return "rarely" if busy < 0.25 else ("half" if busy < 0.75 else "always")


def q6(answer: Any) -> bool:
    """At the default churn, is the iptables proxier busy rarely, half the time or always?"""
    return check_choice(
        answer, q6_expected(), Q6_CHOICES,
        right="a sync takes seconds and several changes arrive during each, so the next sync "
              "starts as soon as one ends: the proxier restores the table back to back, "
              "forever, and every change waits one to two syncs.",
        hint="compare the time one sync takes with the time between two endpoint changes. "
             "What is pending when a sync ends?")

