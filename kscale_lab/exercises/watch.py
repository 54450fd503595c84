"""Self-checks for chapter 7, "Watch restart cost" (``exercises/07-watch``).

Every expected answer is computed here by running the lab (:mod:`kscale_lab.watch`) on the
cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The clusters are
module constants so the notebooks, the solutions and the tests use the same ones; none is the
chapter's own example.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.exercises import check_choice, check_number, scoring
from kscale_lab.watch import WatchDimensions, WatchModel, bookmark_factor

__dir__, score, not_yet = scoring.check_module(__name__)

MODEL = WatchModel()

#: Q1: 3,000 kubelets, one pod watch each, client-go's 5–10 min watch timeouts.
Q1_CLUSTER = WatchDimensions(watchers=3000, selectivity=1 / 3000, events_per_s=40.0,
                             objects=90_000, watch_cache_capacity=150_000)
#: Q2: a kubelet on 800 nodes (selectivity 1/800), a 500-event watch cache, 20 events/s.
Q2_CLUSTER = WatchDimensions(watchers=800, selectivity=1 / 800, events_per_s=20.0,
                             objects=24_000, watch_cache_capacity=500)
#: Q4: bookmarks, 400 events/s, selectivity 1/10,000, the 1.19+ cache's largest size.
Q4_CLUSTER = WatchDimensions(watchers=10_000, selectivity=1 / 10_000, events_per_s=400.0,
                             objects=300_000, watch_cache_capacity=102_400)
#: Q5: 3,000 kubelets with a large cache; the churn doubles from 30 to 60 events/s.
Q5_CLUSTER = WatchDimensions(watchers=3000, selectivity=1 / 3000, events_per_s=30.0,
                             objects=90_000, watch_cache_capacity=150_000)
Q5_DOUBLED = Q5_CLUSTER.replace(events_per_s=60.0)
#: Q6: a watch matching 1 event in 50 on a resource changing 100 times a second.
Q6_CLUSTER = WatchDimensions(watchers=200, selectivity=1 / 50, events_per_s=100.0,
                             objects=5000, watch_cache_capacity=10_000)
#: Q7: 2,000 nodes on 1.14 (no bookmarks), one pod watch per kubelet, 50 pod events/s.
Q7_CLUSTER = WatchDimensions(watchers=2000, selectivity=1 / 2000, events_per_s=50.0,
                             objects=60_000, watch_cache_capacity=100_000)
#: Q7: at most this many relists an hour in the whole cluster.
Q7_RELISTS_PER_HOUR = 1.0


def q1(answer: Any) -> bool:
    """How many watch restarts per second do 3,000 kubelets' pod watches make?"""
    def expected() -> float:
        return MODEL.naive(Q1_CLUSTER).restarts_per_s

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="every reflector re-opens its watch once per watch, and client-go draws each "
              "timeout uniformly from 5 to 10 minutes. Each restart is a chance to be "
              "answered 410, so this rate multiplies everything else in the chapter.",
        hint="how long does one watch last on average, when its timeout is uniform between "
             "5 and 10 minutes? Divide the watchers by that, in seconds.")


def q2(answer: Any) -> bool:
    """Without bookmarks: the share of a kubelet's restarts answered 410 (a fraction)."""
    def expected() -> float:
        return MODEL.naive(Q2_CLUSTER).too_old_share

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="the kubelet's resourceVersion is its last match; a resume fails when more "
              "events than the buffer holds have passed since then without one of them "
              "matching. Busy clusters make that likely however healthy the kubelet is.",
        hint="the resume fails when none of the last (capacity + 1) events matched the "
             "kubelet's selector. Each matches with probability 1/800, independently. Give a "
             "fraction between 0 and 1.")


