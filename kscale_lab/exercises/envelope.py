"""Self-checks for chapter 1, "Scalability is multi-dimensional" (``exercises/01-envelope``).

Seven questions, from easy to hard: a derived dimension computed by hand and then by the lab
(q1), the density a cluster of small nodes may run (q2), a prediction about
how the largest cluster changes with density (q3), the largest cluster when namespaces bind
(q4), a plan that trips two thresholds, whose wrong options are the chapter's
misconceptions (q5), the busiest namespace that the even-spread averages hide (q6), and a
synthesis: how far a skewed cluster can grow (q7).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.envelope`) on
the cluster the question describes, in a private function; no answer is stored. The
clusters are module constants so the notebooks, the solutions and the tests use the same
ones.
"""

from __future__ import annotations

import math
from typing import Any

from kscale_lab.envelope import (
    THRESHOLD_NAMES,
    ClusterDimensions,
    EnvelopeModel,
    assess,
    max_nodes,
    threshold,
)
from kscale_lab.exercises import check_choice, check_number, question, scoring

__all__ = ["MODEL", "Q1_CLUSTER", "Q2_CLUSTER", "Q3_AFTER", "Q3_BEFORE", "Q3_CHOICES", "Q4_CLUSTER",
           "Q5_CHOICES", "Q5_PLAN", "Q5_TODAY", "Q6_CLUSTER", "Q7_BUSIEST_SHARE",
           "Q7_CLUSTER", "THRESHOLD_NAMES", "not_yet", "q1", "q2", "q3", "q4", "q5", "q6",
           "q7", "score"]

MODEL = EnvelopeModel()

#: Q1: 3,200 nodes of 12 cores at 45 pods per node (other dimensions at the lab's defaults).
Q1_CLUSTER = ClusterDimensions(nodes=3200, pods_per_node=45, cores_per_node=12)
#: Q2: 2,500 nodes of 7 cores (other dimensions at the defaults; pods per node is the question).
Q2_CLUSTER = ClusterDimensions(nodes=2500, cores_per_node=7)
#: Q3: halving the density from 50 to 25 pods per node (16 cores, 200 namespaces).
Q3_BEFORE = ClusterDimensions(pods_per_node=50)
Q3_AFTER = ClusterDimensions(pods_per_node=25)
Q3_CHOICES = {"a": "it halves", "b": "it stays the same", "c": "it grows, but less than twice",
              "d": "it doubles", "e": "it more than doubles"}
#: Q4: 40 pods per node in only 25 namespaces (16 cores).
Q4_CLUSTER = ClusterDimensions(pods_per_node=40, namespaces=25)
#: Q5: a cluster today, and the plan: twice the cores per node to run twice the pods.
Q5_TODAY = ClusterDimensions(nodes=1500, cores_per_node=32, pods_per_node=100, namespaces=300)
Q5_PLAN = Q5_TODAY.replace(cores_per_node=64, pods_per_node=200)
Q5_CHOICES = {
    "a": "It works: with 64 cores the pods-per-node threshold is 10 × 64 = 640 pods.",
    "b": "It fails on pods per node only: that threshold stops growing with cores at 110.",
    "c": "It fails on pods per node and on pods per cluster.",
    "d": "It is fine: the cluster stays well under 5,000 nodes.",
}
#: Q6: 2,000 nodes × 30 pods per node in 40 namespaces.
Q6_CLUSTER = ClusterDimensions(nodes=2000, pods_per_node=30, namespaces=40)
#: Q7: 2,400 nodes × 55 pods per node in 60 namespaces; the busiest holds 2.2 % of the pods.
Q7_CLUSTER = ClusterDimensions(nodes=2400, pods_per_node=55, namespaces=60)
Q7_BUSIEST_SHARE = 0.022


def __dir__() -> list[str]:
    return list(__all__)


def score() -> tuple[int, int]:
    """Print how many of this chapter's questions are right (in this session)."""
    return scoring.score(__name__)


def not_yet() -> list[str]:
    """Print the questions not yet right, with what each asks."""
    return scoring.not_yet(__name__)


# --- q1 ------------------------------------------------------------------------------------

def _q1_expected() -> float:
    return assess(Q1_CLUSTER, ("pods",))[0].ratio


