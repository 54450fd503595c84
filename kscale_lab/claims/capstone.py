"""Chapter 9's claims: the talk's statements that need every chapter at once, or a release.

Every claim here is *illustrated*, not predicted: the release table (:mod:`kscale_lab.versions`)
is the facts file's, so a claim about which release has a fix shows its consequence in the
models rather than testing it; and the capstone's clusters and its seat time are chosen, so
"different clusters, different bottlenecks" is a demonstration of the mechanism, not evidence
of a number.

:data:`NOT_MODELLED` lists what the talk says that no chapter registers as a claim, and why;
the "Reproducing the talk" page shows it under the table. Every statement of the talk is
covered by a claim or by one of these rows: :mod:`kscale_lab.claims.slides` lists them all.
"""

from __future__ import annotations

import html

from kscale_lab.capstone import CapstoneDimensions, assess
from kscale_lab.capstone.tour import SAME_NODES, room
from kscale_lab.talk import Finding, Shows, claim
from kscale_lab.versions import TODAY

__all__ = ["BOUNDS_CLUSTER", "BOUNDS_DIMENSIONS", "NOT_MODELLED", "not_modelled_html"]

#: The cluster whose room to grow is compared between 1.11 and today: 1,500 nodes of 100 pods
#: (dense, so that polling secrets matters), otherwise the tour's defaults; nothing breaks
#: there on 1.11.
BOUNDS_CLUSTER = CapstoneDimensions(version="1.11", nodes=1500, pods_per_node=100)
#: The talk's "bounds" this claim checks (# Backends/service is chapter 8's claim).
BOUNDS_DIMENSIONS = {"nodes": "# Nodes", "objects_per_pod": "# Secrets",
                     "services": "# Services"}


@claim("capstone-multidimensional", slide="Background",
       says="Usage patterns exposed some newer bottlenecks; scalability is a multi-dimensional "
            "problem",
       how="illustrated",
       tolerance=Shows("two clusters of 5,000 nodes on the same release (today's), different "
                       "only in their workload, whose first bottlenecks are different chapters"))
def multidimensional() -> Finding:
    firsts = {name: assess(d, d.version).first_bottleneck for name, d in SAME_NODES.items()}
    shown = None not in firsts.values() and len(set(firsts.values())) == len(firsts)
    return Finding(shown, "; ".join(f"{name}: {first or 'nothing'} bites first"
                                    for name, first in firsts.items()) + f" (both on {TODAY})")


@claim("capstone-bounds", slide="Background",
       says="Started working on improving various bounds: # Nodes, # Secrets, # Services",
       how="illustrated",
       tolerance=Shows("a 1,500-node cluster of 100 pods per node can grow further before "
                       "anything breaks on "
                       "today's release than on 1.11, along each of nodes, secrets per pod and "
                       "services"))
def bounds() -> Finding:
    parts, shown = [], True
    for dim, name in BOUNDS_DIMENSIONS.items():
        old = room(BOUNDS_CLUSTER, dim, "1.11")
        new = room(BOUNDS_CLUSTER, dim, TODAY)
        shown &= (new.largest or 0) > (old.largest or 0)
        parts.append(f"{name}: up to {old.largest:,g} ({old.first or 'nothing breaks'}) on 1.11, "
                     f"{new.largest:,g} ({new.first or 'nothing breaks'}) on {TODAY}")
    churn_old = room(BOUNDS_CLUSTER, "pod_churn", "1.11").largest
    churn_new = room(BOUNDS_CLUSTER, "pod_churn", TODAY).largest
    parts.append(f"pod churn: up to {churn_old:,g} and {churn_new:,g} pods/s (the Events "
                 "threshold binds on both unless the new Event API is assumed)")
    return Finding(shown, "; ".join(parts))


@claim("capstone-lease-release", slide="Too many node revisions",
       says="Feature availability: 1.13 (alpha), 1.14 (beta)", how="illustrated",
       tolerance=Shows("at 5,000 nodes the heartbeats are past etcd's quota on 1.13 (Lease "
                       "alpha, off by default) and within it on 1.14 (beta, on by default), "
                       "every other dimension the same"))
def lease_release() -> Finding:
    d = CapstoneDimensions(nodes=5000)
    a, b = assess(d, "1.13").by_key("heartbeats"), assess(d, "1.14").by_key("heartbeats")
    return Finding(a.broken and not b.broken,
                   f"heartbeats' etcd demand ÷ quota: {a.ratio:.2f} on 1.13 ({a.setting}), "
                   f"{b.ratio:.2f} on 1.14 ({b.setting})")


