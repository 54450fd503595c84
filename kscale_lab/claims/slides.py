"""The talk, statement by statement: what covers each one on the "Reproducing the talk" page.

SIG Scalability's 2019 slides make about eighty statements: problems, fixes, releases, the
dimensions that suffer, plans. Each one must be covered in one of two ways:

* by one or more **claims** (:mod:`kscale_lab.talk`), which run a chapter's model and check
  the statement against a tolerance stated beforehand; or
* by a row of :data:`~kscale_lab.claims.capstone.NOT_MODELLED`, which says why no chapter
  checks it (history, a plan, a dimension no chapter models).

:data:`STATEMENTS` lists them in the talk's order, each quoting the slide's words (a bullet
and its sub-bullets may share one statement). A claim often quotes a neighbouring line: the
slide's "Split node status updates from heartbeat updates" is what chapter 2's Lease claim
checks, since the Lease carries the heartbeat and the NodeStatus only the rare report.
:func:`problems` finds every statement covered by neither, every claim key nobody registers
and every ``NOT_MODELLED`` row no statement points to; the tests require it to find none.

The slides' pictures — the Lease and Node objects, the example Event, the series and
bookmark timelines — are listed as statements too, with the claims that check what they show.

>>> [s.claims for s in STATEMENTS if s.says == "Split node objects from heartbeats"]
[('lease',)]
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kscale_lab.claims.capstone import NOT_MODELLED

__all__ = ["STATEMENTS", "Statement", "coverage", "coverage_html", "problems"]


@dataclass(frozen=True)
class Statement:
    """One statement of the talk and what covers it.

    Attributes
    ----------
    slide : str
        The slide's title, as the talk writes it.
    says : str
        The slide's words (whitespace aside, as in the talk).
    claims : tuple of str
        Keys of the registered claims that check it (empty if none does).
    not_modelled : str
        The ``statement`` of the :data:`NOT_MODELLED` row that says why no claim checks it
        (empty if a claim does).
    """

    slide: str
    says: str
    claims: tuple[str, ...] = ()
    not_modelled: str = ""


_NODES = "Too many node revisions"
_SECRETS = "Kubelet polling configs"
_IPTABLES = "Iptables performance"
_SCHEDULER = "Scheduling performance"
_EVENTS = "Events overload"
_WATCH = "Watch restart cost"
_FUTURE = "Peep into the future"

#: Every statement of the talk, in its order, with the claims or the ``NOT_MODELLED`` row
#: that cover it.
STATEMENTS: tuple[Statement, ...] = (
    # Background
    Statement("Background", "Kubernetes started scaling to large clusters a while ago",
              not_modelled="Kubernetes started scaling to large clusters a while ago; bigger "
                           "clusters gained popularity"),
    Statement("Background", "Bigger clusters gained popularity",
              not_modelled="Kubernetes started scaling to large clusters a while ago; bigger "
                           "clusters gained popularity"),
    Statement("Background", "Usage patterns exposed some newer bottlenecks",
              claims=("capstone-multidimensional",)),
    Statement("Background", "We moved to scalability definition 2.0, “Scalability is a "
              "multi-dimensional problem”", claims=("envelope", "capstone-multidimensional")),
    Statement("Background", "Started working on improving various bounds: # Nodes",
              claims=("capstone-bounds",)),
    Statement("Background", "Started working on improving various bounds: # Namespaces",
              not_modelled="Bounds being improved: # Namespaces, # Pods/node"),
    Statement("Background", "Started working on improving various bounds: Pod Churn",
              not_modelled="Bounds being improved: Pod Churn"),
    Statement("Background", "Started working on improving various bounds: # Pods/node",
              not_modelled="Bounds being improved: # Namespaces, # Pods/node"),
    Statement("Background", "Started working on improving various bounds: # Services",
              claims=("capstone-bounds",)),
    Statement("Background", "Started working on improving various bounds: # Secrets",
              claims=("capstone-bounds",)),
    Statement("Background", "Started working on improving various bounds: # Backends/service",
              claims=("backends-bound",)),
    Statement("Background", "Started working on improving various bounds: # Net LBs",
              not_modelled="Bounds being improved: # Net LBs, # Ingresses"),
    Statement("Background", "Started working on improving various bounds: # Ingresses",
              not_modelled="Bounds being improved: # Net LBs, # Ingresses"),
    # Too many node revisions (chapter 2)
    Statement(_NODES, "Too many node revisions in large clusters due to node heartbeats",
              claims=("nospace",)),
    Statement(_NODES, "Made worse if too many images or volumes on the node",
              claims=("images",)),
    Statement(_NODES, "Etcd disk fills up, causing NoSpace alarm", claims=("nospace",)),
    Statement(_NODES, "Writes can’t happen anymore", claims=("writes-stop",)),
    Statement(_NODES, "Dimensions that suffer: #Nodes #Images/node #Volumes/node",
              claims=("nospace", "images")),
    Statement(_NODES, "Split node objects from heartbeats", claims=("lease",)),
    Statement(_NODES, "Split node status updates from heartbeat updates", claims=("lease",)),
    Statement(_NODES, "Use new lease API to signal node heartbeats", claims=("lease",)),
    Statement(_NODES, "Continue using node status update also as liveness signal",
              claims=("lease",)),
    Statement(_NODES, "[Long-term] Reduce node-status update frequency to 10m",
              claims=("report-10m",)),
    Statement(_NODES, "Feature availability: 1.13 (alpha) 1.14 (beta)",
              claims=("capstone-lease-release",)),
    Statement("Node Lease API", "The node's Lease (holderIdentity, leaseDurationSeconds: 40, "
              "renewTime) beside its node status (conditions, images, volumesInUse, "
              "volumesAttached)", claims=("lease", "images")),
    # Kubelet polling configs (chapter 3)
    Statement(_SECRETS, "Kubelet periodically polls secrets/configmaps it needs",
              claims=("secrets-polling",)),
    Statement(_SECRETS, "Can lead to many GET secret/configmap API calls",
              claims=("secrets-polling",)),
    Statement(_SECRETS, "Can eat away significant chunk of apiserver request queue",
              claims=("secrets-seats",)),
    Statement(_SECRETS, "Caching and reducing poll frequency, used as stopgaps",
              claims=("secrets-stopgaps",)),
    Statement(_SECRETS, "Dimensions that suffer: #Nodes #Secrets/node #Configmaps/node",
              claims=("secrets-polling",)),
    Statement(_SECRETS, "Switch kubelet to watch individual secrets/configmaps",
              claims=("secrets-watch",)),
    Statement(_SECRETS, "Enabled till 1.12.6 (but disabled from 1.12.7 due to golang bug)",
              claims=("secrets-versions",)),
    Statement(_SECRETS, "Enabled till 1.13.4 (but disabled from 1.13.5 due to golang bug)",
              claims=("secrets-versions",)),
    Statement(_SECRETS, "Enabled from 1.14.2 (with bug fixed by updating golang to 1.12)",
              claims=("secrets-versions",)),
    Statement(_SECRETS, "Note: The bug is with kubelet TCP streams exhaustion if there are "
              "many (~250) configmaps/secrets needed by it", claims=("secrets-streams",)),
    # Iptables performance (chapter 4)
    Statement(_IPTABLES, "Iptables maintains a linear list of rules, so: Packet routing can "
              "be slow", claims=("iptables-rules",)),
    Statement(_IPTABLES, "Updating the rules can be slow", claims=("iptables-updates",)),
    Statement(_IPTABLES, "Networking performance affected with number/size of services",
              claims=("iptables-rules", "iptables-updates")),
    Statement(_IPTABLES, "Dimensions that suffer: #Services #Pods/services",
              claims=("iptables-rules", "iptables-updates")),
    Statement(_IPTABLES, "IPVS as an alternative to iptables for kube-proxy", claims=("ipvs",)),
    Statement(_IPTABLES, "IPVS uses hash tables, much more efficient than linear list",
              claims=("ipvs",)),
    Statement(_IPTABLES, "Gives very high scale for load-balancing",
              claims=("capstone-ipvs-release",)),
    Statement(_IPTABLES, "Missing some functionality and still to mature",
              not_modelled="IPVS: missing some functionality and still to mature"),
    Statement(_IPTABLES, "Feature availability: 1.11 (GA)", claims=("capstone-ipvs-release",)),
    # Scheduling performance (chapter 5)
    Statement(_SCHEDULER, "Scheduling throughput is low on large clusters: ~90/s in 2k-node "
              "cluster", claims=("scheduler-2000",)),
    Statement(_SCHEDULER, "~30/s in 5k-node cluster", claims=("scheduler-5000",)),
    Statement(_SCHEDULER, "Scheduling throughput is very low when using pod anti-affinity: "
              "< 5 pods/min in 5k-node cluster", claims=("anti-affinity",)),
    Statement(_SCHEDULER, "Dimensions that suffer: Pod churn #Nodes",
              claims=("scheduler-2000", "scheduler-5000")),
    Statement(_SCHEDULER, "Score only a percentage of nodes that were found feasible",
              claims=("scheduler-fixes",)),
    Statement(_SCHEDULER, "Improvement on affinity computation", claims=("scheduler-fixes",)),
    Statement(_SCHEDULER, "Pod scheduling Latency improved",
              not_modelled="Pod scheduling latency improved"),
    Statement(_SCHEDULER, "improving the way we snapshot scheduler’s cache",
              claims=("scheduler-fixes",)),
    Statement(_SCHEDULER, "Feature availability: scoring/affinity improvements in 1.12 cache "
              "snapshot improvements in 1.14", claims=("scheduler-fixes",)),
    # Events overload (chapter 6)
    Statement(_EVENTS, "Multiple scalability issues over the time",
              claims=("events", "events-apiserver")),
    Statement(_EVENTS, "Events filling up etcd", claims=("events",)),
    Statement(_EVENTS, "Events overloading the apiserver", claims=("events-apiserver",)),
    Statement(_EVENTS, "Poor usability (more of UX problem)", claims=("events-usability",)),
    Statement(_EVENTS, "Dimensions that suffer: #API calls #Nodes Pod churn",
              claims=("events-apiserver",)),
    Statement(_EVENTS, "New Event API", claims=("events", "events-apiserver")),
    Statement(_EVENTS, "New deduplication logic that makes use of the new API",
              claims=("events-isomorphic",)),
    Statement(_EVENTS, "Concept of isomorphic Events", claims=("events-isomorphic",)),
    Statement(_EVENTS, "Avoid aggregation using an Event object",
              claims=("events-isomorphic", "events-usability")),
    Statement(_EVENTS, "An Event's Reporting controller, Reporting Instance, Regarding, "
              "Related, Type, Action, Reason (the slide's example: Kubelet, node-foo, pod-bar, "
              "daemonset-foo, Warning, FailedCreatePodSandBox, cannotAssignIP)",
              claims=("events-isomorphic",)),
    Statement(_EVENTS, "Create new event object; start event-series; update client-side "
              "cache; refresh event object TTL after 30 mins; patch event object & close the "
              "series", claims=("events-isomorphic",)),
    # Watch restart cost (chapter 7)
    Statement(_WATCH, "Watch restart overloads apiserver if ResourceVersion is stale",
              claims=("watch-overload",)),
    Statement(_WATCH, "Users tend to get the famous “watch of v1.Foo ended with: too old "
              "resource version”", claims=("watch-too-old",)),
    Statement(_WATCH, "Dimensions that suffer: #Watches #API calls", claims=("watch-overload",)),
    Statement(_WATCH, "Introduces a new Event type watch called “Bookmark”",
              claims=("watch-bookmark-2s", "watch-too-old")),
    Statement(_WATCH, "Tells client which resourceVersion watch has processed till",
              claims=("watch-too-old", "watch-bookmarks")),
    Statement(_WATCH, "Clients need to opt-in to receive bookmarks (backward compat)",
              claims=("watch-bookmark-2s",)),
    Statement(_WATCH, "If opted in, they get bookmark 2s before watch timeout",
              claims=("watch-bookmark-2s",)),
    Statement(_WATCH, "Initial testing shows 40x decrease in wasteful event processing",
              claims=("watch-bookmarks",)),
    Statement(_WATCH, "Feature availability: 1.15 (alpha)",
              claims=("capstone-bookmarks-release",)),
    Statement(_WATCH, "List; watch (Rv = X) with AllowWatchBookMark = true; Bookmark (Rv = Y) "
              "at (timeout - 2)s; watch (Rv = Y) re-established at the timeout",
              claims=("watch-bookmark-2s",)),
    # Peep into the future (chapter 8)
    Statement(_FUTURE, "New Endpoints API", claims=("endpoints-api",)),
    Statement(_FUTURE, "Allow for higher pod density",
              not_modelled="Allow for higher pod density"),
    Statement(_FUTURE, "Rethink affinity/anti-affinity",
              not_modelled="Rethink affinity/anti-affinity"),
    Statement(_FUTURE, "Watch for arbitrary fields", not_modelled="Watch for arbitrary fields"),
)


def problems(statements: tuple[Statement, ...] = STATEMENTS,
             claim_keys: set[str] | None = None,
             not_modelled: tuple[tuple[str, str, str], ...] = NOT_MODELLED) -> list[str]:
    """Everything that leaves a statement uncovered, in words (an empty list: all covered).

    Parameters
    ----------
    statements : tuple of Statement
        The talk's statements (:data:`STATEMENTS` by default).
    claim_keys : set of str, optional
        Keys of the registered, written claims (by default read from :mod:`kscale_lab.talk`).
    not_modelled : tuple of (slide, statement, why)
        The rows that say why no claim checks a statement (:data:`NOT_MODELLED`).

    Returns
    -------
    list of str
        One line per problem: a statement covered by nothing, a claim key nobody registers,
        a ``NOT_MODELLED`` row that does not exist or that no statement points to.
    """
    if claim_keys is None:
        from kscale_lab.talk import claims
        claim_keys = {c.key for _, c in claims() if not c.planned}
    rows = {statement for _, statement, _ in not_modelled}
    out = []
    for s in statements:
        if not s.claims and not s.not_modelled:
            out.append(f"{s.slide}: {s.says!r} is covered by no claim and no NOT_MODELLED row")
        out += [f"{s.slide}: {s.says!r} names claim {k!r}, which no chapter registers"
                for k in s.claims if k not in claim_keys]
        if s.not_modelled and s.not_modelled not in rows:
            out.append(f"{s.slide}: {s.says!r} names NOT_MODELLED row {s.not_modelled!r}, "
                       "which does not exist")
    named = {s.not_modelled for s in statements}
    out += [f"NOT_MODELLED row {r!r} covers no statement of the talk" for r in sorted(rows - named)]
    return out


def coverage() -> list[dict[str, str]]:
    """One row per statement: its slide, its words, and what covers it (the claims, with
    their chapter and what they quote, or the reason none does)."""
    from kscale_lab.talk import claims

    by_key = {c.key: (n, c) for n, c in claims()}
    why = {statement: reason for _, statement, reason in NOT_MODELLED}
    rows = []
    for s in STATEMENTS:
        covered = [f"ch. {by_key[k][0]}: “{by_key[k][1].says}”" for k in s.claims]
        if s.not_modelled:
            covered.append(f"not modelled: {why[s.not_modelled]}")
        rows.append({"slide": s.slide, "the talk says": s.says,
                     "checked by (or why not)": " · ".join(covered)})
    return rows


def coverage_html() -> str:
    """:func:`coverage` as an HTML table (for the "Reproducing the talk" page)."""
    rows = coverage()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.values())
                   + "</tr>" for row in rows)
    return (f"<table class='kscale-claims table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
