"""Self-checks for chapter 2, "Node heartbeats" (``exercises/02-heartbeats``).

Eight questions, from easy to hard: a cluster's heartbeat bandwidth, by hand and then by
the lab (q1); why the Lease stops etcd filling up, with the chapter's misconceptions as wrong
options (q2); a prediction about the compaction interval and the NOSPACE cliff (q3); the
cliff for a cluster the chapter did not show, other objects included (q4); what NOSPACE does
to a dead node (q5); which one setting saves a Lease cluster with big Node objects (q6); how
long a dead node goes unnoticed when the status is reported rarely (q7); and a synthesis of
chapters 1 and 2: the largest 1.12 cluster that both the envelope and etcd allow (q8).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.heartbeats`,
and :mod:`kscale_lab.envelope` for q8) on the cluster the question describes, inside the
question's check, each time it runs; no module-level name holds or returns an answer.
The clusters are module constants so the notebooks, the solutions and the tests use the same
ones.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from kscale_lab.envelope import ClusterDimensions, EnvelopeModel
from kscale_lab.exercises import check_choice, check_never, check_number, scoring
from kscale_lab.heartbeats import (
    NODE_MONITOR_PERIOD_S,
    HeartbeatDimensions,
    HeartbeatsModel,
    nospace_cliff,
    simulate,
)
from kscale_lab.units import MiB

__all__ = ["MODEL", "Q1_CLUSTER", "Q2_CHOICES", "Q2_CLUSTER", "Q2_TOY", "Q3_CHOICES",
           "Q3_CLUSTER", "Q3_FASTER", "Q4_CLUSTER", "Q5_CLUSTER", "Q6_CHANGES", "Q6_CHOICES",
           "Q6_CLUSTER", "Q7_CLUSTER", "Q7_FAIL_TIMES_S", "Q8_CLUSTER", "Q8_ENVELOPE",
           "nospace_within_horizon", "not_yet", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8",
           "score"]

MODEL = HeartbeatsModel()

#: Q1: 1,200 nodes on 1.12 (naive), 30 images and 12 volumes per node.
Q1_CLUSTER = HeartbeatDimensions(nodes=1200, images_per_node=30, volumes_per_node=12)
#: Q2: the cluster whose writes and bytes are compared, and a toy one simulated write by write.
Q2_CLUSTER = HeartbeatDimensions(nodes=3000)
Q2_TOY = HeartbeatDimensions(nodes=6, horizon_s=240)
Q2_CHOICES = {
    "a": "The kubelet sends fewer writes per second.",
    "b": "Each 10-second write is a small Lease instead of the whole Node, so far fewer bytes "
         "pile up between two compactions.",
    "c": "etcd keeps no old revisions of Lease objects.",
    "d": "The apiserver compacts each Lease right after it is renewed.",
}
#: Q3: the default cluster, and the same with the apiserver compacting twice as often.
Q3_CLUSTER = HeartbeatDimensions()
Q3_FASTER = Q3_CLUSTER.replace(compaction_interval_s=150)
Q3_CHOICES = {"a": "about half as many nodes", "b": "about the same number of nodes",
              "c": "about twice as many nodes", "d": "there is no cliff any more"}
#: Q4: 20 images and no volumes, 100 KiB of other objects per node, a 4 GiB quota (naive).
Q4_CLUSTER = HeartbeatDimensions(images_per_node=20, volumes_per_node=0,
                                 other_kib_per_node=100, quota_gib=4.0)
#: Q5: 2,600 nodes on 1.12 (naive), 40 images and 8 volumes; a node dies 25 minutes in.
Q5_CLUSTER = HeartbeatDimensions(nodes=2600, images_per_node=40, volumes_per_node=8,
                                 failed_node_at_s=1500)
#: Q6: 4,200 nodes on 1.16 (Lease, 1-minute reports) with 100 volumes per node, and the
#: single changes to choose from.
Q6_CLUSTER = HeartbeatDimensions(nodes=4200, volumes_per_node=100)
Q6_CHANGES = {"a": {"lease_duration_s": 80}, "b": {"status_report_period_s": 300},
              "c": {"grace_period_s": 80}, "d": {"compaction_interval_s": 600}}
Q6_CHOICES = {
    "a": "Renew the Lease half as often (leaseDurationSeconds 80 s: a renewal every 20 s).",
    "b": "Report the NodeStatus every 5 minutes (the 1.17 default).",
    "c": "Double node-monitor-grace-period to 80 s.",
    "d": "Compact every 10 minutes instead of every 5.",
}
#: Q7: Leases of 60 s (renewed every 15 s), status reports every 10 minutes, a 50-s grace
#: period (the default from 1.32); one node of 100 dies at any second of one report period.
Q7_CLUSTER = HeartbeatDimensions(nodes=100, lease_duration_s=60, grace_period_s=50,
                                 status_report_period_s=600, horizon_s=1800)
Q7_FAIL_TIMES_S = range(600, 1201)
#: Q8: a 1.12 cluster (naive heartbeat) with a 4 GiB quota whose other objects take about
#: 120 KiB per node in etcd (an estimate), and its shape as the envelope sees it: 25 pods per
#: node (at most 30 on average, so the envelope's answer does not depend on whether a smaller
#: cluster's limits are read as proportionally lower), 16 cores, 40 namespaces.
Q8_CLUSTER = HeartbeatDimensions(other_kib_per_node=120, quota_gib=4.0)
Q8_ENVELOPE = ClusterDimensions(nodes=3000, pods_per_node=25, cores_per_node=16, namespaces=40)


__dir__, score, not_yet = scoring.check_module(__name__, __all__)


def nospace_within_horizon(nodes: int, dims: HeartbeatDimensions = Q3_CLUSTER,
                           version: str = "naive") -> bool:
    """Does ``version`` hit NOSPACE within ``dims.horizon_s`` with ``nodes`` nodes?

    A cluster whose live objects alone exceed the quota (the lab refuses it) counts as
    hitting it: etcd could not even hold the objects.
    """
    try:
        dims = dims.replace(nodes=nodes)
    except ValueError:
        return True
    return MODEL.run(dims, MODEL.version(version)).nospace_at_s is not None


@lru_cache(maxsize=32)
def _cliff(dims: HeartbeatDimensions, version: str = "naive") -> int | None:
    """The fewest nodes with which ``version`` hits NOSPACE, or ``None``: the chapter's own
    :func:`~kscale_lab.heartbeats.nospace_cliff`, so the chapter, the lab and the checks
    agree on every cliff."""
    return nospace_cliff(dims, "nodes", version)


# --- q1 ------------------------------------------------------------------------------------

def q1(answer: Any) -> bool:
    """Heartbeat bytes per second a 1,200-node 1.12 cluster sends to etcd, in MiB/s."""
    def expected() -> float:
        return MODEL.naive(Q1_CLUSTER).etcd_write_bytes_per_s / MiB

    return check_number(
        answer, expected(), rel_tol=0.02, unit="MiB/s",
        right="every heartbeat of the old kind is a whole Node object, so the bandwidth is "
              "nodes × Node size ÷ period — and etcd must keep all of it until a compaction.",
        hint="work out the Node object's size for this many images and volumes "
             "(ex.Q1_CLUSTER.node_bytes), then nodes × size ÷ status update period. A MiB is "
             "2²⁰ bytes; a unit in a string (\"0.5 MB/s\") is converted for you.")


# --- q2 ------------------------------------------------------------------------------------

def q2(answer: Any) -> bool:
    """Why the Lease stops etcd filling up: pick the statement the lab confirms."""
    def claims() -> dict[str, bool]:
        """Each option of q2 as a claim the lab can test, and whether it holds."""
        c = MODEL.compare(Q2_CLUSTER)
        sim = simulate(Q2_TOY, "improved")
        lease_revisions = sim.etcd.versions("/registry/leases/kube-node-lease/node-1")
        return {"a": c.improved.api_writes_per_s < c.naive.api_writes_per_s,
                "b": (c.improved.etcd_write_bytes_per_s < c.naive.etcd_write_bytes_per_s
                      and c.improved.history_bytes < c.naive.history_bytes),
                "c": lease_revisions <= 1,
                "d": lease_revisions <= 1}

    def expected() -> str:
        true = [k for k, holds in claims().items() if holds]
        if len(true) != 1:
            raise RuntimeError(f"question 2 no longer matches the lab: claims {true} hold")
        return true[0]

    return check_choice(
        answer, expected(), Q2_CHOICES,
        right="etcd's history and its quota are both counted in bytes: the currency to "
              "watch in every later chapter, whatever happens to the number of requests.",
        why={"a": "compare api_writes_per_s of the two versions: the improved kubelet has two "
                  "loops, and one of them is as frequent as the old heartbeat.",
             "c": "every write of any key is a new revision, kept until compaction — Leases "
                  "included. Count them: simulate(ex.Q2_TOY, \"improved\").etcd.versions(...).",
             "d": "the apiserver compacts on a timer (--etcd-compaction-interval), for every "
                  "key at once, not after particular writes."},
        hint="each option is a claim you can test: writes per second and bytes per second "
             "in model.compare(ex.Q2_CLUSTER), and the revisions etcd holds for one Lease in "
             "simulate(ex.Q2_TOY, \"improved\").etcd.")


# --- q3 ------------------------------------------------------------------------------------

def q3(answer: Any) -> bool:
    """Compact twice as often: where does the naive version's NOSPACE cliff move?"""
    def expected() -> str:
        before, after = _cliff(Q3_CLUSTER), _cliff(Q3_FASTER)
        if after is None:
            return "d"
        ratio = after / before
        return "a" if ratio < 0.75 else ("b" if ratio < 1.33 else "c")

    return check_choice(
        answer, expected(), Q3_CHOICES,
        right="the history etcd must hold is heartbeat bytes per second × the time it "
              "keeps them, so the compaction interval is as strong a lever as the cluster "
              "size.",
        why={"b": "compaction is what frees the history. How long does etcd hold a "
                  "heartbeat now?",
             "a": "compacting more often holds less history, not more.",
             "d": "the history shrinks but still grows with the nodes; a big enough cluster "
                  "still fills the quota."},
        hint="the peak history is about two compaction intervals of heartbeat bytes. Bisect "
             "on nodes for both intervals, with ex.nospace_within_horizon(n, dims) or "
             "model.naive(dims).nospace_at_s.")