@question
def q1(answer: Any) -> bool:
    """Pods per cluster of 3,200 × 45 (12 cores) as a fraction of its threshold."""
    return check_number(
        answer, _q1_expected(), rel_tol=0.01, unit="",
        right="pods per cluster is the product of two dimensions that each look harmless on "
              "their own; a cluster this close to a threshold has little room to grow in "
              "either direction.",
        hint="pods per cluster = nodes × pods per node; divide by the pods threshold. A "
             "fraction (0.5) or a percentage with its sign (\"50 %\") both work.")


# --- q2 ------------------------------------------------------------------------------------

def _q2_expected() -> int:
    """The largest pods per node that keeps :data:`Q2_CLUSTER` inside (brute force)."""
    spec = ClusterDimensions.spec("pods_per_node")
    inside = [p for p in range(int(spec.lo), int(spec.hi) + 1)
              if MODEL.improved(Q2_CLUSTER.replace(pods_per_node=p)).within_envelope]
    return max(inside)


@question
def q2(answer: Any) -> bool:
    """The most pods per node a cluster of 2,500 seven-core nodes may run."""
    own = assess(Q2_CLUSTER, ("pods_per_node",))[0].limit
    return check_number(
        answer, _q2_expected(), rel_tol=0.0, abs_tol=0.5, unit="pods",
        right="a node's own limit is only the first cap on density; in a large cluster a "
              "per-cluster threshold divides among the nodes and caps it lower.",
        why={own: "that is the node's own limit, min(110, 10 × cores). At this cluster size "
                  "another threshold caps the density lower.",
             threshold("pods_per_node").limit: "110 is the kubelet's half of the "
                                               "pods-per-node threshold; these nodes are small."},
        hint="density is capped by min(110, 10 × cores) per node, and by every threshold that "
             "grows with nodes × pods per node. Solve each for pods per node, or try values "
             "with model.improved(ex.Q2_CLUSTER.replace(pods_per_node=p)).within_envelope.")


# --- q3 ------------------------------------------------------------------------------------

def _q3_expected() -> str:
    ratio = MODEL.improved(Q3_AFTER).max_nodes / MODEL.improved(Q3_BEFORE).max_nodes
    if math.isclose(ratio, 0.5, rel_tol=0.02):
        return "a"
    if math.isclose(ratio, 1.0, rel_tol=0.02):
        return "b"
    if math.isclose(ratio, 2.0, rel_tol=0.02):
        return "d"
    return "c" if 1.0 < ratio < 2.0 else ("e" if ratio > 2.0 else "a")


@question
def q3(answer: Any) -> bool:
    """Halve the density from 50 to 25 pods per node: how does the largest cluster change?"""
    return check_choice(
        answer, _q3_expected(), Q3_CHOICES,
        right="the envelope's size limit is the lowest of several caps, and a change of "
              "density moves only the caps that depend on it — the shape the chapter calls "
              "\"not a box\".",
        why={"d": "that would be true if the pods-per-cluster threshold still bound after "
                  "the change. Does it?",
             "b": "the node count alone would say so, but the envelope's answer depends on "
                  "the density.",
             "a": "fewer pods per node leave more room for nodes, not less."},
        hint="compare model.improved(ex.Q3_BEFORE).max_nodes with model.improved(ex.Q3_AFTER)"
             ".max_nodes, and look at which threshold binds after the change.")


# --- q4 ------------------------------------------------------------------------------------

def _q4_expected() -> int:
    return MODEL.improved(Q4_CLUSTER).max_nodes


@question
def q4(answer: Any) -> bool:
    """The largest number of nodes at 40 pods per node in 25 namespaces."""
    return check_number(
        answer, _q4_expected(), rel_tol=0.0, abs_tol=0.5, unit="nodes",
        right="with few namespaces a per-namespace threshold binds before the per-cluster "
              "one: the fix is more namespaces, not fewer pods.",
        why={max_nodes(Q4_CLUSTER, ("nodes", "pods")):
                 "that is where pods per cluster binds — but another derived threshold "
                 "binds earlier.",
             max_nodes(Q4_CLUSTER, ("nodes",)):
                 "that is the one-number answer; the envelope has more thresholds that grow "
                 "with the node count."},
        hint="several thresholds grow with the number of nodes: pods per cluster, and pods "
             "per namespace = nodes × pods per node ÷ namespaces. Solve each for nodes and "
             "take the smallest.")


