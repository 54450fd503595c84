"""Chapter 3's claims: kubelet polling of secrets and configmaps, the watch, the stream trap.

Nothing in chapter 3 is calibrated on a number of the talk. Two constants are illustrative —
how often the kubelet reads a pod's objects (60 s) and how long a GET holds its seat
(10 ms) — so the claim about the apiserver's request queue is *illustrated*; the others
follow from the mechanism and Kubernetes' defaults.
"""

from __future__ import annotations

from kscale_lab.secrets import SecretsDimensions, SecretsModel, secrets_at
from kscale_lab.talk import About, Finding, Shows, claim
from kscale_lab.units import human_seconds

SLIDE = "Kubelet polling configs"
MODEL = SecretsModel()


@claim("secrets-polling", slide=SLIDE,
       says="Kubelet periodically polls secrets/configmaps it needs; can lead to many GET "
            "secret/configmap API calls",
       how="predicted",
       tolerance=Shows("at a fixed TTL the GETs grow in proportion to nodes × objects per node "
                       "(twice the nodes, twice the GETs, within 1 %), and the default "
                       "5,000-node cluster sends over 1,000 GETs a second"))
def polling() -> Finding:
    d = SecretsDimensions(ttl_controller=False, cache_ttl_s=300)
    one = MODEL.naive(d.replace(nodes=2500)).get_requests_per_s
    two = MODEL.naive(d).get_requests_per_s
    shown = abs(two / one - 2) <= 0.02 and two > 1000
    return Finding(shown, f"TTL 300 s, {d.unique_objects_per_node} objects per node: "
                          f"2,500 nodes {one:,.0f} GET/s, 5,000 nodes {two:,.0f} GET/s")


@claim("secrets-seats", slide=SLIDE,
       says="Can eat away significant chunk of apiserver request queue",
       how="illustrated",
       tolerance=Shows("at 2,000 nodes (the TTL controller's 60 s) the kubelets' GETs hold at "
                       "least 10 % of the 400 read-only seats with 10 ms GETs, and with 80 ms "
                       "GETs the pool answers 429 (GET times are illustrative)"))
def seats() -> Finding:
    d = SecretsDimensions(nodes=2000)
    fast = MODEL.naive(d)
    slow = MODEL.naive(d.replace(get_latency_ms=80.0))
    shown = fast.readonly_inflight_share >= 0.10 and slow.rejected_per_s > 0
    return Finding(shown, f"2,000 nodes × {d.unique_objects_per_node} objects, TTL {d.ttl_s} s: "
                          f"{fast.get_requests_per_s:,.0f} GET/s hold "
                          f"{fast.readonly_inflight_share:.0%} of the seats at 10 ms; at 80 ms "
                          f"{slow.readonly_inflight_share:.0%} and {slow.rejected_per_s:,.0f} "
                          f"× 429/s")


@claim("secrets-stopgaps", slide=SLIDE,
       says="Caching and reducing poll frequency, used as stopgaps",
       how="predicted",
       tolerance=Shows("at 5,000 nodes the TTL controller's 300 s instead of the kubelet's "
                       "default 60 s more than halves the GETs and at least doubles how long "
                       "a changed secret takes to reach the node"))
def stopgaps() -> Finding:
    short = MODEL.naive(SecretsDimensions(ttl_controller=False, cache_ttl_s=60))
    long = MODEL.naive(SecretsDimensions())                       # TTL controller: 300 s
    shown = (long.get_requests_per_s < short.get_requests_per_s / 2
             and long.propagation_delay_s >= 2 * short.propagation_delay_s)
    return Finding(shown, f"TTL 60 s: {short.get_requests_per_s:,.0f} GET/s, a change waits "
                          f"{human_seconds(short.propagation_delay_s)}; TTL 300 s: "
                          f"{long.get_requests_per_s:,.0f} GET/s, "
                          f"{human_seconds(long.propagation_delay_s)}")


@claim("secrets-watch", slide=SLIDE,
       says="Switch kubelet to watch individual secrets/configmaps",
       how="predicted",
       tolerance=Shows("with one watch per object (Go ≥ 1.12) at 5,000 nodes: no GETs, no "
                       "read-only seats, a change reaches the kubelet within a second, and one "
                       "open watch per object per node"))
def watch() -> Finding:
    d = SecretsDimensions()
    out = MODEL.improved(d)
    shown = (out.get_requests_per_s == 0 and out.readonly_inflight_share == 0
             and out.propagation_delay_s < 1
             and out.watches_open == d.nodes * d.unique_objects_per_node)
    arrives = ("at once" if out.propagation_delay_s == 0 else
               f"after {human_seconds(out.propagation_delay_s)} on average")
    return Finding(shown, f"0 GET/s; {out.watches_open:,.0f} watches open; a change arrives "
                          f"{arrives}; "
                          f"{out.load.requests_per_s:,.0f} WATCH requests/s resume them")


def first_notready_objects(client: str = "go1.10") -> int | None:
    """The fewest objects per kubelet (one per pod) whose node is marked NotReady in the hour
    with the kubelet built with ``client``; None if not even 500 are enough. By bisection."""
    def notready(objects: int) -> bool:
        d = SecretsDimensions(pods_per_node=objects, objects_per_pod=1, shared_share=0.0,
                              go_client=client)
        return MODEL.improved(d).notready_marks_per_node > 0.5
    lo, hi = 0, SecretsDimensions.spec("pods_per_node").hi
    if not notready(hi):
        return None
    while hi - lo > 1:                       # invariant: lo is not enough, hi is
        mid = (lo + hi) // 2
        if notready(mid):
            hi = mid
        else:
            lo = mid
    return hi


@claim("secrets-streams", slide="Kubelet polling configs (note)",
       says="The bug is with kubelet TCP streams exhaustion if there are many (~250) "
            "configmaps/secrets needed by it",
       how="predicted",
       tolerance=About(250, 0.1, "objects"))
def streams() -> Finding:
    edge = first_notready_objects("go1.10")
    never = first_notready_objects("go1.12")
    return Finding(float(edge) if edge is not None else None,
                   f"built with Go 1.10–1.11 (250 streams per connection), a kubelet watching "
                   f"{edge} objects has its node marked NotReady, one fewer does not; built "
                   f"with Go 1.12: {'never, up to 500' if never is None else never}")


@claim("secrets-versions", slide=SLIDE,
       says="Enabled till 1.12.6 / 1.13.4 (disabled from 1.12.7 / 1.13.5 due to golang bug); "
            "enabled from 1.14.2 (with bug fixed by updating golang to 1.12)",
       how="illustrated",
       tolerance=Shows("with the default 331 objects per node, 1.13.4's kubelet leaves nodes "
                       "NotReady, 1.13.5's and 1.14.2's do not (the release table is the "
                       "talk's, built in)"))
def versions() -> Finding:
    d = SecretsDimensions()
    seen = {}
    for version in ("1.13.4", "1.13.5", "1.14.2"):
        r = secrets_at(d, version)
        seen[version] = (r, MODEL.run(r.dims, MODEL.version(r.side)).notready_nodes)
    shown = seen["1.13.4"][1] > 0 and seen["1.13.5"][1] == 0 and seen["1.14.2"][1] == 0
    parts = [f"{v}: {r.strategy}" + (f" with {r.dims.go_client}" if r.side == "improved"
                                      else "") + f", {n:,.0f} nodes NotReady on average"
             for v, (r, n) in seen.items()]
    return Finding(shown, "; ".join(parts))