# --- q4 ------------------------------------------------------------------------------------

def q4(answer: Any) -> bool:
    """The smallest 1.12 cluster (20 images, other objects, 4 GiB) that hits NOSPACE."""
    def expected() -> int:
        return _cliff(Q4_CLUSTER)

    return check_number(
        answer, expected(), rel_tol=0.02, unit="nodes",
        right="the quota is shared: every byte of pods, services and secrets is a byte the "
              "heartbeats' history cannot use, so a cluster's other objects move the "
              "heartbeat cliff too.",
        why={_cliff(Q4_CLUSTER.replace(other_kib_per_node=0.0)):
                 "that leaves out the cluster's other objects, which share the quota.",
             _cliff(Q4_CLUSTER.replace(quota_gib=HeartbeatDimensions().quota_gib)):
                 "that is with the default quota; this cluster has a bigger one."},
        hint="per node, etcd holds its live objects (the Node and the other objects) plus "
             "the heartbeat history: about two compaction intervals of Node writes. Solve "
             "nodes × per-node bytes = quota, then check by bisecting with "
             "ex.nospace_within_horizon(n, ex.Q4_CLUSTER).")


# --- q5 ------------------------------------------------------------------------------------

def q5(answer: Any) -> bool:
    """A node of a 2,600-node 1.12 cluster dies 25 minutes in: seconds until NotReady."""
    def expected() -> float | None:
        return MODEL.naive(Q5_CLUSTER).notready_detection_s

    healthy = MODEL.naive(Q5_CLUSTER.replace(nodes=100)).notready_detection_s
    return check_never(
        answer, expected(), rel_tol=0.05, unit="s",
        right="marking a node NotReady is a write, and under NOSPACE etcd refuses every "
              "write: the dead node's pods are never evicted or replaced. A full etcd is a "
              "control-plane outage, not only a heartbeat problem.",
        why=dict.fromkeys(
            (healthy, Q5_CLUSTER.grace_period_s, Q5_CLUSTER.grace_period_s + 5),
            "that is about the grace period: the delay in a cluster whose etcd still accepts "
            "writes. Is this one's etcd still accepting them 25 minutes in?"),
        hint="first find whether and when this cluster hits NOSPACE (nospace_at_s), then "
             "think about what the node lifecycle controller must do to mark a node "
             "NotReady.")


