"""Self-checks for chapter 3, "Kubelet secrets and configmaps" (``exercises/03-secrets``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.secrets`) on the
cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The clusters are module constants so the
notebooks, the solutions and the tests all use the same ones — and none of them is a cluster
the chapter used.

The set runs from counting GETs (Q1) to choosing a fix for a cluster on 1.13.4 (Q8). Q2 is
predict-then-check; Q5 and Q8 are explain-why choices whose wrong options are the chapter's
common misconceptions, each with its own hint; Q7 is the synthesis: what breaks first on
1.13.4, and when.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_number, scoring
from kscale_lab.secrets import SecretsDimensions, SecretsModel, secrets_at

__dir__, score, not_yet = scoring.check_module(__name__)

MODEL = SecretsModel()

#: Q1: 1,500 nodes, 40 pods per node, 3 objects per pod, none shared; kubelets that poll.
Q1_CLUSTER = SecretsDimensions(nodes=1500, pods_per_node=40, objects_per_pod=3,
                               shared_share=0.0)
#: Q2: the same cluster grown to 2,500 nodes.
Q2_CLUSTER = Q1_CLUSTER.replace(nodes=2500)
Q2_CHOICES = ("up", "down", "same")
#: Q3: the Q1 cluster with the TTL set by hand to 120 s (the TTL controller off).
Q3_CLUSTER = Q1_CLUSTER.replace(ttl_controller=False, cache_ttl_s=120)
#: Q4: 3,000 nodes, 80 pods × 5 objects (one shared by the node's pods), 25-ms GETs.
Q4_CLUSTER = SecretsDimensions(nodes=3000, pods_per_node=80, objects_per_pod=5,
                               shared_share=0.2, get_latency_ms=25.0)
#: Q5: why a 1.13.4 node whose pods reference 300 objects goes NotReady.
Q5_CLUSTER = SecretsDimensions(nodes=1000, pods_per_node=100, objects_per_pod=3,
                               shared_share=0.0)
Q5_VERSION = "1.13.4"
Q5_CHOICES = ("a", "b", "c", "d")
#: Q6: one 1.12.3 kubelet whose 130 pods reference 2 objects each (260 objects).
Q6_CLUSTER = SecretsDimensions(nodes=1, pods_per_node=130, objects_per_pod=2,
                               shared_share=0.0)
Q6_VERSION = "1.12.3"
#: Q7: 2,400 nodes on 1.13.4, 90 pods × 3 objects each (270 objects per node).
Q7_CLUSTER = SecretsDimensions(nodes=2400, pods_per_node=90, objects_per_pod=3,
                               shared_share=0.0)
Q7_VERSION = "1.13.4"
#: Q8: the Q7 cluster, and four changes an operator could make to it.
Q8_CLUSTER = Q7_CLUSTER
Q8_OPTIONS = {
    "a": ("raise node-monitor-grace-period to 600 s", Q7_VERSION, {"grace_period_s": 600}),
    "b": ("downgrade the kubelets to 1.13.5", "1.13.5", {}),
    "c": ("upgrade the kubelets to 1.14.2", "1.14.2", {}),
    "d": ("set --http2-max-streams-per-connection to 100", Q7_VERSION,
          {"http2_max_streams_per_connection": 100}),
}
#: Q8's goal: every node Ready, and a changed secret at the kubelet within this, on average.
Q8_FRESH_S = 1.0


def at_version(dims: SecretsDimensions, version: str) -> Any:
    """The outcome of ``dims`` with the kubelet of ``version`` (its strategy and Go client)."""
    r = secrets_at(dims, version)
    return MODEL.run(r.dims, MODEL.version(r.side))


# --- Q1 --------------------------------------------------------------------------------------


def q1(answer: Any) -> bool:
    """GETs per second that the polling kubelets of :data:`Q1_CLUSTER` send."""
    def expected() -> float:
        return MODEL.naive(Q1_CLUSTER).get_requests_per_s

    return check_number(
        answer, expected(), rel_tol=0.02,
        right="every object a node needs is fetched once per refresh: the first pod sync "
              "after its copy is a TTL old. Nodes × objects ÷ that interval, whatever else "
              "the cluster does.",
        hint="which TTL does the TTL controller give this many nodes? A pod's object is read "
             "only when the pod syncs (every 60 s): how long after a fetch is the first read "
             "that finds the copy at least a TTL old?")


# --- Q2 --------------------------------------------------------------------------------------


def q2(answer: Any) -> bool:
    """Predict, then check: the Q1 cluster grows to 2,500 nodes — GETs/s up, down or same?"""
    def expected() -> str:
        before = MODEL.naive(Q1_CLUSTER).get_requests_per_s
        after = MODEL.naive(Q2_CLUSTER).get_requests_per_s
        if abs(after - before) <= 1e-9 * before:
            return "same"
        return "up" if after > before else "down"

    return check_choice(
        answer, expected(), Q2_CHOICES,
        right="the TTL controller stretches the TTL as the cluster grows, faster than the "
              "nodes are added at this step: the stopgap at work. The bill comes as staleness.",
        hint="more nodes, but is the TTL the same? Look at dims.ttl_s for both sizes.")


# --- Q3 --------------------------------------------------------------------------------------


def q3(answer: Any) -> bool:
    """Seconds, on average, until a rotated secret reaches a kubelet of :data:`Q3_CLUSTER`."""
    def expected() -> float:
        return MODEL.naive(Q3_CLUSTER).propagation_delay_s

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="a change lands at a random moment between two fetches, so it waits half the "
              "refresh interval on average — and the interval is longer than the TTL.",
        hint="how often is each object fetched with a 120-s TTL and pods synced every 60 s? "
             "A change at a random moment waits, on average, half of that. Answer in seconds.")


# --- Q4 --------------------------------------------------------------------------------------


def q4(answer: Any) -> bool:
    """Percentage of the 400 read-only seats the kubelets' GETs hold in :data:`Q4_CLUSTER`."""
    def expected() -> float:
        return 100 * MODEL.naive(Q4_CLUSTER).readonly_inflight_share

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="Little's law: seats in use = GETs per second × how long each holds its seat. "
              "Slower GETs — etcd under load — take seats from everyone else.",
        hint="count the objects per node (one of each pod's five is shared by all the "
             "node's pods), the TTL the TTL controller gives 3,000 nodes, the GETs per second, "
             "then multiply by 25 ms and divide by 400. Answer as a percentage (e.g. 12.5).")


