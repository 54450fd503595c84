"""Self-checks for chapter 5, "Scheduling throughput, fix by fix" (``exercises/05-scheduler``).

Every expected answer is computed by running the lab (:mod:`kscale_lab.scheduler`) on the
cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_never, check_number, check_set, scoring
from kscale_lab.scheduler import (
    SchedulerDimensions,
    feasible_nodes_to_find,
    make_cluster,
    make_pods,
    outcome_at,
    run,
)

__dir__, score, not_yet = scoring.check_module(__name__)

#: Q1: nodes one 1.14 cycle filters and scores at 4,000 nodes, by default.
Q1_NODES = 4000
#: Q2: a real 1.14 run — 30 pods into 400 nodes × 10 pods: snapshot entries walked in total.
Q2_CLUSTER = dict(nodes=400, pods_per_node=10, pods=30)
#: Q3: the 1.10 loop at 3,000 nodes × 30 pods, no anti-affinity, client limit out of the way.
Q3_CLUSTER = SchedulerDimensions(nodes=3000, pods_per_node=30, kube_api_qps=1000)
#: Q4: the first release in which a pod with required anti-affinity stops costing
#: nodes × pods checks.
Q4_CHOICES = ("1.10", "1.11", "1.12", "1.13", "1.14")
#: Q5: why pods *without* terms are placed slowly by 1.10 when some deployments have them.
Q5_CHOICES = {
    "a": "each of them scans every existing pod's terms for every node",
    "b": "they wait in the queue behind pods with terms, whose cycles scan every pod for "
         "every node",
    "c": "the client's rate limit is spent on the extra API calls of the pods with terms",
    "d": "1.10 switches percentageOfNodesToScore off when a pod has anti-affinity",
}
Q5_CLUSTER = SchedulerDimensions(nodes=3000, anti_affinity_fraction=0.1)
#: Q6: 1.14's throughput at 8,000 nodes with the default settings.
Q6_CLUSTER = SchedulerDimensions(nodes=8000)
#: Q7: 1.10, 4,000 nodes, 1 % of deployments with required anti-affinity, 2 pods/s arriving.
Q7_CLUSTER = SchedulerDimensions(nodes=4000, anti_affinity_fraction=0.01, arrival_rate=2)
#: Q8: 1.14 at 5,000 nodes, no anti-affinity, the client limit lifted: which changes make the
#: scheduling loop faster?
Q8_BASE = SchedulerDimensions(nodes=5000, kube_api_qps=1000)
Q8_CHANGES = {
    "lower-percentage": dict(percentage_of_nodes_to_score=5),
    "bigger-cluster": dict(nodes=5625),
    "fewer-pods": dict(pods_per_node=10),
    "upgrade": dict(version="1.33"),
    "downgrade": dict(version="1.12"),
}


def q1(answer: Any) -> bool:
    """Nodes filtered (and scored) per pod by 1.14 at 4,000 nodes, by default."""
    def expected() -> int:
        return feasible_nodes_to_find("1.14", Q1_NODES)

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5,
        right="the adaptive percentage shrinks as the cluster grows, so a large cluster "
              "filters and scores only a slice of its nodes for each pod.",
        hint="from 1.14 the default is 50 - nodes/125 percent (integer division), at least "
             "5 %, and never fewer than 100 nodes.")


def q2(answer: Any) -> bool:
    """Snapshot entries the 1.14 scheduler walks, in total, for the whole run."""
    def expected() -> int:
        d = Q2_CLUSTER
        r = run("1.14", make_cluster(d["nodes"], d["pods_per_node"]), make_pods(d["pods"]), seed=1)
        return r.counts.snapshot_walked

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5,
        right="the first cycle fills an empty snapshot; after that each cycle walks only the "
              "NodeInfos that changed since the last, plus the one where it stops.",
        hint="run it and read counts.snapshot_walked — or think: what does the first cycle "
             "walk, and what does each later one walk after a single pod was assumed?")


def q3(answer: Any) -> bool:
    """The 1.10 scheduler's predicted throughput at 3,000 nodes (pods/s), limit lifted."""
    def expected() -> float:
        return outcome_at(Q3_CLUSTER, "1.10").pods_per_s

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="a prediction from one calibration point: the per-node work grows with the "
              "nodes, and a fixed overhead per cycle sits on top.",
        hint="use outcome_at(dims, \"1.10\").pods_per_s with kube_api_qps=1000 — or scale "
             "the calibration: per-node work is proportional to the nodes, the 1 ms "
             "overhead is not.")


