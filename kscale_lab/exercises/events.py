"""Self-checks for chapter 6, "Events overload" (``exercises/06-events``).

Every expected answer is computed here, by running the lab (:mod:`kscale_lab.events`) on the
cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The clusters are module constants so the
notebooks, the solutions and the tests use the same ones; none is a setting the chapter
prints (its cache cliff is at one ReplicaSet per node; its default cluster has 5,000 nodes
failing every 20 s).
"""

from __future__ import annotations

import math
from typing import Any

from kscale_lab.events import (
    THRESHOLD_EVENTS,
    EventsDimensions,
    EventsModel,
    get_events,
    lru_forgets,
    simulate,
)
from kscale_lab.events.correlator import LRU_SIZE
from kscale_lab.events.objects import CHURN_EVENTS
from kscale_lab.exercises import check_choice, check_number, scoring

__dir__, score, not_yet = scoring.check_module(__name__)

MODEL = EventsModel()

#: Q1–Q3: one crash-looping pod on one node, restarting every 10 s for 20 minutes; an hour.
Q1_CLUSTER = EventsDimensions(workload="crashloop", nodes=1, hot_objects_per_node=1.0,
                              repeat_period_s=10, hot_loop_s=1200, churn_pods_per_s=0.0)
#: Q4: one pod failing its sandbox every 90 s for 40 minutes.
Q4_CLUSTER = EventsDimensions(workload="sandbox", nodes=1, hot_objects_per_node=1.0,
                              repeat_period_s=90, hot_loop_s=2400, churn_pods_per_s=0.0)
#: Q5: ReplicaSets stuck on a quota, 2.5 per node on average (five in every two nodes),
#: retried every 30 s, all reported by the one replicaset controller; the question is the
#: number of nodes.
Q5_CLUSTER = EventsDimensions(workload="quota", nodes=1000, hot_objects_per_node=2.5,
                              repeat_period_s=30, churn_pods_per_s=0.0)
#: Q6: churn alone: 3,000 nodes, 12 pods/s, no hot objects.
Q6_CLUSTER = EventsDimensions(workload="sandbox", nodes=3000, hot_objects_per_node=0.0,
                              churn_pods_per_s=12.0)
#: Q7: one pod per node failing its sandbox every 75 s for the whole hour, on 2,400 nodes;
#: the question is the churn.
Q7_CLUSTER = EventsDimensions(workload="sandbox", nodes=2400, hot_objects_per_node=1.0,
                              repeat_period_s=75, hot_loop_s=3600)


def q1(answer: Any) -> bool:
    """One crash-looping pod (4 events per restart, every 10 s, 20 min): how many requests
    does the old API send in the hour?"""
    def expected() -> float:
        """Event requests (POST + PATCH) of the old API for :data:`Q1_CLUSTER` over the run."""
        return MODEL.naive(Q1_CLUSTER).api_calls_per_s * Q1_CLUSTER.horizon_s

    return check_number(
        answer, expected(), rel_tol=0.02,
        right="the spam filter lets a burst through, then one event per token, one token "
              "every 5 minutes, whatever the pod does: the requests hardly depend on how hard "
              "it loops.",
        hint="each restart reports four events, all exact repeats, so they are PATCHes after "
             "the first of each — and every PATCH needs a token from the pod's one bucket: "
             "25 at first, one more every 300 s.")


def q2(answer: Any) -> bool:
    """Why does ``kubectl get events`` show a small count for BackOff but a large one for
    Pulled? ``"message"``, ``"aggregated"``, ``"bucket"`` or ``"evicted"``."""
    def expected() -> str:
        """Why the BackOff count stops growing while Pulled's keeps growing (Q1's pod)."""
        rows = {r["REASON"]: r["COUNT"] for r in get_events(simulate(Q1_CLUSTER, "naive"))}
        return "bucket" if rows["Pulled"] > rows["BackOff"] else "other"

    return check_choice(
        answer, expected(), ["message", "aggregated", "bucket", "evicted"],
        right="the spam filter's bucket belongs to the pod, not to a reason; after the burst "
              "each new token goes to the first event that asks, and at every restart the "
              "same event asks first. A warning can starve behind routine Normal events.",
        hint="BackOff's message never changes and one pod's keys fit easily in 4096 entries. "
             "Which stage's state is shared by all four reasons of the pod, and in what "
             "order do they arrive at each restart?")


def q3(answer: Any) -> bool:
    """The same pod with the events.k8s.io API: how many requests in the hour?"""
    def expected() -> float:
        """Event requests of the new API for :data:`Q1_CLUSTER` over the run."""
        return MODEL.improved(Q1_CLUSTER).api_calls_per_s * Q1_CLUSTER.horizon_s

    return check_number(
        answer, expected(), rel_tol=0.001, abs_tol=0.5,
        right="each reason is its own series: created, turned into a series, closed once "
              "the pod stops. The 30-minute heartbeat only comes for series still open then.",
        hint="four isomorphic series (one per reason). For each: the first occurrence, the "
             "second, then? When does the 6-minute check close a series whose pod stopped at "
             "20 min, and is that before or after the 30-minute heartbeat?")


def q4(answer: Any) -> bool:
    """One pod fails its sandbox every 90 s for 40 min (a new message each time): how many
    rows does ``kubectl get events`` show for it with the old API?"""
    def expected() -> int:
        """Rows ``kubectl get events`` lists for :data:`Q4_CLUSTER`'s pod (old API)."""
        return len(get_events(simulate(Q4_CLUSTER, "naive")))

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5,
        right="90 s apart, fewer than ten distinct messages ever fall within 600 s, so the "
              "aggregator never combines them: every failure is a new Event, and a new row.",
        hint="how many failures fall within any 600 s at this period, and how many distinct "
             "messages does the aggregator need before it combines them? Then count "
             "the spam filter's tokens.")


