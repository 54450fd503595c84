"""Chapter 3's model: the ``Cache`` strategy (naive) against the ``Watch`` strategy (improved).

The naive version is the ``Cache`` strategy, or — with ``ttl_controller`` off and
``cache_ttl_s`` 0 — the ``Get`` strategy, which fetches the object at every read: a cache
whose TTL is 0, which is how both the closed form and the SimPy kubelets run it.

Both versions at cluster scale, in closed form (:mod:`~kscale_lab.secrets.polling` and
:mod:`~kscale_lab.secrets.connection`), for every node alike, over the hour after the
kubelets start. The event-by-event version of the same kubelets is
:func:`kscale_lab.secrets.kubelet.simulate`; ``tests/test_secrets.py`` holds the two to each
other where both run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kscale_lab.control_plane.http2 import blocks, tcp_connections_needed
from kscale_lab.control_plane.inflight import erlang_b
from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.secrets.connection import MEAN_WATCH_S, HeartbeatTimeline, heartbeat_timeline
from kscale_lab.secrets.dimensions import HEARTBEAT_PERIOD_S, SecretsDimensions
from kscale_lab.secrets.kubelet import OBJECT_BYTES
from kscale_lab.secrets.polling import NEVER, PollingLoad, cache_strategy

#: How long the lab follows the cluster after its kubelets start.
HORIZON_S = 3600.0
#: How often each referenced object changes (a rotated secret, an edited configmap): once a
#: day, illustrative. It sets only the watch events the improved version delivers.
OBJECT_CHANGES_PER_DAY = 1.0


@dataclass(frozen=True)
class SecretsOutcome(Outcome):
    """What one strategy costs the apiserver, and what it does to the nodes."""

    unique_objects_per_node: int = metric(
        unit="objects", help="Distinct Secrets and ConfigMaps each kubelet needs")
    effective_ttl_s: float | None = metric(
        unit="s", none="not used",
        help="The cache TTL the kubelets use (the TTL controller's by cluster size, or "
             "cache_ttl_s with the controller off; 0: every read fetches); the watch "
             "strategy has none")
    get_requests_per_s: float = metric(
        unit="req/s", help="The kubelets' GETs of Secrets and ConfigMaps (refused ones too)")
    readonly_inflight_share: float = metric(
        unit="", help="Busy read-only seats ÷ max-requests-inflight, on average (the kubelets' "
                      "GETs and everyone else's reads)")
    rejected_per_s: float = metric(
        unit="req/s", help="Read-only requests answered 429 (everyone's: a full pool refuses "
                           "every reader alike)")
    watches_open: float = metric(
        unit="watches", help="Watches of Secrets and ConfigMaps open across the cluster")
    max_streams_per_connection: int = metric(
        unit="streams", help="Long-running streams (watches) on a kubelet's busiest "
                             "HTTP/2 connection")
    tcp_connections_per_node: int = metric(
        unit="connections", help="TCP connections each kubelet opens to the apiserver")
    blocked_nodes: int = metric(
        unit="nodes", help="Nodes whose heartbeats wait behind full HTTP/2 streams")
    notready_nodes: float = metric(
        unit="nodes", help="Nodes marked NotReady at a time, on average over the hour after "
                           "the kubelets start")
    notready_marks_per_node: float = metric(
        unit="marks", help="How often each node is marked NotReady in that hour (expected)")
    longest_heartbeat_gap_s: float = metric(
        unit="s", help="Longest a node's Lease goes unrenewed in that hour (expected)")
    propagation_delay_s: float = metric(
        unit="s", help="From a change to a Secret or ConfigMap until the kubelet has it, "
                       "on average")
    heartbeats: HeartbeatTimeline = field(default=None, repr=False)
    polling: PollingLoad | None = field(default=None, repr=False)


def other_reads(dims: SecretsDimensions) -> tuple[float, float]:
    """``(refused share, busy seats)`` of everyone else's reads alone (no kubelet GETs)."""
    offered = dims.other_reads_per_s * dims.get_latency_s
    b = erlang_b(offered, dims.max_requests_inflight)
    b = 0.0 if b < NEVER else b
    return b, offered * (1 - b)


