"""Self-checks for chapter 8, "What came next" (``exercises/08-endpoints``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.endpoints`,
:mod:`kscale_lab.priority`, :mod:`kscale_lab.control_plane.flowcontrol`) on the cluster the
question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The
clusters are module constants so the notebooks, the solutions and the tests use the same
ones — none of them is one the chapter used.

Q1–Q4 are about EndpointSlices (bytes of one change, writes, a rolling update's growth, the
etcd limit); Q5–Q7 about API Priority and Fairness (seats, which pool a storm starves, the
Lease's refusals); Q8 puts chapter 2's grace period and this chapter's pools together.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.control_plane.flowcontrol import nominal_concurrency_limits
from kscale_lab.endpoints import ETCD_MAX_REQUEST_BYTES, EndpointsDimensions, EndpointsModel
from kscale_lab.endpoints.sizes import object_sizes
from kscale_lab.exercises import check_choice, check_number, scoring
from kscale_lab.priority import PriorityDimensions, PriorityModel
from kscale_lab.units import MiB

__dir__, score, not_yet = scoring.check_module(__name__)

ENDPOINTS = EndpointsModel()
PRIORITY = PriorityModel()

#: Q1: 3,000 nodes, a Service of 400 backends, one Endpoints object (protobuf-like sizes).
Q1_CLUSTER = EndpointsDimensions(nodes=3000, backends_per_service=400)
#: Q2: the same cluster; etcd writes per backend change, EndpointSlices vs Endpoints.
Q2_CLUSTER = Q1_CLUSTER
#: Q3: a Service growing from 300 to 1,200 backends (one Endpoints object, 2,000 nodes).
Q3_SMALL = EndpointsDimensions(nodes=2000, backends_per_service=300)
Q3_BIG = Q3_SMALL.replace(backends_per_service=1200)
#: Q4: JSON-encoded Endpoints: the most backends within etcd's 1.5 MiB request limit.
Q4_ENCODING = "json"
#: Q5: --max-requests-inflight 800, --max-mutating-requests-inflight 300.
Q5_CLUSTER = PriorityDimensions(max_requests_inflight=800, max_mutating_requests_inflight=300)
Q5_LEVEL = "workload-low"
#: Q6: a polling storm against the max-inflight pools.
Q6_CLUSTER = PriorityDimensions(nodes=4000, noisy_client="polling-storm",
                                noisy_requests_per_s=9000)
Q6_CHOICES = ("a", "b", "c", "d")
#: Q7: 4,000 nodes and an Event flood of 4,500 req/s against the max-inflight pools.
Q7_CLUSTER = PriorityDimensions(nodes=4000, noisy_requests_per_s=4500,
                                workload_requests_per_s=100)
#: Q8: 3,000 nodes, an Event flood, the max-inflight pools; fewer than one node NotReady an
#: hour.
Q8_CLUSTER = PriorityDimensions(nodes=3000, workload_requests_per_s=100)
Q8_NOT_READY = 1.0


# --- Q1 --------------------------------------------------------------------------------------


def q1(answer: Any) -> bool:
    """MiB sent to every kube-proxy when one of 400 backends changes (one Endpoints object)."""
    def expected() -> float:
        return ENDPOINTS.naive(Q1_CLUSTER).bytes_per_update / MiB

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="the whole object goes to every node's kube-proxy, whichever backend changed: "
              "the cost is the Service's size times the cluster's size.",
        hint="build the Service's Endpoints object (endpoints_object(…, backends(…, n))), "
             "measure it (protobuf_bytes), and ask who receives it. A MiB is 1,048,576 "
             "bytes.")


# --- Q2 --------------------------------------------------------------------------------------


def q2(answer: Any) -> bool:
    """With EndpointSlices, more, fewer or the same etcd writes per backend change?"""
    def expected() -> str:
        c = ENDPOINTS.compare(Q2_CLUSTER)
        a, b = c.naive.etcd_writes_per_update, c.improved.etcd_writes_per_update
        return "same" if a == b else ("more" if b > a else "fewer")

    return check_choice(
        answer, expected(), ["more", "fewer", "same"],
        right="a change still rewrites one object and still wakes every kube-proxy; what "
              "shrinks is that object. Like the Lease of chapter 2, the fix is in the bytes.",
        hint="count the objects one change rewrites in each version: the Service's Endpoints "
             "object, or the slice that holds the changed backend.")


# --- Q3 --------------------------------------------------------------------------------------


def q3(answer: Any) -> bool:
    """A Service grows 4× (300 → 1,200 backends): by what factor grow the bytes a rolling
    update sends with one Endpoints object?"""
    def expected() -> float:
        return (ENDPOINTS.naive(Q3_BIG).bytes_per_rolling_update
                / ENDPOINTS.naive(Q3_SMALL).bytes_per_rolling_update)

    return check_number(
        answer, expected(), rel_tol=0.05,
        right="a rolling update makes one change per backend, and each change sends an object "
              "that is itself proportional to the backends: the product grows with the "
              "square. With slices each change sends at most one slice, so it grows linearly.",
        hint="a rolling update of n backends is n changes; how does the object each change "
             "sends grow with n? Multiply the two growths.")


# --- Q4 --------------------------------------------------------------------------------------


def q4(answer: Any) -> bool:
    """The most backends one JSON-encoded Endpoints object can hold within 1.5 MiB."""
    def expected() -> int:
        return object_sizes(Q4_ENCODING).max_backends_within(ETCD_MAX_REQUEST_BYTES)

    return check_number(
        answer, expected(), rel_tol=0.01,
        right="far above the 250 backends of the thresholds: the request limit is a hard "
              "wall, but the bytes sent to every node make a Service expensive long before it.",
        hint="measure the object for two sizes to get the bytes per backend (json_bytes of "
             "endpoints_object), then divide etcd's limit — 1.5 MiB is 1.5 × 1,048,576 "
             "bytes — or bisect on the backends.")


# --- Q5 --------------------------------------------------------------------------------------


def q5(answer: Any) -> bool:
    """Seats of workload-low with --max-requests-inflight 800 and
    --max-mutating-requests-inflight 300."""
    def expected() -> int:
        return nominal_concurrency_limits(Q5_CLUSTER.server_concurrency)[Q5_LEVEL]

    return check_number(
        answer, expected(), rel_tol=0, abs_tol=0.5,
        right="APF shares out the sum of the two old flags by nominal shares and rounds each "
              "level up; the verb no longer picks the pool.",
        hint="the server's concurrency is the sum of both flags; a level gets ceil(that × its "
             "share ÷ the sum of all shares). Look up the shares in the chapter's table.")


# --- Q6 --------------------------------------------------------------------------------------

Q6_OPTIONS = {
    "a": "They are refused as often as the storm's GETs: every request competes for the same "
         "seats.",
    "b": "They are not refused: reads and writes have separate pools, so the storm starves "
         "only other readers.",
    "c": "They are refused, because a Lease renewal is a read.",
    "d": "They are not refused, because node heartbeats are exempt from the in-flight limits.",
}
_Q6_WHY = {
    "a": "before APF there were two pools, not one. Which one does a GET take a seat in, and "
         "which one does a Lease UPDATE need?",
    "c": "a renewal changes the Lease (renewTime): is an UPDATE read-only?",
    "d": "nothing exempted kubelets from the max-inflight filter; with an Event flood their "
         "renewals are refused. What is different about a storm of GETs?",
}


def q6(answer: Any) -> bool:
    """A polling storm hits a pre-APF apiserver: what happens to the Lease renewals?"""
    def expected() -> str:
        out = PRIORITY.naive(Q6_CLUSTER)
        refused_storm = out.noisy_rejected_per_s + out.workload_rejected_per_s > 0
        if out.lease_renewals_rejected_per_s == 0:
            return "b"
        return "a" if refused_storm else "c"

    expected = expected()
    return check_choice(
        answer, expected, Q6_CHOICES, why=_Q6_WHY,
        right="the two pools separate reads from writes, not important requests from "
              "unimportant ones: the storm still starves every other reader (a controller's "
              "GETs, a kubelet's own reads), and an Event flood would starve every writer.",
        hint="read the pools again: which verbs take which seats?")


# --- Q7 --------------------------------------------------------------------------------------


def q7(answer: Any) -> bool:
    """The percentage of Lease renewals refused (naive) in :data:`Q7_CLUSTER`."""
    def expected() -> float:
        return 100 * PRIORITY.naive(Q7_CLUSTER).lease_renewals_rejected_per_s \
            / Q7_CLUSTER.lease_requests_per_s

    return check_number(
        answer, expected(), rel_tol=0.05,
        right="with no queue, a renewal is refused whenever it finds the mutating pool full — "
              "as often as any flood request, because the pool cannot tell them apart.",
        hint="every request holds a seat for the seat time, so the mutating pool is offered "
             "(all mutating requests per second × seat time) seats; Erlang's loss formula "
             "(erlang_b) gives the share refused. Answer in percent.")


# --- Q8 --------------------------------------------------------------------------------------

def _not_ready(flood_per_s: float) -> float:
    return PRIORITY.naive(Q8_CLUSTER.replace(noisy_requests_per_s=flood_per_s)).nodes_not_ready


def q8(answer: Any) -> bool:
    """The largest Event flood a 3,000-node cluster's pools take before a node is expected
    to go NotReady within the hour (req/s)."""
    def expected() -> float:
        """The largest flood (req/s) that leaves fewer than :data:`Q8_NOT_READY` nodes NotReady
        in the hour (bisection on the flood; NotReady grows with it)."""
        lo, hi = 0.0, PriorityDimensions.spec("noisy_requests_per_s").hi
        if _not_ready(hi) < Q8_NOT_READY:
            return hi
        for _ in range(50):
            mid = (lo + hi) / 2
            if _not_ready(mid) < Q8_NOT_READY:
                lo = mid
            else:
                hi = mid
        return lo

    return check_number(
        answer, expected(), rel_tol=0.05,
        right="below the pool's capacity nearly nothing is refused; a little above it the "
              "refusals are frequent enough that four in a row — a Lease older than the "
              "grace period — happen somewhere among thousands of nodes. Under APF the "
              "flood never reaches node-high's seats at all.",
        hint="the mutating pool serves at most seats ÷ seat time requests per second; sweep "
             "noisy_requests_per_s around that and watch nodes_not_ready, or bisect on it.")
