"""Chapter 2's claims: too many node revisions, and the Lease.

The Node object's size is calibrated on KEP-589's "~20 KB" (a number the talk does not
state); every claim below is then a consequence of the mechanism and Kubernetes' defaults.
"""

from __future__ import annotations

from kscale_lab.heartbeats import NODE_MONITOR_PERIOD_S, HeartbeatDimensions, HeartbeatsModel
from kscale_lab.talk import Finding, Shows, claim
from kscale_lab.units import human_bytes, human_seconds

SLIDE = "Too many node revisions"


@claim("nospace", slide=SLIDE, says="Etcd disk fills up, causing NoSpace alarm",
       how="predicted",
       tolerance=Shows("NOSPACE within one simulated hour at 5,000 nodes with the defaults "
                       "(2 GiB quota, 5-minute compaction, Node objects of KEP-589's "
                       "\"~20 KB\" every 10 s)"))
def nospace() -> Finding:
    c = HeartbeatsModel().compare(HeartbeatDimensions(nodes=5000))
    return Finding(c.naive.nospace_at_s is not None,
                   f"5,000 nodes, {human_bytes(c.naive.node_object_bytes)} Nodes every 10 s "
                   f"write {human_bytes(c.naive.etcd_write_bytes_per_s)}/s; the 2 GiB quota "
                   f"is reached after {human_seconds(c.naive.nospace_at_s)}")


@claim("images", slide=SLIDE, says="Made worse if too many images or volumes on the node",
       how="predicted",
       tolerance=Shows("at 5,000 nodes, NOSPACE comes sooner with 50 images and 20 volumes "
                       "per node than with 5 images and none (or only with the former)"))
def images() -> Finding:
    m = HeartbeatsModel()
    few = m.naive(HeartbeatDimensions(nodes=5000, images_per_node=5, volumes_per_node=0))
    many = m.naive(HeartbeatDimensions(nodes=5000, images_per_node=50, volumes_per_node=20))
    shown = many.nospace_at_s is not None and (few.nospace_at_s is None
                                               or few.nospace_at_s > many.nospace_at_s)
    return Finding(shown, f"5 images, no volumes: {human_bytes(few.node_object_bytes)} Nodes, "
                          f"NOSPACE {human_seconds(few.nospace_at_s)}; 50 images, 20 volumes: "
                          f"{human_bytes(many.node_object_bytes)}, NOSPACE "
                          f"{human_seconds(many.nospace_at_s)}")


@claim("writes-stop", slide=SLIDE, says="Writes can't happen anymore", how="illustrated",
       tolerance=Shows("a node failing after NOSPACE is never marked NotReady (the model "
                       "refuses every write under NOSPACE, as etcd's maintenance guide says; "
                       "this shows the consequence, it does not test it)"))
def writes_stop() -> Finding:
    c = HeartbeatsModel().compare(HeartbeatDimensions(nodes=5000, failed_node_at_s=1800))
    return Finding(c.naive.nospace_at_s is not None and c.naive.notready_detection_s is None,
                   f"NOSPACE at {human_seconds(c.naive.nospace_at_s)}; a node failing at 30 min "
                   "is never marked NotReady: the mark is a write, and every write is refused")


@claim("lease", slide="Node Lease API",
       says="Use new lease API to signal node heartbeats; continue using node status update "
            "also as liveness signal",
       how="predicted",
       tolerance=Shows("with Leases at 5,000 nodes: no NOSPACE within the hour, and a failed "
                       "node marked NotReady within the grace period plus one monitor period "
                       "(40 + 5 s)"))
def lease() -> Finding:
    dims = HeartbeatDimensions(nodes=5000)
    c = HeartbeatsModel().compare(dims)
    detect = c.improved.notready_detection_s
    shown = (c.improved.nospace_at_s is None and detect is not None
             and detect <= dims.grace_period_s + NODE_MONITOR_PERIOD_S)
    return Finding(shown, f"with Leases (report every 1 min) etcd peaks at "
                          f"{human_bytes(c.improved.etcd_peak_db_bytes)}, no NOSPACE; a failed "
                          f"node is marked NotReady after {human_seconds(detect)}")


@claim("report-10m", slide=SLIDE, says="[Long-term] Reduce node-status update frequency to 10m",
       how="predicted",
       tolerance=Shows("with Leases at 5,000 nodes, 10-minute status reports write fewer "
                       "bytes per second than 1-minute reports"))
def report_10m() -> Finding:
    m = HeartbeatsModel()
    a = m.improved(HeartbeatDimensions(status_report_period_s=60))
    b = m.improved(HeartbeatDimensions(status_report_period_s=600))
    return Finding(b.etcd_write_bytes_per_s < a.etcd_write_bytes_per_s,
                   f"report period 1 min → 10 min: {human_bytes(a.etcd_write_bytes_per_s)}/s → "
                   f"{human_bytes(b.etcd_write_bytes_per_s)}/s at 5,000 nodes")
