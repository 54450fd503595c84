"""Self-checks for chapter 6, "Events overload" (``exercises/06-events``).

Every expected answer is computed here, by running the lab (:mod:`kscale_lab.events`) on the
cluster the question describes, in a private function; no answer is stored. The clusters are
module constants so the notebooks, the solutions and the tests use the same ones.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.events import (
    THRESHOLD_EVENTS,
    EventsDimensions,
    EventsModel,
    get_events,
    lru_forgets,
    simulate,
)
from kscale_lab.exercises import check_choice, check_number

MODEL = EventsModel()

#: Q1–Q3: one crash-looping pod on one node, restarting every 10 s for 20 minutes; an hour.
Q1_CLUSTER = EventsDimensions(workload="crashloop", nodes=1, hot_objects_per_node=1.0,
                              repeat_period_s=10, hot_loop_s=1200, churn_pods_per_s=0.0)
#: Q4: one pod failing its sandbox every 90 s for 40 minutes.
Q4_CLUSTER = EventsDimensions(workload="sandbox", nodes=1, hot_objects_per_node=1.0,
                              repeat_period_s=90, hot_loop_s=2400, churn_pods_per_s=0.0)
#: Q5: ReplicaSets stuck on a quota, retried every 30 s, reported by one controller; the
#: question is how many of them.
Q5_CLUSTER = EventsDimensions(workload="quota", nodes=1000, hot_objects_per_node=1.0,
                              repeat_period_s=30, churn_pods_per_s=0.0)
#: Q6: churn alone: 3,000 nodes, 12 pods/s, no hot objects.
Q6_CLUSTER = EventsDimensions(workload="sandbox", nodes=3000, hot_objects_per_node=0.0,
                              churn_pods_per_s=12.0)
#: Q7: one pod per node failing its sandbox every 20 s for the whole hour, on 5,000 nodes;
#: the question is the churn.
Q7_CLUSTER = EventsDimensions(workload="sandbox", nodes=5000, hot_objects_per_node=1.0,
                              repeat_period_s=20, hot_loop_s=3600)


def _q1_expected() -> float:
    """Event requests (POST + PATCH) of the old API for :data:`Q1_CLUSTER` over the run."""
    return MODEL.naive(Q1_CLUSTER).api_calls_per_s * Q1_CLUSTER.horizon_s


def q1(answer: Any) -> bool:
    """One crash-looping pod (4 events per restart, every 10 s, 20 min): how many requests
    does the old API send in the hour?"""
    return check_number(
        answer, _q1_expected(), rel_tol=0.02,
        right="the spam filter lets a burst through, then one event per token, one token "
              "every 5 minutes, whatever the pod does: the requests hardly depend on how hard "
              "it loops.",
        hint="each restart reports four events, all exact repeats, so they are PATCHes after "
             "the first of each — and every PATCH needs a token from the pod's one bucket: "
             "25 at first, one more every 300 s.")


def _q2_expected() -> str:
    """Why the BackOff count stops growing while Pulled's keeps growing (Q1's pod)."""
    rows = {r["REASON"]: r["COUNT"] for r in get_events(simulate(Q1_CLUSTER, "naive"))}
    return "bucket" if rows["Pulled"] > rows["BackOff"] else "other"


def q2(answer: Any) -> bool:
    """Why does ``kubectl get events`` show a small count for BackOff but a large one for
    Pulled? ``"message"``, ``"aggregated"``, ``"bucket"`` or ``"evicted"``."""
    return check_choice(
        answer, _q2_expected(), ["message", "aggregated", "bucket", "evicted"],
        right="the spam filter's bucket belongs to the pod, not to a reason; after the burst "
              "each new token goes to the first event that asks, and at every restart the "
              "same event asks first. A warning can starve behind routine Normal events.",
        hint="BackOff's message never changes and one pod's keys fit easily in 4096 entries. "
             "Which stage's state is shared by all four reasons of the pod, and in what "
             "order do they arrive at each restart?")


def _q3_expected() -> float:
    """Event requests of the new API for :data:`Q1_CLUSTER` over the run."""
    return MODEL.improved(Q1_CLUSTER).api_calls_per_s * Q1_CLUSTER.horizon_s


def q3(answer: Any) -> bool:
    """The same pod with the events.k8s.io API: how many requests in the hour?"""
    return check_number(
        answer, _q3_expected(), rel_tol=0.001, abs_tol=0.5,
        right="each reason is its own series: created, turned into a series, closed once "
              "the pod stops. The 30-minute heartbeat only comes for series still open then.",
        hint="four isomorphic series (one per reason). For each: the first occurrence, the "
             "second, then? When does the 6-minute check close a series whose pod stopped at "
             "20 min, and is that before or after the 30-minute heartbeat?")


def _q4_expected() -> int:
    """Rows ``kubectl get events`` lists for :data:`Q4_CLUSTER`'s pod (old API)."""
    return len(get_events(simulate(Q4_CLUSTER, "naive")))