# --- q6 ------------------------------------------------------------------------------------

def q6(answer: Any) -> bool:
    """A 1.16 cluster with 100 volumes per node fills etcd: which single change saves it?"""
    def saved_by() -> dict[str, bool]:
        """Whether each single change of :data:`Q6_CHANGES` keeps the improved version clear."""
        return {k: MODEL.improved(Q6_CLUSTER.replace(**change)).nospace_at_s is None
                for k, change in Q6_CHANGES.items()}

    def expected() -> str:
        if MODEL.improved(Q6_CLUSTER).nospace_at_s is None:
            raise RuntimeError("question 6 no longer matches the lab: the cluster survives as is")
        saved = [k for k, ok in saved_by().items() if ok]
        if len(saved) != 1:
            raise RuntimeError(f"question 6 no longer matches the lab: {saved} save it")
        return saved[0]

    return check_choice(
        answer, expected(), Q6_CHOICES,
        right="the Lease took the frequent write out of the Node object, not the Node object "
              "out of etcd: its size still counts every time it is written.",
        why={"a": "a Lease is a few hundred bytes: renewing it half as often hardly changes "
                  "the bytes. Which write is big here?",
             "c": "the grace period is how long the controller waits before marking a node "
                  "NotReady; it changes no write at all.",
             "d": "compacting less often makes etcd hold more history, not less."},
        hint="with 100 volumes, how big is the Node object (ex.Q6_CLUSTER.node_bytes), and how "
             "often is it written? Try each change with model.improved(ex.Q6_CLUSTER.replace("
             "...)).nospace_at_s.")


