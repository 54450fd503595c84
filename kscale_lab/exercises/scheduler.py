"""Self-checks for chapter 5, "Scheduling throughput" (``exercises/05-scheduler``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.scheduler`) on
the cluster the question describes; no answer is stored.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_never, check_number
from kscale_lab.scheduler import (
    SchedulerDimensions,
    SchedulerModel,
    make_cluster,
    make_pods,
    num_feasible_nodes_to_find,
    run,
)

MODEL = SchedulerModel()

#: Q1: how many nodes does the improved scheduler filter and score per pod at 3,000 nodes?
Q1_NODES = 3000
#: Q2: a real run — 20 pods into 300 nodes × 10 pods with the 1.11 scheduler, no affinity.
Q2_CLUSTER = dict(nodes=300, pods_per_node=10, pods=20)
#: Q3: 1.11 at 5,000 nodes, 30 pods/node, a tenth of the deployments with anti-affinity.
Q3_CLUSTER = SchedulerDimensions(nodes=5000, anti_affinity_fraction=0.1)
#: Q4: the default cluster: which arrival rate is the most the 1.11 scheduler sustains?
Q4_CLUSTER = SchedulerDimensions()
#: Q5: p99 scheduling latency of the 1.12–1.14 scheduler, 5,000 nodes, every deployment with
#: anti-affinity, 20 pods/s arriving.
Q5_CLUSTER = SchedulerDimensions(nodes=5000, anti_affinity_fraction=1.0, arrival_rate=20)


def q1_expected() -> int:
    return num_feasible_nodes_to_find(Q1_NODES, 0)


def q1(answer: Any) -> bool:
    """Nodes filtered (and scored) per pod by the improved scheduler at 3,000 nodes."""
    return check_number(
        answer, q1_expected(), rel_tol=0.0, abs_tol=0.5,
        right="50 - 3000/125 = 26 %, above the 5 % floor, and more than the 100-node minimum. "
              "Every node is feasible here, so the search stops after exactly that many.",
        hint="the adaptive percentage is 50 - nodes/125 (integer division), at least 5 %; "
             "then at least minFeasibleNodesToFind nodes.")


def q2_expected() -> int:
    d = Q2_CLUSTER
    r = run("naive", make_cluster(d["nodes"], d["pods_per_node"]), make_pods(d["pods"]), seed=1)
    return r.counts.node_infos_copied


def q2(answer: Any) -> bool:
    """How many NodeInfos does the 1.11 scheduler copy in total for the whole run?"""
    return check_number(
        answer, q2_expected(), rel_tol=0.0, abs_tol=0.5,
        right="every cycle clones every NodeInfo, changed or not: nodes × pods. The improved "
              "snapshot would copy all of them once, then one per bound pod.",
        hint="run it and read counts.node_infos_copied — or think: what does one cycle's "
             "snapshot copy, and how many cycles are there?")


def q3_expected() -> float:
    return MODEL.naive(Q3_CLUSTER).pods_per_s * 60


def q3(answer: Any) -> bool:
    """1.11 throughput, in pods per minute, when a tenth of the deployments use anti-affinity."""
    return check_number(
        answer, q3_expected(), rel_tol=0.05,
        right="a tenth of the pods scan nodes × pods for their own terms, and *every* pod scans "
              "the pods with terms on every node: a few pods with anti-affinity slow down all "
              "the others.",
        hint="use model.naive(...).pods_per_s and convert to minutes. Note that pods without "
             "anti-affinity pay too: existing pods' terms are checked for every node.")


def q4_expected() -> float:
    return MODEL.naive(Q4_CLUSTER).pods_per_s


def q4(answer: Any) -> bool:
    """The largest arrival rate (pods/s) the 1.11 scheduler can keep up with, default cluster."""
    return check_number(
        answer, q4_expected(), rel_tol=0.05,
        right="at utilisation 1 the queue stops draining: the sustainable churn is the "
              "throughput itself, and latency explodes well before it.",
        hint="the queue stays bounded while arrival rate × mean cycle < 1.")


def q5_expected() -> float | None:
    return MODEL.improved(Q5_CLUSTER).p99_scheduling_latency_s


def q5(answer: Any) -> bool:
    """p99 scheduling latency (s) for the improved scheduler, or "never" if unbounded."""
    return check_never(
        answer, q5_expected(), rel_tol=0.1,
        right="the topology-pair counts make anti-affinity one pass over the pods per cycle, "
              "not one per node: the scheduler keeps up with 20 pods/s, and queueing adds "
              "little while utilisation is well below 1.",
        hint="read p99_scheduling_latency_s of model.improved(...); None means the backlog "
             "grows without bound (answer \"never\").")


def q6_expected() -> str:
    naive = MODEL.naive(Q5_CLUSTER)
    return "yes" if naive.meets_pod_startup_slo else "no"


def q6(answer: Any) -> bool:
    """Does the 1.11 scheduler meet the 5 s pod-startup SLO in the Q5 cluster?"""
    return check_choice(
        answer, q6_expected(), ["yes", "no"],
        right="at 5,000 nodes with anti-affinity everywhere it schedules well under a pod per "
              "minute: no arrival rate you would call churn is sustainable.",
        hint="compare the 1.11 scheduler's pods_per_s with the arrival rate.")