def api_load(dims: SecretsDimensions, version: Version | str) -> ApiLoad:
    """What the kubelets' secrets and configmaps put on the apiserver, in steady state.

    Naive: GETs (refused ones included) and their 429s. Improved: one watch per object, each
    resumed every 450 s on average (a watch lasts 5–10 min); a node blocked by its stream
    limit keeps only as many watches open as it has streams, and resumes as often as a
    stream frees. Watch events: every change is sent to the one kubelet watching the object
    (:data:`OBJECT_CHANGES_PER_DAY`, :data:`~kscale_lab.secrets.kubelet.OBJECT_BYTES`). No
    writes: the objects exist, and change, whatever the kubelets do.
    """
    model = SecretsModel()
    return model.run(dims, model.version(side_of(version))).load


class SecretsModel(Model[SecretsDimensions, SecretsOutcome]):
    """Kubelet secrets and configmaps: TTL-cache polling (naive) vs one watch per object."""

    key = "secrets"
    chapter = 3
    title = "Kubelet secrets and configmaps"
    dimensions = SecretsDimensions
    versions = (Version("naive", "Cache: GET when the TTL expires"),
                Version("improved", "Watch: one watch per object"))
    figure_class = "kscale_lab.figures.secrets:SecretsFigure"

    def run(self, dims: SecretsDimensions, version: Version) -> SecretsOutcome:
        n, u = dims.nodes, dims.unique_objects_per_node
        streams = dims.http2_max_streams_per_connection
        c = dims.max_requests_inflight
        if version.is_naive:
            poll = cache_strategy(n, dims.pods_per_node, dims.own_per_pod, dims.shared_objects,
                                  ttl_s=dims.ttl_s, sync_period_s=dims.sync_period_s,
                                  get_s=dims.get_latency_s, seats=c,
                                  other_reads_per_s=dims.other_reads_per_s)
            hb = self._heartbeats(dims, 0)
            load = ApiLoad({"GET": poll.get_requests_per_s},
                           rejected_per_s=poll.kubelet_rejected_per_s)
            return SecretsOutcome(
                unique_objects_per_node=u, effective_ttl_s=float(dims.ttl_s),
                get_requests_per_s=poll.get_requests_per_s,
                readonly_inflight_share=poll.busy_seats / c,
                rejected_per_s=poll.rejected_per_s, watches_open=0.0,
                max_streams_per_connection=0,
                tcp_connections_per_node=tcp_connections_needed(1, streams, dims.client),
                blocked_nodes=0, notready_nodes=0.0, notready_marks_per_node=0.0,
                longest_heartbeat_gap_s=hb.longest_gap_s,
                propagation_delay_s=poll.staleness_s, heartbeats=hb, polling=poll, load=load)
        blocked = blocks(u, streams, dims.client)
        held = min(u, streams) if blocked else u
        hb = self._heartbeats(dims, u)
        refused, busy = other_reads(dims)
        changes_per_s = n * u * OBJECT_CHANGES_PER_DAY / 86400
        load = ApiLoad({"WATCH": n * held / MEAN_WATCH_S},
                       watch_events_per_s=changes_per_s,
                       watch_bytes_per_s=changes_per_s * OBJECT_BYTES, watches_open=n * held)
        return SecretsOutcome(
            unique_objects_per_node=u, effective_ttl_s=None, get_requests_per_s=0.0,
            readonly_inflight_share=busy / c, rejected_per_s=dims.other_reads_per_s * refused,
            watches_open=float(n * held), max_streams_per_connection=min(u, streams),
            tcp_connections_per_node=tcp_connections_needed(u + 1, streams, dims.client),
            blocked_nodes=n if blocked else 0, notready_nodes=n * hb.notready_share,
            notready_marks_per_node=hb.notready_marks,
            longest_heartbeat_gap_s=hb.longest_gap_s,
            propagation_delay_s=hb.propagation_delay_s, heartbeats=hb, load=load)

    @staticmethod
    def _heartbeats(dims: SecretsDimensions, watches: int) -> HeartbeatTimeline:
        return heartbeat_timeline(watches, dims.http2_max_streams_per_connection, dims.client,
                                  period_s=HEARTBEAT_PERIOD_S,
                                  grace_period_s=dims.grace_period_s, horizon_s=HORIZON_S)