# --- q7 ------------------------------------------------------------------------------------

def q7(answer: Any) -> bool:
    """Lease every 15 s, status every 10 min, grace 50 s: the longest wait until NotReady."""
    def delays() -> tuple[float, ...]:
        """The improved version's detection delay for every whole second of death in
        :data:`Q7_FAIL_TIMES_S`."""
        return tuple(MODEL.improved(Q7_CLUSTER.replace(failed_node_at_s=t)).notready_detection_s
                     for t in Q7_FAIL_TIMES_S)

    def expected() -> float:
        return float(max(delays()))

    report, grace = Q7_CLUSTER.status_report_period_s, Q7_CLUSTER.grace_period_s
    renew = Q7_CLUSTER.lease_renew_s
    return check_number(
        answer, expected(), rel_tol=0.1, unit="s",
        right="the controller takes the newer of the Lease and the status, so liveness rides "
              "on the small, frequent write: the report period can grow without slowing "
              "down the detection of a dead node.",
        why={report + grace: "that is what status-only liveness would cost. Which write is "
                             "the newest heartbeat here?",
             float(report): "the status report is not the only heartbeat any more.",
             renew + grace + NODE_MONITOR_PERIOD_S: "the grace period counts from the last "
                                                    "renewal, and the worst moment to die is "
                                                    "just after one: nothing is added to it."},
        hint="the node lifecycle controller checks every 5 s whether the newest heartbeat — "
             "the newer of the Lease's renewTime and the status — is older than the grace "
             "period. When is the worst moment to die? Sweep failed_node_at_s over "
             "ex.Q7_FAIL_TIMES_S with model.improved(...).notready_detection_s.")


# --- q8 ------------------------------------------------------------------------------------

def q8(answer: Any) -> bool:
    """Synthesis: the largest 1.12 cluster inside the envelope whose etcd never fills."""
    def caps_by_limit() -> dict[str, int]:
        """The largest node count each constraint allows for :data:`Q8_CLUSTER`."""
        envelope = EnvelopeModel()
        naive_cliff = _cliff(Q8_CLUSTER)
        lease_cliff = _cliff(Q8_CLUSTER, "improved")
        spec_hi = int(HeartbeatDimensions.spec("nodes").hi)
        return {"envelope": envelope.improved(Q8_ENVELOPE).max_nodes,
                "one number": envelope.naive(Q8_ENVELOPE).max_nodes,
                "etcd (1.12)": spec_hi if naive_cliff is None else naive_cliff - 1,
                "etcd (Lease)": spec_hi if lease_cliff is None else lease_cliff - 1}

    def expected() -> int:
        caps = caps_by_limit()
        return min(caps["envelope"], caps["etcd (1.12)"])

    caps = caps_by_limit()
    lease = min(caps["envelope"], caps["etcd (Lease)"])
    why = {caps["envelope"]: "that is where the envelope binds. Can this cluster's etcd hold "
                             "that many nodes' heartbeats?",
           caps["one number"]: "that is the one-number answer (nodes alone)."}
    if not math.isclose(lease, expected(), rel_tol=0.01):
        why.setdefault(lease, "that would hold with Leases; this cluster runs 1.12.")
    return check_number(
        answer, expected(), rel_tol=0.01, unit="nodes",
        right="a published threshold is only as good as the mechanisms beneath it: on a "
              "release with the old heartbeat, etcd's quota — not the envelope — sets this "
              "cluster's size.",
        why=why,
        hint="two limits apply at once: the envelope's (chapter 1: model.improved(ex.Q8_ENVELOPE)"
             ".max_nodes) and the heartbeat's NOSPACE cliff for ex.Q8_CLUSTER (the largest "
             "cluster that never hits it). The smaller one wins.")