def q3(answer: Any) -> bool:
    """Who does the work when a selective watch resumes from a stale resourceVersion?"""
    def expected() -> str:
        return "apiserver"

    return check_choice(
        answer, expected(), ["apiserver", "kubelet", "etcd"],
        right="the replay happens in the shared watch cache: every buffered event since the "
              "stale version runs through the watcher's filter and almost none is sent, or a "
              "relist is served instead. The client that caused it sees a quiet stream.",
        hint="where does the buffer of recent events live, and who runs each event through "
             "the watcher's selector? The client receives only what matches; etcd is watched "
             "once per resource, not once per client.")


def q4(answer: Any) -> bool:
    """With bookmarks: events replayed through the filter per restart (400 events/s, 1/10,000)."""
    def expected() -> float:
        return MODEL.improved(Q4_CLUSTER).init_events_per_restart

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="the resume starts from the bookmark sent 2 s before the timeout, so only the "
              "events of those last seconds are replayed — at most about the churn times the "
              "bookmark's lead, whatever the selector.",
        hint="with bookmarks the watcher's version is at most 2 s old when it resumes. How "
             "many events arrive in 2 s, and how many of them come after its last match "
             "(it matches 1 in 10,000)?")


def q5(answer: Any) -> bool:
    """Predict, then check: the churn doubles (large cache). The bookmark factor …?"""
    def expected() -> str:
        ratio = bookmark_factor(Q5_DOUBLED) / bookmark_factor(Q5_CLUSTER)
        if ratio < 0.7:
            return "halves"
        return "doubles" if ratio > 1.4 else "stays"

    return check_choice(
        answer, expected(), ["halves", "doubles", "stays"],
        right="without bookmarks a restart replays about the events between two matches, "
              "which depends only on the selectivity; with them it replays the events of the "
              "last 2 s, which grow with the churn. The talk's factor is one point on that "
              "curve.",
        hint="work out each side separately: does the naive replay per restart (the events "
             "since the last match) depend on the churn? Does the replay after a bookmark?")


def q6(answer: Any) -> bool:
    """Why do bookmarks barely help a watch that matches 1 event in 50 at 100 events/s?"""
    def expected() -> str:
        improved = MODEL.improved(Q6_CLUSTER)
        if improved.too_old_share > 0.5:
            return "buffer"
        return "fresh" if bookmark_factor(Q6_CLUSTER) < 1.2 else "none"

    return check_choice(
        answer, expected(), ["fresh", "opt-in", "buffer", "none"],
        right="its own matches arrive every half second or so, so its last resourceVersion is "
              "never much older than a bookmark's would be. Bookmarks pay off for watchers "
              "whose matches are rare compared with the bookmark's 2 s.",
        hint="compare how often this watcher matches an event with the bookmark's lead of "
             "2 s. (It did opt in, and this cache holds far more than 2 s of history.)")


def relists_per_hour(capacity: int, dims: WatchDimensions = Q7_CLUSTER) -> float:
    """Relists an hour in ``dims``' cluster (no bookmarks) with a ``capacity``-event cache."""
    return MODEL.naive(dims.replace(watch_cache_capacity=capacity)).relists_per_s * 3600


def q7(answer: Any) -> bool:
    """The smallest watch cache (events) for at most one relist an hour in the whole cluster."""
    def expected() -> int:
        lo, hi = 10, 1_000_000                    # invariant: lo relists too often, hi does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if relists_per_hour(mid) <= Q7_RELISTS_PER_HOUR:
                hi = mid
            else:
                lo = mid
        return hi

    return check_number(
        answer, expected(), rel_tol=0.03,
        right="the 410 share falls geometrically with the capacity, so each doubling of the "
              "buffer squares away most of what is left — but the size you need grows with "
              "the number of nodes twice over: more watchers restarting, each matching less.",
        hint="cluster relists per hour = restarts per second × P(410) × 3600, with P(410) = "
             "(1 − 1/2000)^(capacity + 1). Set that to 1 and solve for the capacity (logs), or "
             "bisect on exercises.watch.relists_per_hour(capacity).")
