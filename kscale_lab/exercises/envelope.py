"""Self-checks for chapter 1, "Scalability is multi-dimensional" (``exercises/01-envelope``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.envelope`) on the
cluster the question describes; no answer is stored. The clusters are module constants so the
notebooks, the solutions and the tests all use the same ones.
"""

from __future__ import annotations

import math
from typing import Any

from kscale_lab.envelope import (
    THRESHOLD_NAMES,
    ClusterDimensions,
    EnvelopeModel,
    ThresholdCheck,
    assess,
)
from kscale_lab.exercises import check_choice, check_number, check_set

MODEL = EnvelopeModel()

#: Q1: 4,000 nodes at 50 pods per node; everything else at the defaults.
Q1_CLUSTER = ClusterDimensions(nodes=4000, pods_per_node=50)
#: Q2: 1,000 nodes with 16 cores each, running 150 pods per node.
Q2_CLUSTER = ClusterDimensions(nodes=1000, cores_per_node=16, pods_per_node=150)
#: Q3: 2,500 small nodes (8 cores, 40 pods), 20 namespaces, 300 endpoints per service.
Q3_CLUSTER = ClusterDimensions(nodes=2500, cores_per_node=8, pods_per_node=40, namespaces=20,
                               backends_per_service=300)
#: Q4: how many nodes at 60 pods per node (other dimensions at the defaults)?
Q4_CLUSTER = ClusterDimensions(pods_per_node=60)
#: Q5: 100,000 pods (2,000 nodes × 50 pods per node): the fewest namespaces that hold them.
Q5_CLUSTER = ClusterDimensions(nodes=2000, pods_per_node=50)


def _check(dims: ClusterDimensions, name: str) -> ThresholdCheck:
    return assess(dims, (name,))[0]


def _pct(dims: ClusterDimensions, name: str) -> str:
    return f"{_check(dims, name).ratio:.0%}"


def _limit(dims: ClusterDimensions, name: str) -> float:
    return _check(dims, name).limit


def q1_expected() -> str:
    """``"inside"`` or ``"outside"``: the envelope's verdict on :data:`Q1_CLUSTER`."""
    return "inside" if MODEL.improved(Q1_CLUSTER).within_envelope else "outside"


def q1(answer: Any) -> bool:
    """Is 4,000 nodes × 50 pods/node inside the envelope? Answer ``"inside"``/``"outside"``."""
    return check_choice(
        answer, q1_expected(), ["inside", "outside"],
        right=f"{Q1_CLUSTER.nodes:,} nodes is fine on its own, and so is "
              f"{Q1_CLUSTER.pods_per_node} pods per node — but together they make "
              f"{Q1_CLUSTER.pods:,} pods, {_pct(Q1_CLUSTER, 'pods')} of the 150,000-pod "
              "threshold.",
        hint="multiply: how many pods does the cluster run in total, and what is the "
             "pods-per-cluster threshold?")


def q2_expected() -> set[str]:
    """The names of the thresholds :data:`Q2_CLUSTER` exceeds."""
    return {c.name for c in assess(Q2_CLUSTER) if not c.inside}


def q2(answer: Any) -> bool:
    """Which thresholds does 1,000 nodes × 16 cores × 150 pods/node exceed? A list of names."""
    return check_set(
        answer, q2_expected(),
        right=f"only {', '.join(sorted(q2_expected()))}: its threshold is min(110, 10 × "
              f"{Q2_CLUSTER.cores_per_node}) = {_limit(Q2_CLUSTER, 'pods_per_node'):.0f}. The "
              f"cluster's {Q2_CLUSTER.pods:,} pods are {_pct(Q2_CLUSTER, 'pods')} of the "
              "per-cluster threshold; a threshold is an 'up to', so being exactly at it is "
              "still inside.",
        hint=f"use the names in THRESHOLD_NAMES ({', '.join(THRESHOLD_NAMES)}); the pods-per-node "
             "threshold is min(110, 10 × cores), and 'at the limit' still counts as inside.")


def q3_expected() -> str:
    """The threshold with the largest value/limit ratio for :data:`Q3_CLUSTER`."""
    return MODEL.improved(Q3_CLUSTER).worst_dimension


def q3(answer: Any) -> bool:
    """Which threshold does :data:`Q3_CLUSTER` exceed the most (largest value ÷ threshold)?"""
    return check_choice(
        answer, q3_expected(), THRESHOLD_NAMES,
        right=f"{Q3_CLUSTER.pods:,} pods over only {Q3_CLUSTER.namespaces} namespaces is "
              f"{_pct(Q3_CLUSTER, 'pods_per_namespace')} of the pods-per-namespace threshold — "
              f"worse than {Q3_CLUSTER.backends_per_service} endpoints per service "
              f"({_pct(Q3_CLUSTER, 'endpoints_per_service')}). Few namespaces make a derived "
              "dimension bind first.",
        hint="compute value ÷ threshold for every threshold, including the derived ones "
             "(pods per namespace = nodes × pods per node ÷ namespaces).")


def q4_expected() -> int:
    """The largest #nodes the envelope allows for :data:`Q4_CLUSTER` (other dims fixed)."""
    return MODEL.improved(Q4_CLUSTER).max_nodes


def q4(answer: Any) -> bool:
    """The largest number of nodes at 60 pods per node that stays inside the envelope."""
    return check_number(
        answer, q4_expected(), rel_tol=0.0, abs_tol=0.5,
        right=f"at {Q4_CLUSTER.pods_per_node} pods per node the 150,000-pod threshold binds "
              f"before the 5,000-node one: 150,000 ÷ {Q4_CLUSTER.pods_per_node} = "
              f"{q4_expected():,} nodes. Denser nodes, smaller clusters.",
        hint="which threshold grows with #nodes besides #nodes itself? Solve it for #nodes.")


def q5_expected() -> int:
    """The fewest namespaces that keep :data:`Q5_CLUSTER`'s pods under 3,000 per namespace."""
    namespaces = math.ceil(Q5_CLUSTER.pods / 3000)
    while namespaces > 1 and all(c.inside for c in assess(
            Q5_CLUSTER.replace(namespaces=namespaces - 1), ("pods_per_namespace",))):
        namespaces -= 1
    while not all(c.inside for c in assess(
            Q5_CLUSTER.replace(namespaces=namespaces), ("pods_per_namespace",))):
        namespaces += 1
    return namespaces


def q5(answer: Any) -> bool:
    """The fewest namespaces over which 100,000 pods can be spread (evenly) inside the envelope."""
    return check_number(
        answer, q5_expected(), rel_tol=0.0, abs_tol=0.5,
        right=f"{Q5_CLUSTER.pods:,} ÷ 3,000 = {Q5_CLUSTER.pods / 3000:.1f}, so "
              f"{q5_expected()} namespaces — and that assumes a perfectly even spread. Real "
              "namespaces are skewed, so plan for many more.",
        hint="pods per namespace = pods ÷ namespaces must be at most 3,000; namespaces come "
             "in whole numbers, so round the right way.")


QUESTIONS = {"q1": (q1, q1_expected), "q2": (q2, q2_expected), "q3": (q3, q3_expected),
             "q4": (q4, q4_expected), "q5": (q5, q5_expected)}
"""Each question's check and the function that computes its expected answer (for tests)."""