@claim("capstone-ipvs-release", slide="Iptables performance",
       says="IPVS gives very high scale for load-balancing; feature availability: 1.11 (GA)",
       how="illustrated",
       tolerance=Shows("on 1.11, with the thresholds' 10,000 services of 15 backends, "
                       "kube-proxy is past its limit in iptables mode and within it in IPVS "
                       "mode (IPVS's cost per change is illustrative in chapter 4)"))
def ipvs_release() -> Finding:
    d = CapstoneDimensions(version="1.11", services=10_000, backends_per_service=15,
                           namespaces=1000)
    a = assess(d, "1.11").by_key("kube-proxy")
    b = assess(d.replace(proxy_mode="ipvs"), "1.11").by_key("kube-proxy")
    return Finding(a.broken and not b.broken,
                   f"syncing asked for per second: {a.ratio:.2f} s with iptables "
                   f"({a.setting}), {b.ratio:.2g} s with IPVS")


@claim("capstone-bookmarks-release", slide="Watch restart cost",
       says="Feature availability: 1.15 (alpha)", how="illustrated",
       tolerance=Shows("a 5,000-node cluster's kubelet pod watches replay their whole "
                       "backlog at each restart on 1.15 (alpha: taken as off by default, "
                       "unverified) and far fewer events from 1.16, when bookmarks are on"))
def bookmarks_release() -> Finding:
    d = CapstoneDimensions(nodes=5000)
    a, b = (assess(d, v).outcomes["watch"] for v in ("1.15", "1.16"))
    return Finding(b.init_events_per_restart < a.init_events_per_restart / 10,
                   f"events replayed per restart: {a.init_events_per_restart:,.0f} on 1.15, "
                   f"{b.init_events_per_restart:,.2g} on 1.16 "
                   f"({a.init_events_per_s:,.0f} vs {b.init_events_per_s:,.2g} a second)")


#: What the talk says that no chapter registers as a claim: ``(slide, statement, why)``.
NOT_MODELLED: tuple[tuple[str, str, str], ...] = (
    ("Background", "Kubernetes started scaling to large clusters a while ago; bigger "
     "clusters gained popularity", "history, not a claim about a mechanism"),
    ("Background", "Bounds being improved: # Namespaces, # Pods/node",
     "thresholds only (chapter 1); no chapter models a mechanism that a namespace count or "
     "a node's pod count breaks"),
    ("Background", "Bounds being improved: Pod Churn",
     "no claim checks the bound: chapters 5 and 6 model what churn costs (scheduling, "
     "Events), and the capstone's 'bounds' claim prints the churn a cluster can take on 1.11 "
     "and today, but the Events threshold binds on both unless the new Event API is assumed"),
    ("Background", "Bounds being improved: # Net LBs, # Ingresses",
     "no chapter models load balancers or ingresses"),
    ("Iptables performance", "IPVS: missing some functionality and still to mature",
     "a statement about features, not performance; the course models IPVS's speed only"),
    ("Scheduling performance", "Pod scheduling latency improved",
     "covered by chapter 5's claims on the fixes' throughput; its latency is the capstone's "
     "scheduler headroom, not a separate claim with a number"),
    ("Peep into the future", "Allow for higher pod density",
     "a plan: the kubelet's own per-pod work, which limits density, is not modelled; "
     "chapter 8 lists what the course's sources say changed in a node's per-pod costs"),
    ("Peep into the future", "Rethink affinity/anti-affinity",
     "a plan: chapter 5 models the scheduler up to 1.14's fixes (and the 1.17 zone label); "
     "how the rethink turned out is not in the course's sources"),
    ("Peep into the future", "Watch for arbitrary fields",
     "a plan: no chapter models field selectors; chapter 8 says briefly what a watch can "
     "filter on, built-in and custom resources"),
)


def not_modelled_html() -> str:
    """:data:`NOT_MODELLED` as an HTML table (for the "Reproducing the talk" page)."""
    rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td>"
                   f"<td>{html.escape(c)}</td></tr>" for a, b, c in NOT_MODELLED)
    return ("<table class='kscale-claims table'><thead><tr><th>slide</th>"
            "<th>the talk says</th><th>why no chapter registers it</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")