# --- q5 ------------------------------------------------------------------------------------

def _q5_expected() -> str:
    exceeded = {c.name for c in assess(Q5_PLAN) if not c.inside}
    claims = {"b": {"pods_per_node"}, "c": {"pods_per_node", "pods"}}
    for key, names in claims.items():
        if exceeded == names:
            return key
    raise RuntimeError(f"question 5 no longer matches the lab: the plan exceeds {exceeded}")


@question
def q5(answer: Any) -> bool:
    """Twice the cores to run twice the pods per node on the same nodes: which verdict?"""
    return check_choice(
        answer, _q5_expected(), Q5_CHOICES,
        right="a change to one dimension moves every threshold derived from it; checking "
              "only the dimension you changed misses the rest.",
        why={"a": "the core count is only half of the pods-per-node threshold: min(110, 10 × "
                  "cores). And that is not the only threshold density moves.",
             "b": "pods per node is one of them. Which derived threshold grows with the pods "
                  "per node too?",
             "d": "that is the one-number view of scalability; the envelope checks every "
                  "threshold."},
        hint="run assess(ex.Q5_PLAN) and list the thresholds that are not inside; then read each "
             "option against that list.")


# --- q6 ------------------------------------------------------------------------------------

def _q6_expected() -> float:
    return threshold("pods_per_namespace").limit / Q6_CLUSTER.pods


@question
def q6(answer: Any) -> bool:
    """The largest share of a cluster's pods that one namespace may hold (2,000 × 30)."""
    even = 1 / Q6_CLUSTER.namespaces
    return check_number(
        answer, _q6_expected(), rel_tol=0.01, unit="",
        right="the model's per-namespace values are averages over an even spread. A namespace "
              "only modestly busier than the average can be outside while the average looks "
              "comfortable — so compare your busiest namespace with the threshold, not the "
              "mean.",
        why={even: "that is the share of every namespace if the pods were spread evenly; "
                   "the question asks how much one namespace may hold before it alone is "
                   "outside its threshold."},
        hint="the pods-per-namespace threshold applies to every namespace, including the "
             "busiest. How many pods may it hold, out of the cluster's nodes × pods per node?")


# --- q7 ------------------------------------------------------------------------------------

def _q7_caps() -> dict[str, int]:
    """The largest node count each view allows for :data:`Q7_CLUSTER` (same density)."""
    busiest = (threshold("pods_per_namespace").limit
               / (Q7_BUSIEST_SHARE * Q7_CLUSTER.pods_per_node))
    even = MODEL.improved(Q7_CLUSTER).max_nodes
    return {"one number": MODEL.naive(Q7_CLUSTER).max_nodes, "even spread": even,
            "busiest namespace": min(even, math.floor(busiest + 1e-9))}


def _q7_expected() -> int:
    return _q7_caps()["busiest namespace"] - Q7_CLUSTER.nodes


@question
def q7(answer: Any) -> bool:
    """Synthesis: how many nodes a skewed cluster can add before it leaves the envelope."""
    caps = _q7_caps()
    return check_number(
        answer, _q7_expected(), rel_tol=0.0, abs_tol=0.5, unit="nodes",
        right="the averages said there was plenty of room; the busiest namespace says "
              "otherwise. Growth planning uses the worst namespace, and the envelope's "
              "per-namespace numbers are a best case.",
        why={caps["even spread"] - Q7_CLUSTER.nodes:
                 "that is the room the model gives with an even spread (where pods per "
                 "cluster binds). The busiest namespace is fuller than the average.",
             caps["one number"] - Q7_CLUSTER.nodes:
                 "that is the one-number answer (nodes alone).",
             caps["busiest namespace"]:
                 "that is a total number of nodes; the question asks how many more."},
        hint="the busiest namespace holds a fixed share of all pods, so its pods grow with "
             "the node count: share × nodes × pods per node must stay within its threshold. "
             "Find where that binds, compare with the thresholds the model checks, and "
             "subtract the nodes the cluster has.")
