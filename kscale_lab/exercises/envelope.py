"""Self-checks for chapter 1, "Scalability is multi-dimensional" (``exercises/01-envelope``).

Seven questions, from easy to hard: a derived dimension computed by hand and then by the lab
(q1), the density a big cluster of small nodes may run (q2), a prediction about how the
largest cluster changes with density (q3), the largest cluster when namespaces bind (q4), a
plan that changes two dimensions, whose wrong options are the chapter's misconceptions (q5),
the busiest namespace that the even-spread averages hide (q6), and a synthesis: how far a
skewed cluster can grow (q7).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.envelope`) on
the cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The
clusters are module constants so the notebooks, the solutions and the tests use the same
ones. Each names every dimension its answer depends on, and the clusters keep to at most
30 pods per node on average below 5,000 nodes (150,000 pods on 5,000 nodes): there the
pods-per-cluster threshold gives the same verdict whether or not a smaller cluster's
cluster-wide limits are read as proportionally lower.
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
from kscale_lab.exercises import check_choice, check_number, scoring

__all__ = ["MODEL", "Q1_CLUSTER", "Q2_CLUSTER", "Q3_AFTER", "Q3_BEFORE", "Q3_CHOICES",
           "Q4_CLUSTER", "Q5_CHOICES", "Q5_PLAN", "Q5_TODAY", "Q6_CLUSTER",
           "Q7_BUSIEST_SHARE", "Q7_CLUSTER", "THRESHOLD_NAMES", "not_yet", "q1", "q2", "q3",
           "q4", "q5", "q6", "q7", "score"]

MODEL = EnvelopeModel()

#: Q1: 2,400 nodes of 16 cores at 24 pods per node, in 20 namespaces.
Q1_CLUSTER = ClusterDimensions(nodes=2400, pods_per_node=24, cores_per_node=16, namespaces=20)
#: Q2: 5,000 nodes of 7 cores in 40 namespaces (pods per node is the question).
Q2_CLUSTER = ClusterDimensions(nodes=5000, pods_per_node=10, cores_per_node=7, namespaces=40)
#: Q3: doubling the density from 15 to 30 pods per node (16 cores, 40 namespaces).
Q3_BEFORE = ClusterDimensions(nodes=2000, pods_per_node=15, cores_per_node=16, namespaces=40)
Q3_AFTER = Q3_BEFORE.replace(pods_per_node=30)
Q3_CHOICES = {"a": "it halves", "b": "it stays the same",
              "c": "it shrinks, but by less than half", "d": "it doubles"}
#: Q4: 24 pods per node in only 12 namespaces (16 cores).
Q4_CLUSTER = ClusterDimensions(nodes=1200, pods_per_node=24, cores_per_node=16, namespaces=12)
#: Q5: a cluster today, and the plan: nodes with twice the cores running twice the pods.
Q5_TODAY = ClusterDimensions(nodes=5000, cores_per_node=8, pods_per_node=30, namespaces=250)
Q5_PLAN = Q5_TODAY.replace(cores_per_node=16, pods_per_node=60)
Q5_CHOICES = {
    "a": "It works: with 16 cores the pods-per-node threshold is 110, well above 60.",
    "b": "It fails on pods per node and on pods per cluster.",
    "c": "It fails on pods per cluster only.",
    "d": "It is fine: the cluster stays at 5,000 nodes.",
}
#: Q6: 2,000 nodes × 30 pods per node in 40 namespaces.
Q6_CLUSTER = ClusterDimensions(nodes=2000, pods_per_node=30, cores_per_node=16, namespaces=40)
#: Q7: 2,400 nodes × 25 pods per node in 30 namespaces; the busiest holds 4.4 % of the pods.
Q7_CLUSTER = ClusterDimensions(nodes=2400, pods_per_node=25, cores_per_node=16, namespaces=30)
Q7_BUSIEST_SHARE = 0.044


__dir__, score, not_yet = scoring.check_module(__name__, __all__)


# --- q1 ------------------------------------------------------------------------------------

def q1(answer: Any) -> bool:
    """Pods per namespace of 2,400 × 24 in 20 namespaces, as a fraction of its threshold."""
    def expected() -> float:
        return assess(Q1_CLUSTER, ("pods_per_namespace",))[0].ratio

    return check_number(
        answer, expected(), rel_tol=0.01, unit="",
        right="pods per namespace is derived from three dimensions that each look harmless "
              "on their own; a cluster this close to a threshold has little room to grow "
              "in any of them.",
        hint="pods per namespace = nodes × pods per node ÷ namespaces (an even spread); "
             "divide by its threshold. A fraction (0.5) or a percentage with its sign "
             "(\"50 %\") both work.")


# --- q2 ------------------------------------------------------------------------------------

def q2(answer: Any) -> bool:
    """The most pods per node a cluster of 5,000 seven-core nodes in 40 namespaces may run."""
    def expected() -> int:
        """The largest pods per node that keeps :data:`Q2_CLUSTER` inside (brute force)."""
        spec = ClusterDimensions.spec("pods_per_node")
        inside = []
        for p in range(int(spec.lo), int(spec.hi) + 1):
            try:
                dims = Q2_CLUSTER.replace(pods_per_node=p)
            except ValueError:                      # a cluster the lab refuses is not inside
                continue
            if MODEL.improved(dims).within_envelope:
                inside.append(p)
        return max(inside)

    own = assess(Q2_CLUSTER, ("pods_per_node",))[0].limit
    per_cluster = threshold("pods").limit / Q2_CLUSTER.nodes
    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="pods",
        right="a node's own limit is only the first cap on density; the thresholds on the "
              "whole cluster and on each namespace are shared among the nodes and can cap "
              "it lower.",
        why={own: "that is the node's own limit, min(110, 10 × cores). At this cluster size "
                  "other thresholds cap the density lower.",
             per_cluster: "that is where pods per cluster binds. Is it the first threshold "
                          "to bind?",
             threshold("pods_per_node").limit: "110 is one half of the pods-per-node "
                                               "threshold; these nodes are small."},
        hint="density is capped by min(110, 10 × cores) per node, and by every threshold that "
             "grows with nodes × pods per node. Solve each for pods per node, or try values "
             "with model.improved(ex.Q2_CLUSTER.replace(pods_per_node=p)).within_envelope.")


# --- q3 ------------------------------------------------------------------------------------

def q3(answer: Any) -> bool:
    """Double the density from 15 to 30 pods per node: how does the largest cluster change?"""
    def expected() -> str:
        ratio = MODEL.improved(Q3_AFTER).max_nodes / MODEL.improved(Q3_BEFORE).max_nodes
        if math.isclose(ratio, 0.5, rel_tol=0.02):
            return "a"
        if math.isclose(ratio, 1.0, rel_tol=0.02):
            return "b"
        if math.isclose(ratio, 2.0, rel_tol=0.02):
            return "d"
        if 0.5 < ratio < 1.0:
            return "c"
        raise RuntimeError(f"question 3 no longer matches the lab: the ratio is {ratio:.2f}")

    return check_choice(
        answer, expected(), Q3_CHOICES,
        right="the envelope's size limit is the lowest of several caps, and a change of "
              "density moves only the caps that depend on it — the shape the chapter calls "
              "\"not a box\".",
        why={"a": "that would be true if a threshold that grows with the density bound both "
                  "before and after. Which one binds at 15 pods per node?",
             "b": "the node threshold does not change, but is it still the one that binds?",
             "d": "more pods per node leave room for fewer nodes, not more."},
        hint="compare model.improved(ex.Q3_BEFORE).max_nodes with model.improved(ex.Q3_AFTER)"
             ".max_nodes, and look at which threshold binds before and after the change.")


# --- q4 ------------------------------------------------------------------------------------

def q4(answer: Any) -> bool:
    """The largest number of nodes at 24 pods per node in 12 namespaces."""
    def expected() -> int:
        return MODEL.improved(Q4_CLUSTER).max_nodes

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="nodes",
        right="with few namespaces a per-namespace threshold binds long before the "
              "per-cluster ones: the fix is more namespaces, not fewer pods.",
        why={max_nodes(Q4_CLUSTER, ("nodes",)):
                 "that is the one-number answer; the envelope has more thresholds that grow "
                 "with the node count.",
             threshold("pods").limit / Q4_CLUSTER.pods_per_node:
                 "that is 150,000 pods ÷ pods per node — beyond even the node threshold. "
                 "Which threshold binds first?"},
        hint="several thresholds grow with the number of nodes: the node count itself, pods "
             "per cluster, and pods per namespace = nodes × pods per node ÷ namespaces. "
             "Solve each for nodes and take the smallest.")


# --- q5 ------------------------------------------------------------------------------------

def q5(answer: Any) -> bool:
    """Twice the cores and twice the pods per node on the same 5,000 nodes: which verdict?"""
    def expected() -> str:
        exceeded = {c.name for c in assess(Q5_PLAN) if not c.inside}
        claims = {"b": {"pods_per_node", "pods"}, "c": {"pods"}}
        for key, names in claims.items():
            if exceeded == names:
                return key
        raise RuntimeError(f"question 5 no longer matches the lab: the plan exceeds {exceeded}")

    return check_choice(
        answer, expected(), Q5_CHOICES,
        right="a change to one dimension moves every threshold derived from it; checking "
              "only the dimension you changed misses the rest.",
        why={"a": "the pods-per-node threshold is fine — but it is not the only threshold "
                  "the density moves.",
             "b": "check pods per node again against min(110, 10 × the *new* core count).",
             "d": "that is the one-number view of scalability; the envelope checks every "
                  "threshold."},
        hint="run assess(ex.Q5_PLAN) and list the thresholds that are not inside; then read "
             "each option against that list.")


# --- q6 ------------------------------------------------------------------------------------

def q6(answer: Any) -> bool:
    """The largest share of a cluster's pods that one namespace may hold (2,000 × 30)."""
    def expected() -> float:
        return threshold("pods_per_namespace").limit / Q6_CLUSTER.pods

    even = 1 / Q6_CLUSTER.namespaces
    return check_number(
        answer, expected(), rel_tol=0.01, unit="",
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

def q7(answer: Any) -> bool:
    """Synthesis: how many nodes a skewed cluster can add before it leaves the envelope."""
    def caps_by_view() -> dict[str, int]:
        """The largest node count each view allows for :data:`Q7_CLUSTER` (same density)."""
        busiest = (threshold("pods_per_namespace").limit
                   / (Q7_BUSIEST_SHARE * Q7_CLUSTER.pods_per_node))
        even = MODEL.improved(Q7_CLUSTER).max_nodes
        return {"one number": MODEL.naive(Q7_CLUSTER).max_nodes, "even spread": even,
                "busiest namespace": min(even, math.floor(busiest + 1e-9))}

    def expected() -> int:
        return caps_by_view()["busiest namespace"] - Q7_CLUSTER.nodes

    caps = caps_by_view()
    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="nodes",
        right="the averages said there was plenty of room; the busiest namespace says "
              "otherwise. Growth planning uses the worst namespace, and the envelope's "
              "per-namespace numbers are a best case.",
        why={caps["even spread"] - Q7_CLUSTER.nodes:
                 "that is the room the model gives with an even spread. The busiest "
                 "namespace is fuller than the average.",
             caps["one number"] - Q7_CLUSTER.nodes:
                 "that is the one-number answer (nodes alone).",
             caps["busiest namespace"]:
                 "that is a total number of nodes; the question asks how many more."},
        hint="the busiest namespace holds a fixed share of all pods, so its pods grow with "
             "the node count: share × nodes × pods per node must stay within its threshold. "
             "Find where that binds, compare with the thresholds the model checks, and "
             "subtract the nodes the cluster has.")