def q4(answer: Any) -> bool:
    """One pod fails its sandbox every 90 s for 40 min (a new message each time): how many
    rows does ``kubectl get events`` show for it with the old API?"""
    return check_number(
        answer, _q4_expected(), rel_tol=0.0, abs_tol=0.5,
        right="90 s apart, fewer than ten distinct messages ever fall within 600 s, so the "
              "aggregator never combines them: every failure is a new Event, and a new row.",
        hint="how many failures fall within any 600 s at this period, and how many distinct "
             "messages does the aggregator need before it combines them? Then count "
             "the spam filter's tokens.")


def _q5_expected() -> int:
    """The fewest stuck ReplicaSets at which the old correlator forgets them between
    retries (bisection on the cluster's objects)."""
    spec = EventsDimensions.spec("nodes")       # one ReplicaSet per node: N = nodes
    lo, hi = int(spec.lo), int(spec.hi)         # lo keeps them, hi forgets them

    def forgets(n: int) -> bool:
        return lru_forgets(Q5_CLUSTER.replace(nodes=n))

    while hi - lo > 1:
        mid = (lo + hi) // 2
        if forgets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def q5(answer: Any) -> bool:
    """From how many ReplicaSets stuck on a quota (all reported by the one replicaset
    controller) does the old API create a new Event on every retry?"""
    return check_number(
        answer, _q5_expected(), rel_tol=0.0, abs_tol=0.5,
        right="past that size every cache entry is evicted before its ReplicaSet retries, so "
              "nothing is aggregated, counted or rate-limited: the one controller writes a "
              "new Event per retry. A cache that fits the workload is all-or-nothing.",
        hint="each ReplicaSet touches its cache entries once per retry, and between two of "
             "its retries every other ReplicaSet does too. How many entries does each of the "
             "correlator's LRU caches hold?")


def _q6_expected() -> str:
    """``"more"``, ``"fewer"`` or ``"same"``: Event objects stored by the new API vs the old
    for :data:`Q6_CLUSTER`."""
    c = MODEL.compare(Q6_CLUSTER)
    a, b = c.naive.event_objects_stored, c.improved.event_objects_stored
    return "same" if a == b else ("more" if b > a else "fewer")


def q6(answer: Any) -> bool:
    """Churn alone, 12 pods/s for an hour: does the new API store more, fewer or the same
    number of Event objects?"""
    return check_choice(
        answer, _q6_expected(), ["more", "fewer", "same"],
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


def _q7_expected() -> float:
    """How much more churn (pods/s) the new API lets :data:`Q7_CLUSTER` take before it
    crosses the 1,000,000-Event threshold."""
    return (threshold_churn(Q7_CLUSTER, "improved") - threshold_churn(Q7_CLUSTER, "naive"))


def q7(answer: Any) -> bool:
    """5,000 nodes, one pod per node failing its sandbox every 20 s all hour: by how many
    pods/s of churn does the new API raise the churn the cluster can take before it stores
    more than 1,000,000 Events after an hour?"""
    return check_number(
        answer, _q7_expected(), rel_tol=0.05,
        right="the series save the failing pods' objects — nine separate messages and a "
              "combined event each become one series — but churn's one-shot events are "
              "the bulk of the objects, and no API change can merge them. The series' big "
              "saving is in requests, not in objects.",
        hint="count the objects each version stores for the failing pods (old: separate "
             "messages until they are combined, then the combined event; new: one series), "
             "then how many Events one pod/s of churn leaves in an hour. The difference in "
             "the first, divided by the second.")