def q5(answer: Any) -> bool:
    """ReplicaSets stuck on a quota, 2.5 per node, all reported by the one replicaset
    controller: from how many nodes on does the old API create a new Event on every retry?"""
    def expected() -> int:
        """The fewest nodes at which the old correlator forgets the stuck ReplicaSets between
        retries (bisection on the cluster's size)."""
        spec = EventsDimensions.spec("nodes")
        lo, hi = int(spec.lo), int(spec.hi)         # lo keeps them, hi forgets them
        if lru_forgets(Q5_CLUSTER.replace(nodes=lo)) or not lru_forgets(
                Q5_CLUSTER.replace(nodes=hi)):
            raise RuntimeError("question 5 no longer matches the lab: no cliff in range")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if lru_forgets(Q5_CLUSTER.replace(nodes=mid)):
                hi = mid
            else:
                lo = mid
        return hi

    nodes = expected()
    return check_number(
        answer, nodes, rel_tol=0.0, abs_tol=0.5, unit="nodes",
        right="the cliff is set by the objects one correlator sees, not by the nodes: past "
              "it every cache entry is evicted before its ReplicaSet retries, so nothing is "
              "aggregated, counted or rate-limited, and the one controller writes a new Event "
              "per retry. A cache that fits the workload is all-or-nothing.",
        why={LRU_SIZE + 1: "that is a number of ReplicaSets; the question asks for nodes, "
                           "and each node brings more than one.",
             nodes - 1: "at that size the stuck ReplicaSets still fit in the caches: count "
                        "them (nodes × ReplicaSets per node)."},
        hint="the replicaset controller is one client with one correlator for the whole "
             "cluster: each stuck ReplicaSet touches its cache entries once per retry, and "
             "between two of its retries every other one does too. How many entries does each "
             "LRU cache hold, and how many ReplicaSets do n nodes bring?")


def q6(answer: Any) -> bool:
    """Churn alone, 12 pods/s for an hour: does the new API store more, fewer or the same
    number of Event objects?"""
    def expected() -> str:
        """``"more"``, ``"fewer"`` or ``"same"``: Event objects stored by the new API vs the old
        for :data:`Q6_CLUSTER`."""
        c = MODEL.compare(Q6_CLUSTER)
        a, b = c.naive.event_objects_stored, c.improved.event_objects_stored
        return "same" if a == b else ("more" if b > a else "fewer")

    return check_choice(
        answer, expected(), ["more", "fewer", "same"],
        right="every event of a pod's start is about a new pod with a new reason: nothing is "
              "isomorphic to anything, so the new API creates exactly what the old one did. "
              "Series help repeats, not churn.",
        hint="a series needs an isomorphic event — same regarding object, same reason, same "
             "reporting instance … Does a pod's Scheduled event ever recur for that pod?")


def threshold_churn(dims: EventsDimensions, side: str) -> float:
    """The smallest churn (pods/s) at which ``side`` stores more than 1,000,000 Events at the
    end of the run, everything else as in ``dims``; bisection to 0.001 pods/s."""
    run = MODEL.naive if side == "naive" else MODEL.improved
    spec = EventsDimensions.spec("churn_pods_per_s")
    lo, hi = spec.lo, spec.hi

    def over(churn: float) -> bool:
        return run(dims.replace(churn_pods_per_s=churn)).event_objects_stored > THRESHOLD_EVENTS

    if over(lo):
        return lo
    while hi - lo > 1e-3:
        mid = (lo + hi) / 2
        if over(mid):
            hi = mid
        else:
            lo = mid
    return hi


def q7(answer: Any) -> bool:
    """2,400 nodes, one pod per node failing its sandbox every 75 s all hour: by how many
    pods/s of churn does the new API raise the churn the cluster can take before it stores
    more than 1,000,000 Events after an hour?"""
    def expected() -> float:
        """How much more churn (pods/s) the new API lets :data:`Q7_CLUSTER` take before it
        crosses the 1,000,000-Event threshold."""
        return (threshold_churn(Q7_CLUSTER, "improved") - threshold_churn(Q7_CLUSTER, "naive"))

    d = Q7_CLUSTER
    per_churn = len(CHURN_EVENTS) * d.horizon_s          # Events one pod/s leaves in the run
    failures = math.ceil(d.hot_loop_s / d.repeat_period_s)
    return check_number(
        answer, expected(), rel_tol=0.05,
        right="75 s apart, fewer than ten messages ever fall within 600 s, so the old API "
              "never combines them: every failure the spam filter lets through is an Event of "
              "its own, and the series turn all of them into one. Still, churn's one-shot "
              "events are the bulk of the objects, and no API change can merge them: the "
              "series' big saving is in requests, not in objects.",
        why={d.nodes * (10 - 1) / per_churn:
                 "that assumes the old API combines the messages after nine, as it does at "
                 "20 s. Do ten distinct messages ever fall within 600 s at this period?",
             d.nodes * (failures - 1) / per_churn:
                 "that counts every failure as an Event; each is a POST that needs a token "
                 "from the pod's bucket first."},
        hint="count the objects each version stores per failing pod. Old: is the aggregator "
             "ever triggered at this period (ten distinct messages within 600 s)? If not, "
             "each failure is a new Event — if the spam filter has a token for it (25 at "
             "first, one more every 300 s). New: one series. Then divide the difference, for "
             "all the failing pods, by the Events one pod/s of churn leaves in an hour.")
