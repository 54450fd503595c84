"""Self-checks for chapter 2, "Node heartbeats" (``exercises/02-heartbeats``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.heartbeats`) on
the cluster the question describes; no answer is stored. The clusters are module constants so
the notebooks, the solutions and the tests all use the same ones.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.etcd import MiB
from kscale_lab.exercises import check_choice, check_never, check_number
from kscale_lab.heartbeats import HeartbeatDimensions, HeartbeatsModel

MODEL = HeartbeatsModel()

#: Q1: 2,000 nodes, the naive heartbeat (everything else at the defaults: 20 kB Node, 10 s).
Q1_CLUSTER = HeartbeatDimensions(nodes=2000)
#: Q2: the default cluster (5,000 nodes, 20 kB Nodes, 1-minute status reports with Leases).
Q2_CLUSTER = HeartbeatDimensions()
#: Q3: the default settings; the question is the number of nodes.
Q3_CLUSTER = HeartbeatDimensions()
#: Q4: three times the 5,000-node envelope, with the 1.17 defaults (Lease, 5-minute reports).
Q4_CLUSTER = HeartbeatDimensions(nodes=15000, status_report_period_s=300)
#: Q5: no Lease — the status alone every 5 minutes, so the grace period must exceed 300 s.
#: A small cluster (only node 0's heartbeat matters) with a large quota (no NOSPACE).
Q5_CLUSTER = HeartbeatDimensions(nodes=100, status_update_period_s=300, grace_period_s=340,
                                 horizon_s=1200, quota_gib=8.0)
#: Q5: the moments of death swept, one whole report period (whole seconds).
Q5_FAIL_TIMES_S = range(600, 901)


def q1_expected() -> float:
    """The naive heartbeat's etcd write bandwidth for :data:`Q1_CLUSTER`, in MiB/s."""
    return MODEL.naive(Q1_CLUSTER).etcd_write_bytes_per_s / MiB


def q1(answer: Any) -> bool:
    """How many MiB/s of heartbeats does a 2,000-node cluster write (naive)?"""
    return check_number(
        answer, q1_expected(), rel_tol=0.03,
        right=f"{Q1_CLUSTER.nodes:,} nodes × {Q1_CLUSTER.node_bytes:,} B every "
              f"{Q1_CLUSTER.status_update_period_s} s. etcd keeps all of it until the "
              "apiserver compacts — up to two compaction intervals' worth.",
        hint="every kubelet writes its whole Node object once per status update period; "
             "a MiB is 1,048,576 bytes, not a million.")


def q2_expected() -> str:
    """``"more"``, ``"fewer"`` or ``"same"``: improved vs naive heartbeat writes per second."""
    c = MODEL.compare(Q2_CLUSTER)
    a, b = c.naive.api_writes_per_s, c.improved.api_writes_per_s
    if abs(b - a) <= 1e-9 * a:
        return "same"
    return "more" if b > a else "fewer"


def q2(answer: Any) -> bool:
    """With Leases, does the apiserver get more, fewer or the same writes/s as before?"""
    return check_choice(
        answer, q2_expected(), ["more", "fewer", "same"],
        right="a Lease renewal every 10 s per node replaces the old 10-s heartbeat one for "
              "one, and the NodeStatus reports come on top. The fix cuts bytes, not "
              "requests: etcd's history and quota are counted in bytes.",
        hint="count both loops of the improved kubelet: how often is the Lease renewed, and "
             "how often is the NodeStatus still written?")


def nospace_within_horizon(nodes: int, dims: HeartbeatDimensions = Q3_CLUSTER) -> bool:
    """Does the naive version hit NOSPACE within ``dims.horizon_s`` with ``nodes`` nodes?"""
    return MODEL.naive(dims.replace(nodes=nodes)).nospace_at_s is not None


def q3_expected() -> int:
    """The fewest nodes whose naive heartbeat hits NOSPACE within the hour (bisection)."""
    spec = HeartbeatDimensions.spec("nodes")
    lo, hi = int(spec.lo), int(spec.hi)             # invariant: lo does not hit, hi does
    if nospace_within_horizon(lo):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if nospace_within_horizon(mid):
            hi = mid
        else:
            lo = mid
    return hi


def q3(answer: Any) -> bool:
    """The smallest cluster whose naive heartbeat fills the default 2 GiB quota in an hour."""
    return check_number(
        answer, q3_expected(), rel_tol=0.02,
        right="below it the history held between compactions (two intervals of heartbeat "
              "bytes) fits under the quota, so NOSPACE never comes; above it, it comes within "
              "the first two compaction intervals.",
        hint="NOSPACE either comes before the history stops growing or never. How much "
             "history does etcd hold at most, with the apiserver compacting every 5 min to "
             "its previous tick? Or bisect on nodes with model.naive(...).nospace_at_s.")


def _improved_bytes_per_node_s(dims: HeartbeatDimensions) -> float:
    return MODEL.improved(dims).etcd_write_bytes_per_s / dims.nodes


def q4_expected() -> float | None:
    """When the improved version at :data:`Q4_CLUSTER` hits NOSPACE, in minutes, or ``None``."""
    t = MODEL.improved(Q4_CLUSTER).nospace_at_s
    return None if t is None else t / 60


def q4(answer: Any) -> bool:
    """15,000 nodes with Lease and 5-minute reports: minutes until NOSPACE, or "never"."""
    return check_never(
        answer, q4_expected(), rel_tol=0.05,
        right=f"per node, a Lease every {Q4_CLUSTER.lease_renew_s} s and a "
              f"{Q4_CLUSTER.node_bytes:,} B status every {Q4_CLUSTER.status_report_period_s} s "
              f"are {_improved_bytes_per_node_s(Q4_CLUSTER):.0f} B/s; two compaction intervals "
              f"of that for {Q4_CLUSTER.nodes:,} nodes, plus the live objects, still fit under "
              f"{Q4_CLUSTER.quota_gib:g} GiB.",
        hint="work out the improved version's bytes per second per node (both loops), "
             "multiply by the nodes and by the history etcd holds between compactions, and "
             "compare with the quota.")


def q5_expected() -> float:
    """The longest detection delay (s) at :data:`Q5_CLUSTER` over :data:`Q5_FAIL_TIMES_S`."""
    return float(max(MODEL.naive(Q5_CLUSTER.replace(failed_node_at_s=t)).notready_detection_s
                     for t in Q5_FAIL_TIMES_S))


def q5(answer: Any) -> bool:
    """Status-only liveness every 5 minutes (grace 340 s): the worst detection delay, in s."""
    return check_number(
        answer, q5_expected(), rel_tol=0.03,
        right="the worst case is a node that dies just after a heartbeat: the controller "
              "waits out the whole grace period, which had to be longer than the report "
              f"period. With a Lease renewed every {Q5_CLUSTER.lease_renew_s} s it is about "
              f"the default {HeartbeatDimensions().grace_period_s} s grace period.",
        hint="the controller sees only the newest heartbeat and checks every 5 s. When in the "
             "report period is the worst moment to die? Sweep failed_node_at_s over one "
             "report period and take the largest notready_detection_s.")
