"""The talk's claims beside what the lab's models compute (the "Reproducing the talk" page).

Each :class:`Claim` quotes a slide, runs the model that speaks to it, and says whether the
model reproduces it. Nothing here is a stored result: every number is computed when the book
is built. Claims about chapters that are not written yet are listed as such, so the page is
also the course's map of what remains.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from kscale_lab import style
from kscale_lab.envelope import ClusterDimensions, EnvelopeModel
from kscale_lab.heartbeats import HeartbeatDimensions, HeartbeatsModel
from kscale_lab.kube_proxy import KubeProxyDimensions, KubeProxyModel, growth_exponent


@dataclass(frozen=True)
class Finding:
    computed: str          # what the lab computes, in words with numbers
    reproduced: bool | None  # None: no model yet


@dataclass(frozen=True)
class Claim:
    slide: str
    claim: str
    chapter: str
    check: Callable[[], Finding]


def _envelope() -> Finding:
    m = EnvelopeModel()
    c = m.compare(ClusterDimensions(nodes=5000, pods_per_node=40, cores_per_node=16))
    ok = c.naive.within_envelope and not c.improved.within_envelope
    return Finding(f"5,000 nodes × 40 pods/node: #nodes alone says "
                   f"{'supported' if c.naive.within_envelope else 'not supported'}; "
                   f"the envelope says not "
                   f"({c.improved.violations} threshold(s) exceeded, worst "
                   f"{c.improved.worst_dimension} at {c.improved.worst_ratio:.2f}× its limit)", ok)


def _nospace() -> Finding:
    c = HeartbeatsModel().compare(HeartbeatDimensions(nodes=5000))
    ok = c.naive.nospace_at_s is not None
    return Finding(f"5,000 nodes, {style.human_bytes(c.naive.node_object_bytes)} Nodes every 10 s "
                   f"write {style.human_bytes(c.naive.etcd_write_bytes_per_s)}/s; the 2 GiB quota "
                   f"is reached after {style.human_seconds(c.naive.nospace_at_s)}", ok)


def _images() -> Finding:
    m = HeartbeatsModel()
    few = m.naive(HeartbeatDimensions(nodes=5000, images_per_node=5, volumes_per_node=0))
    many = m.naive(HeartbeatDimensions(nodes=5000, images_per_node=50, volumes_per_node=20))
    ok = many.nospace_at_s is not None and (few.nospace_at_s is None
                                            or few.nospace_at_s > many.nospace_at_s)
    return Finding(f"5 images, no volumes: {style.human_bytes(few.node_object_bytes)} Nodes, "
                   f"NOSPACE {style.human_seconds(few.nospace_at_s)}; 50 images, 20 volumes: "
                   f"{style.human_bytes(many.node_object_bytes)}, NOSPACE "
                   f"{style.human_seconds(many.nospace_at_s)}", ok)


def _writes_stop() -> Finding:
    c = HeartbeatsModel().compare(HeartbeatDimensions(nodes=5000, failed_node_at_s=1800))
    ok = c.naive.notready_detection_s is None
    return Finding("a node failing after NOSPACE is never marked NotReady: the mark is a "
                   "write, and every write is refused", ok)


def _lease() -> Finding:
    c = HeartbeatsModel().compare(HeartbeatDimensions(nodes=5000))
    ok = c.improved.nospace_at_s is None and c.improved.notready_detection_s is not None
    return Finding(f"with Leases (report every 1 min) etcd peaks at "
                   f"{style.human_bytes(c.improved.etcd_peak_db_bytes)}, no NOSPACE; a failed "
                   f"node is marked NotReady after {c.improved.notready_detection_s:.0f} s "
                   f"(naive: {c.naive.notready_detection_s:.0f} s)", ok)


def _report_10m() -> Finding:
    m = HeartbeatsModel()
    a = m.improved(HeartbeatDimensions(status_report_period_s=60))
    b = m.improved(HeartbeatDimensions(status_report_period_s=600))
    ok = b.etcd_write_bytes_per_s < a.etcd_write_bytes_per_s
    return Finding(f"report period 1 min → 10 min: {style.human_bytes(a.etcd_write_bytes_per_s)}/s"
                   f" → {style.human_bytes(b.etcd_write_bytes_per_s)}/s at 5,000 nodes", ok)


def _iptables() -> Finding:
    m = KubeProxyModel()
    d = KubeProxyDimensions(services=10_000, backends_per_service=10)
    c = m.compare(d)
    sw = m.sweep(d)
    k_route = growth_exponent(sw["services"], sw["naive"]["rules_per_packet"])
    k_update = growth_exponent(sw["services"], sw["naive"]["update_latency_s"])
    ok = (c.naive.rules_per_packet > 100 * c.improved.rules_per_packet
          and c.naive.update_latency_s > 1000 * c.improved.update_latency_s
          and k_route > 0.9 and k_update > 0.9)
    return Finding(f"10,000 services × 10 backends: iptables evaluates "
                   f"{c.naive.rules_per_packet:,.0f} of {c.naive.rules_total:,} rules for a "
                   f"connection's first packet and restores them all on every endpoint change "
                   f"({c.naive.update_latency_s:.1f} s, illustrative costs); both grow as "
                   f"services^{k_route:.2f} and ^{k_update:.2f}. IPVS examines "
                   f"{c.improved.rules_per_packet:.0f} hash-table entries and applies one "
                   f"change in {c.improved.update_latency_s * 1000:.1f} ms", ok)


def _scheduling() -> Finding:
    from kscale_lab.scheduler import TALK, SchedulerDimensions, SchedulerModel

    m = SchedulerModel()
    at2k = m.naive(SchedulerDimensions(nodes=2000)).pods_per_s
    at5k = m.naive(SchedulerDimensions(nodes=5000)).pods_per_s
    aff = m.naive(SchedulerDimensions(nodes=5000, anti_affinity_fraction=1.0)).pods_per_s
    better = m.improved(SchedulerDimensions(nodes=5000, anti_affinity_fraction=1.0)).pods_per_s
    ok = (abs(at2k / TALK["naive_2000"] - 1) < 0.01 and 0.7 < at5k / TALK["naive_5000"] < 1.3
          and aff * 60 < 5)
    return Finding(f"calibrated on the first point ({at2k:.0f} pods/s at 2,000 nodes, 1.11); "
                   f"predicts {at5k:.0f} pods/s at 5,000 nodes and {aff * 60:.2f} pods/min at "
                   f"5,000 nodes when every pod has anti-affinity (1.12–1.14: "
                   f"{better:.0f} pods/s)", ok)


def _planned(chapter: str) -> Callable[[], Finding]:
    return lambda: Finding(f"not modelled yet: {chapter}", None)


CLAIMS: list[Claim] = [
    Claim("Background", "Scalability is a multi-dimensional problem", "1", _envelope),
    Claim("Too many node revisions", "Etcd disk fills up, causing NoSpace alarm", "2", _nospace),
    Claim("Too many node revisions", "Made worse if too many images or volumes on the node",
          "2", _images),
    Claim("Too many node revisions", "Writes can't happen anymore", "2", _writes_stop),
    Claim("Node Lease API", "Use new lease API to signal node heartbeats; continue using node "
          "status update also as liveness signal", "2", _lease),
    Claim("Too many node revisions", "[Long-term] Reduce node-status update frequency to 10m",
          "2", _report_10m),
    Claim("Kubelet polling configs", "Kubelet TCP streams exhaustion if there are many (~250) "
          "configmaps/secrets", "3", _planned("secret/configmap polling, a later chapter")),
    Claim("Iptables performance", "Packet routing and rule updates are slow with a linear "
          "list; IPVS hash tables scale much further", "4", _iptables),
    Claim("Scheduling performance", "~90 pods/s at 2k nodes, ~30 pods/s at 5k, < 5 pods/min "
          "with pod anti-affinity at 5k", "5", _scheduling),
    Claim("Events overload", "Events filling up etcd and overloading the apiserver", "6",
          _planned("events, a later chapter")),
    Claim("Watch restart cost", "Initial testing shows 40x decrease in wasteful event "
          "processing", "7", _planned("watch bookmarks, a later chapter")),
]


def claims_table() -> list[tuple[str, str, str, str, str]]:
    """One row per claim: slide, claim, chapter, what the lab computes, verdict."""
    rows = []
    for c in CLAIMS:
        f = c.check()
        verdict = {True: "yes", False: "no", None: "—"}[f.reproduced]
        rows.append((c.slide, c.claim, c.chapter, f.computed, verdict))
    return rows


def claims_html() -> str:
    """The claims table as an HTML table (rendered the same in the book and in JupyterLab)."""
    head = ("slide", "the talk says", "ch.", "the lab computes", "reproduced")
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in claims_table())
    th = "".join(f"<th>{h}</th>" for h in head)
    return (f"<table class='kscale-claims table'><thead><tr>{th}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