# --- Q5 --------------------------------------------------------------------------------------

_Q5_WHY = {
    "a": "which requests does a 1.13.4 kubelet send for its secrets: GETs or watches? And which "
         "pool would a Lease renewal (an UPDATE) need a seat in?",
    "c": "a watch is a stream between the kubelet and the apiserver; etcd stores objects and "
         "their revisions, not watches.",
    "d": "the limit is the server's streams per connection, and the Go 1.10–1.11 client does "
         "not give up: what does it do with a request when every stream is busy?",
}


def q5(answer: Any) -> bool:
    """Why does a 1.13.4 node whose pods reference 300 objects go NotReady?"""
    def expected() -> str:
        """``b`` when the lab shows the 1.13.4 node blocked behind its own watches, with no GET
        and no read-only seat involved."""
        out = at_version(Q5_CLUSTER, Q5_VERSION)
        blocked = out.blocked_nodes > 0 and out.notready_nodes > 0
        return "b" if blocked and out.get_requests_per_s == 0 else "a"

    return check_choice(
        answer, expected(), Q5_CHOICES, why=_Q5_WHY,
        right="every watch holds a stream for 5–10 minutes, and the blocking client makes "
              "every other request — the heartbeat too — wait for one of them to end.",
        hint="follow the heartbeat request: what must it get before it reaches the apiserver?")


# --- Q6 --------------------------------------------------------------------------------------


def q6(answer: Any) -> bool:
    """Seconds the 1.12.3 kubelet of :data:`Q6_CLUSTER` goes without renewing its Lease."""
    def expected() -> float:
        return at_version(Q6_CLUSTER, Q6_VERSION).longest_heartbeat_gap_s

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="no watch ends before 5 minutes, and the reflectors that found no stream are "
              "ahead of the heartbeat in the queue: it gets the first stream after theirs.",
        hint="how many reflectors wait for a stream, and so which watch ending lets the "
             "heartbeat through? The first 250 watches end at times spread evenly over "
             "5–10 minutes.")


# --- Q7 --------------------------------------------------------------------------------------


def q7(answer: Any) -> bool:
    """Synthesis: what breaks first on 1.13.4, and when — the nodes of :data:`Q7_CLUSTER`
    NotReady at a time, on average, in the first hour."""
    def expected() -> float:
        return at_version(Q7_CLUSTER, Q7_VERSION).notready_nodes

    return check_number(
        answer, expected(), rel_tol=0.05,
        right="every node is blocked alike: NotReady from 40 s until its first heartbeat gets "
              "through, then only when a later one waits longer than the grace period.",
        hint="use secrets_at(cluster, version) to get the release's strategy and Go client, "
             "run the model with them, and read notready_nodes (a time average).")


# --- Q8 --------------------------------------------------------------------------------------

_Q8_WHY = {
    "a": "the nodes stay Ready, but the heartbeat still waits minutes for a stream: what would "
         "a node that really died cost you now (chapter 2)? And look at propagation_delay_s.",
    "b": "1.13.5 polls again: no stream trap, but how fresh are the secrets with the TTL the "
         "TTL controller gives 2,400 nodes?",
    "d": "100 streams per connection is fewer than 250: how many watches wait now?",
}


def option_outcome(option: str) -> Any:
    """The outcome of the Q8 cluster after ``option`` (a key of :data:`Q8_OPTIONS`)."""
    if option not in Q8_OPTIONS:
        raise ValueError(f"option must be one of {', '.join(Q8_OPTIONS)}; got {option!r}")
    _what, version, changes = Q8_OPTIONS[option]
    return at_version(Q8_CLUSTER.replace(**changes) if changes else Q8_CLUSTER, version)


def q8(answer: Any) -> bool:
    """Which change keeps every node Ready and secrets fresh within a second?"""
    def expected() -> str:
        outcomes = {k: option_outcome(k) for k in Q8_OPTIONS}
        good = [k for k, out in outcomes.items()
                if out.notready_nodes == 0 and out.propagation_delay_s <= Q8_FRESH_S]
        return good[0] if len(good) == 1 else "none"

    return check_choice(
        answer, expected(), tuple(Q8_OPTIONS), why=_Q8_WHY,
        right="only a client that opens another connection removes the queue itself; the "
              "other changes hide the symptom or trade it for staleness — or make it worse.",
        hint="run option_outcome(k) for each option and read notready_nodes and "
             "propagation_delay_s.")
