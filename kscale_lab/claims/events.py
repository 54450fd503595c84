"""Chapter 6's claims: events filling etcd and overloading the apiserver; the series.

No constant of the chapter's model is calibrated: the correlator's and the series' rules and
numbers come from the facts file, the object sizes are measured by serializing Events, and
the workloads (what loops, how often) are illustrative settings stated in each claim.
"""

from __future__ import annotations

from kscale_lab.events import THRESHOLD_EVENTS, EventsDimensions, EventsModel, get_events, simulate
from kscale_lab.talk import Finding, Shows, claim

SLIDE = "Events overload"

#: A deployment per node stuck on a quota, retried every 10 s for the whole hour: one
#: replicaset controller reports 5,000 ReplicaSets, more than its caches hold.
QUOTA = EventsDimensions(workload="quota", nodes=5000, hot_objects_per_node=1.0,
                         repeat_period_s=10, hot_loop_s=3600, churn_pods_per_s=0.0)
#: The talk's example on every node: one pod per node failing to get its sandbox, every 20 s.
SANDBOX = EventsDimensions(workload="sandbox", nodes=5000, hot_objects_per_node=1.0,
                           repeat_period_s=20, churn_pods_per_s=0.0)
#: Toy scale: one pod, one node, no churn.
TOY = EventsDimensions(workload="sandbox", nodes=1, hot_objects_per_node=1.0,
                       repeat_period_s=20, hot_loop_s=1800, churn_pods_per_s=0.0, horizon_s=3600)


@claim("events", slide=SLIDE, says="Events filling up etcd", how="predicted",
       tolerance=Shows("5,000 ReplicaSets stuck on a quota, retried every 10 s for an hour "
                       "(no churn): the old API stores more than the 1,000,000-Event "
                       "threshold, the new API less"))
def filling_etcd() -> Finding:
    c = EventsModel().compare(QUOTA)
    a, b = c.naive.event_objects_stored, c.improved.event_objects_stored
    return Finding(a > THRESHOLD_EVENTS > b,
                   f"old API {a:,} Event objects after an hour (the controller's 4096-entry "
                   f"caches forget every ReplicaSet between retries: a new Event each time); "
                   f"new API {b:,}")


@claim("events-apiserver", slide=SLIDE, says="Events overloading the apiserver",
       how="predicted",
       tolerance=Shows("one pod per node failing its sandbox every 20 s on 5,000 nodes: the "
                       "old API sends at least twice the Event requests of the new, averaged "
                       "over the hour. (A first statement also asked it of the busiest minute; "
                       "the model does not show that — in the first minute every failure is "
                       "new in both APIs — and the busiest minutes are printed for that)"))
def overloading_apiserver() -> Finding:
    c = EventsModel().compare(SANDBOX)
    a, b = c.naive, c.improved
    return Finding(a.api_calls_per_s >= 2 * b.api_calls_per_s,
                   f"old API {a.api_calls_per_s:.1f} req/s on average, "
                   f"{a.peak_api_calls_per_s:.0f} in its busiest minute; new API "
                   f"{b.api_calls_per_s:.1f} and {b.peak_api_calls_per_s:.0f}")


@claim("events-usability", slide=SLIDE, says="Poor usability (more of UX problem)",
       how="illustrated",
       tolerance=Shows("one pod failing its sandbox every 20 s for 30 min: kubectl get events "
                       "lists several rows for the one problem with the old API (separate "
                       "messages, then a combined event), one row with the new"))
def usability() -> Finding:
    rows = {side: get_events(simulate(TOY, side)) for side in ("naive", "improved")}
    a, b = len(rows["naive"]), len(rows["improved"])
    combined = sum(r["MESSAGE"].startswith("(combined") for r in rows["naive"])
    return Finding(a > 1 and b == 1,
                   f"old API: {a} rows ({combined} combined), new API: {b} row with count "
                   f"{rows['improved'][0]['COUNT']}")


@claim("events-isomorphic", slide=SLIDE,
       says="Concept of isomorphic Events: create the object, start a series, update the "
            "client-side cache, refresh the TTL after 30 min, patch and close the series",
       how="illustrated",
       tolerance=Shows("one pod failing every 20 s for 30 min: a POST, a series PATCH, a "
                       "30-minute heartbeat and a closing PATCH, nothing else (the rules are "
                       "built in: this shows them, it does not test them)"))
def isomorphic() -> Finding:
    sim = simulate(TOY, "improved")
    why = [c.why for c in sim.calls]
    return Finding(why == ["new", "series", "heartbeat", "close"],
                   f"{len(sim.marks)} occurrences → requests: {', '.join(why)}")