def q4(answer: Any) -> bool:
    """The first release in which required anti-affinity is no longer nodes × pods."""
    def expected() -> str:
        d = SchedulerDimensions(nodes=2000, anti_affinity_fraction=1.0, kube_api_qps=1000)
        for version in Q4_CHOICES:
            ops = outcome_at(d, version).ops_affinity
            if ops.affinity_checks < d.nodes * d.nodes * d.pods_per_node / 10:
                return version
        return Q4_CHOICES[-1]

    return check_choice(
        answer, expected(), Q4_CHOICES,
        right="the talk's slide puts the affinity improvements in 1.12, but the fix that "
              "removed the per-node scan of every pod landed a release earlier; 1.12 "
              "refined the per-node part.",
        hint="look at the table of fixes in the chapter (or release(v).affinity): which "
             "release first finds the pods matching a pod's terms once per cycle?")


def q5(answer: Any) -> bool:
    """Why pods without terms are placed slowly by 1.10 when some deployments have terms."""
    def expected() -> str:
        from kscale_lab.scheduler import cost

        plain = cost.ops_per_pod("1.10", Q5_CLUSTER.nodes, Q5_CLUSTER.pods_per_node,
                                 Q5_CLUSTER.anti_affinity_fraction)
        running_with_terms = cost.pods_with_anti_affinity(
            Q5_CLUSTER.nodes, Q5_CLUSTER.pods_per_node, Q5_CLUSTER.anti_affinity_fraction)
        if float(plain.affinity_checks) >= Q5_CLUSTER.nodes * float(running_with_terms):
            return "a"
        return "b"

    return check_choice(
        answer, expected(), list(Q5_CHOICES),
        right="the existing pods' terms matching a pod are gathered once per cycle, so a pod "
              "without terms does little extra work; it is the single scheduling queue that "
              "makes everyone pay for the slow cycles.",
        hint="compare affinity_checks_per_pod of a pod without terms with nodes × the running "
             "pods that have terms; then think about what a FIFO queue does to the pods "
             "behind a slow one. Every pod spends one binding request, with or without terms.")


def q6(answer: Any) -> bool:
    """1.14's sustained throughput (pods/s) at 8,000 nodes with the default settings."""
    def expected() -> float:
        return outcome_at(Q6_CLUSTER, "1.14").pods_per_s

    return check_number(
        answer, expected(), rel_tol=0.02,
        right="whatever the loop could do, every pod placed needs a binding request, and the "
              "client's default rate limit caps those: no fix in the scheduling algorithm "
              "moves that ceiling.",
        hint="the loop is only one of two stages: compare cycle_pods_per_s with the client "
             "limit (--kube-api-qps) and take the slower.")


def q7(answer: Any) -> bool:
    """p99 scheduling latency (s) of 1.10 in the Q7 cluster, or "never" if unbounded."""
    def expected() -> float | None:
        return outcome_at(Q7_CLUSTER, "1.10").p99_scheduling_latency_s

    return check_never(
        answer, expected(), rel_tol=0.1,
        right="one deployment in a hundred is enough: its pods' cycles are so long that the "
              "mean cycle exceeds the time between arrivals, and the backlog keeps growing.",
        hint="compare the arrival rate with 1 / mean_cycle_s of outcome_at(dims, \"1.10\"); "
             "a pod with required terms scans every pod for every node.")


def q8(answer: Any) -> bool:
    """Which changes make 1.14's scheduling loop faster at 5,000 nodes (limit lifted)?"""
    def expected() -> set[str]:
        base = outcome_at(Q8_BASE, "1.14").cycle_pods_per_s
        faster = set()
        for name, change in Q8_CHANGES.items():
            d = Q8_BASE.replace(**change)
            if outcome_at(d, d.version).cycle_pods_per_s > base * 1.001:
                faster.add(name)
        return faster

    return check_set(
        answer, expected(),
        right="without anti-affinity the loop's work is the nodes it walks, filters and "
              "scores; only what shrinks that count helps — even a cluster that grows, "
              "where the adaptive percentage falls faster than the nodes rise.",
        hint="for each change, work out numFeasibleNodesToFind and whether running pods "
             "enter the cycle's work at all without anti-affinity; recall which releases the "
             "lab models as 1.14.")
