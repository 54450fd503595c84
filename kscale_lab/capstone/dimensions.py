"""The capstone's one cluster, and how it becomes every chapter's dimensions.

A reader describes a cluster once — :class:`CapstoneDimensions`: its size, its workload, a
few settings and a Kubernetes release — and :func:`chapter_dimensions` translates it into the
dimensions of each chapter's model, as the release runs it (:func:`kscale_lab.versions.release`).
Each chapter's model has its own dimensions, named and ranged as that chapter needs; the
mappings below are the capstone's, and every one is written down here:

* **envelope** (ch. 1): the cluster's shape as it is; 16 cores per node (so the pods-per-node
  threshold is 110) and 10 deployments per namespace, fixed.
* **heartbeats** (ch. 2): ``nodes``, ``images_per_node``, 5 volumes per node (the chapter's
  calibration point), the etcd quota; the release's report period (1 min to 1.16, 5 min
  from 1.17) and grace period (40 s, 50 s from 1.32). Other objects are left at 0: the
  capstone counts each chapter's own bytes (and adds them, :func:`~.model.main_etcd_bytes`).
  Simulated for 20 minutes: a cluster fills etcd within two compaction intervals or never.
* **secrets** (ch. 3): ``nodes``, ``pods_per_node``, ``objects_per_pod`` (a quarter shared
  by the node's pods, chapter 3's default); the TTL controller's TTL; the seat time as the
  GET latency; the release's strategy and Go client (:func:`~kscale_lab.secrets.secrets_at`)
  and the apiserver's streams per connection.
* **kube-proxy** (ch. 4): ``services``, ``backends_per_service``; the endpoint changes below;
  ``--iptables-min-sync-period`` 1 s (today's default; the talk era's is not in the facts);
  the release's restore mode. The proxy mode is the reader's choice (``proxy_mode``), not
  the release's: iptables is still the default mode.
* **scheduler** (ch. 5): ``nodes``, ``pods_per_node``, ``anti_affinity_fraction``
  (required terms, 10 replicas per deployment), the default client limit (50 qps), and
  ``pod_churn`` as the arrival rate; the release's scheduler.
* **events** (ch. 6): ``nodes``, ``pod_churn``, ``hot_objects_per_node`` looping like the
  talk's example (``FailedCreatePodSandBox`` every 20 s, the whole hour), a separate events
  etcd (an SLO prerequisite), one hour (the events' TTL). The new API is used only where the
  release has ``events.k8s.io/v1`` (1.19) **and** the reader assumes the components use it
  (``new_event_api``): which components did, in which release, is not in the facts file.
* **watch** (ch. 7): one pod watch per kubelet (``watchers = nodes``, selectivity
  ``1 / nodes``), over ``nodes × pods_per_node`` pods (at most 1,000,000, chapter 7's
  range) changing ``pod_churn ×`` :data:`POD_EVENTS_PER_POD` times a second; the talk
  era's pods watch cache (``max(1,000, 50 × nodes)`` events), the dynamic one from 1.19;
  bookmarks from 1.16.
* **endpoints** (ch. 8): every Service with ``backends_per_service`` backends, watched by
  one kube-proxy per node; 100 endpoints per slice; the endpoint changes below; the release
  decides Endpoints or EndpointSlices.

**Endpoint changes.** A pod that starts or stops changes its Service's endpoints only if it
backs one. The capstone takes each pod started as one change (chapter 8's reading of the SLOs'
20 pods/s) times the share of pods that back a Service,
``min(1, services × backends_per_service ÷ pods)`` (each backend one pod).

:meth:`CapstoneDimensions.check` builds every chapter's dimensions, so a cluster one of them
refuses is refused here, with the capstone's own names for the values involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kscale_lab.dimensions import DimensionConflict, Dimensions, choice, dimension, flag, shared
from kscale_lab.versions import RELEASES, TODAY, Release, release

__all__ = ["CHAPTER_FIELDS", "POD_EVENTS_PER_POD", "POD_WATCH_EVENT_BYTES",
           "CapstoneDimensions", "chapter_dimensions", "endpoint_changes_per_s",
           "watch_release"]

#: Writes to a pod over its life that its kubelet's pod watch sees: created, bound to a node,
#: running, ready, terminating, deleted. Illustrative (the facts file gives no count).
POD_EVENTS_PER_POD = 6
#: Bytes of one pod as a watch event: chapter 7's illustrative 2,000 B.
POD_WATCH_EVENT_BYTES = 2000
#: Chapter 7 covers resources of up to 1,000,000 objects; the pods a relist would read are
#: capped there (they set no ratio the capstone uses: relists are rare with this cache).
WATCH_MAX_OBJECTS = 1_000_000
#: Cores per node (fixed): the pods-per-node threshold is min(110, 10 × cores) = 110.
CORES_PER_NODE = 16
#: How long the heartbeats are simulated: two compaction intervals and some margin.
HEARTBEAT_HORIZON_S = 1200


@dataclass(frozen=True)
class CapstoneDimensions(Dimensions):
    """One cluster: its size, its workload, a few settings, and the release it runs.

    The defaults are the tour's second cluster (``book/09-capstone.md``): 5,000 nodes of 30
    pods (150,000 pods, the threshold) on Kubernetes 1.13, with 2,000 services of 10 backends,
    4 secrets and configmaps per pod, and the SLOs' churn of 20 pods/s.
    """

    nodes: int = shared("nodes", 5000, help="One kubelet and one kube-proxy per node")
    version: str = choice(
        "1.13", choices=RELEASES, label="Kubernetes version",
        help="The release the cluster runs (the naive side; the improved side is today's, "
             f"{TODAY}). '1.13' is 1.13.0; 1.12.7, 1.13.5 and 1.14.2 are the patch releases "
             "in which the kubelet's secret watch was switched off and on")
    pods_per_node: int = shared("pods_per_node", 30, help="Pods running on each node")
    namespaces: int = shared("namespaces", 200, help="Pods and services spread evenly over "
                                                     "them (the envelope only)")
    services: int = shared("services", 2000, help="Service ports kube-proxy programs")
    backends_per_service: int = shared("backends_per_service", 10,
                                       help="Each backend is one pod")
    objects_per_pod: int = dimension(
        4, lo=0, hi=50, unit="objects", label="secrets+configmaps/pod",
        help="Secrets and ConfigMaps each pod references; a quarter of them are shared by "
             "every pod of its node (chapter 3)")
    pod_churn: int = dimension(
        20, lo=1, hi=100, unit="pods/s", log=True, label="pod churn",
        help="Pods started per second (and as many stopped): the scheduler's arrival rate, "
             "six one-shot events each, pod watch events, endpoint changes. The SLOs assume "
             "at most 20; the events model covers up to 100")
    anti_affinity_fraction: float = dimension(
        0.0, lo=0.0, hi=1.0, step=0.05, label="anti-affinity fraction",
        help="Share of deployments whose pods keep apart with a required pod anti-affinity "
             "term (chapter 5)")
    images_per_node: int = dimension(
        50, lo=0, hi=50, unit="images", label="images/node",
        help="Container images each Node reports in its status (at most 50): the size of "
             "the heartbeat before the Lease (chapter 2)")
    hot_objects_per_node: float = dimension(
        0.1, lo=0.0, hi=110.0, step=0.1, unit="pods/node", label="hot-looping pods/node",
        help="Pods failing in a loop, each reporting a FailedCreatePodSandBox event every "
             "20 s (the talk's example; chapter 6), on average per node: 0.1 is one in ten "
             "nodes (illustrative)")
    proxy_mode: str = choice(
        "iptables", choices=("iptables", "ipvs"), label="kube-proxy mode",
        help="kube-proxy's mode: iptables (still the default) or IPVS (GA since 1.11, "
             "deprecated in 1.35). The release does not choose it; nftables (GA 1.33) is not "
             "modelled")
    new_event_api: bool = flag(
        False, label="components on events.k8s.io",
        help="An assumption you choose: the components report events through the new "
             "events.k8s.io API wherever the release has it (v1 from 1.19). Which components "
             "did, in which release, is not in the course's sources")
    quota_gib: float = dimension(
        2.0, lo=0.01, hi=8.0, step=0.01, unit="GiB", label="etcd quota",
        help="--quota-backend-bytes of each etcd (the main one and the events one): 2 GiB by "
             "default, 8 GiB the suggested maximum")
    seat_ms: float = dimension(
        10.0, lo=0.5, hi=1000.0, log=True, unit="ms", label="seat time",
        help="How long one request holds its in-flight seat (illustrative: chapter 3's GET "
             "latency; a loaded apiserver and etcd take longer)")

    def check(self) -> None:
        if self.backends_per_service > self.pods:
            raise DimensionConflict(
                f"backends_per_service ({self.backends_per_service:,}) must be at most the "
                f"cluster's pods, nodes × pods_per_node ({self.nodes:,} × "
                f"{self.pods_per_node:,} = {self.pods:,}): each backend is a pod",
                ("backends_per_service", "nodes", "pods_per_node"))
        for side in (self.version, TODAY):
            try:
                chapter_dimensions(self, release(side))
            except DimensionConflict as err:
                raise _in_capstone_terms(err) from None
            except ValueError as err:             # a chapter's range: "x must be …; got …"
                name = str(err).split(" ", 1)[0]
                raise _in_capstone_terms(DimensionConflict(str(err), (name,))) from None

    @property
    def pods(self) -> int:
        """Pods in the cluster: ``nodes × pods_per_node``."""
        return self.nodes * self.pods_per_node


#: For each chapter's dimension the capstone sets from its own, the capstone's names (so a
#: refusal names what the reader can change).
CHAPTER_FIELDS: dict[str, tuple[str, ...]] = {
    "nodes": ("nodes",), "watchers": ("nodes",), "selectivity": ("nodes",),
    "pods_per_node": ("pods_per_node",), "objects": ("nodes", "pods_per_node"),
    "images_per_node": ("images_per_node",), "volumes_per_node": (),
    "other_kib_per_node": (), "quota_gib": ("quota_gib",),
    "hot_objects_per_node": ("hot_objects_per_node",), "churn_pods_per_s": ("pod_churn",),
    "repeat_period_s": (), "events_per_s": ("pod_churn",),
    "min_watch_timeout_s": (), "max_watch_timeout_s": (), "watch_cache_capacity": ("nodes",),
    "services": ("services",), "backends_per_service": ("backends_per_service",),
    "endpoint_changes_per_s": ("pod_churn", "services", "backends_per_service"),
}


def _in_capstone_terms(err: DimensionConflict) -> DimensionConflict:
    fields = tuple(dict.fromkeys(f for name in err.fields
                                 for f in CHAPTER_FIELDS.get(name, ())))
    names = ", ".join(fields) or "the cluster"
    return DimensionConflict(f"this cluster ({names}) is outside what a chapter's model "
                             f"covers: {err.rule}", fields or err.fields)


def endpoint_changes_per_s(dims: CapstoneDimensions) -> float:
    """Backend changes per second: ``pod_churn × min(1, services × backends ÷ pods)``."""
    backed = min(1.0, dims.services * dims.backends_per_service / dims.pods)
    return dims.pod_churn * backed


def chapter_dimensions(dims: CapstoneDimensions, r: Release) -> dict[str, Any]:
    """Every chapter's dimensions for ``dims`` on release ``r`` (see the module docstring).

    Parameters
    ----------
    dims : CapstoneDimensions
        The cluster.
    r : Release
        What the release runs (:func:`kscale_lab.versions.release`).

    Returns
    -------
    dict
        By model key (``"envelope"`` … ``"endpoints"``; the apiserver's seats,
        ``"priority"``, are computed from the others' loads and take no dimensions of their
        own), each chapter's dimensions; ``"secrets"`` is chapter 3's
        :class:`~kscale_lab.secrets.SecretsRelease` (its dimensions with the release's Go
        client, and its strategy).
    """
    from kscale_lab.endpoints import EndpointsDimensions
    from kscale_lab.envelope import ClusterDimensions
    from kscale_lab.events import EventsDimensions
    from kscale_lab.heartbeats import HeartbeatDimensions
    from kscale_lab.kube_proxy import KubeProxyDimensions
    from kscale_lab.scheduler import SchedulerDimensions
    from kscale_lab.secrets import SecretsDimensions, secrets_at
    from kscale_lab.watch import WatchDimensions, pods_cache_capacity

    changes = endpoint_changes_per_s(dims)
    secrets = SecretsDimensions(
        nodes=dims.nodes, pods_per_node=dims.pods_per_node,
        objects_per_pod=dims.objects_per_pod, get_latency_ms=dims.seat_ms,
        http2_max_streams_per_connection=r.http2_max_streams_per_connection,
        grace_period_s=r.node_monitor_grace_period_s)
    return {
        "envelope": ClusterDimensions(
            nodes=dims.nodes, pods_per_node=dims.pods_per_node, cores_per_node=CORES_PER_NODE,
            namespaces=dims.namespaces, services=dims.services,
            backends_per_service=dims.backends_per_service),
        "heartbeats": HeartbeatDimensions(
            nodes=dims.nodes, images_per_node=dims.images_per_node, other_kib_per_node=0.0,
            status_report_period_s=max(60, r.node_status_report_frequency_s),
            grace_period_s=r.node_monitor_grace_period_s, quota_gib=dims.quota_gib,
            horizon_s=HEARTBEAT_HORIZON_S),
        "secrets": secrets_at(secrets, r.name),
        "kube-proxy": KubeProxyDimensions(
            services=dims.services, backends_per_service=dims.backends_per_service,
            endpoint_changes_per_s=max(0.1, changes), iptables_restore=r.iptables_restore),
        "scheduler": SchedulerDimensions(
            nodes=dims.nodes, pods_per_node=dims.pods_per_node,
            anti_affinity_fraction=dims.anti_affinity_fraction, arrival_rate=dims.pod_churn),
        "events": EventsDimensions(
            nodes=dims.nodes, workload="sandbox", hot_objects_per_node=dims.hot_objects_per_node,
            hot_loop_s=3600, churn_pods_per_s=float(dims.pod_churn), horizon_s=3600),
        "watch": WatchDimensions(
            watchers=dims.nodes, selectivity=1.0 / dims.nodes,
            events_per_s=float(dims.pod_churn * POD_EVENTS_PER_POD),
            objects=min(max(1, dims.pods), WATCH_MAX_OBJECTS),
            watch_cache_capacity=pods_cache_capacity(dims.nodes),
            object_bytes=POD_WATCH_EVENT_BYTES),
        "endpoints": EndpointsDimensions(
            backends_per_service=dims.backends_per_service, nodes=dims.nodes,
            services=dims.services, endpoint_changes_per_s=changes),
    }


def watch_release(r: Release) -> str:
    """The release chapter 7's :func:`~kscale_lab.watch.watch_at` models for ``r``: what it
    has of bookmarks and the watch cache (it offers 1.14, 1.15, 1.16, 1.17 and 1.19)."""
    minor = r.version[1]
    if minor <= 14:
        return "1.14"
    if minor >= 19:
        return "1.19"
    return {15: "1.15", 16: "1.16"}.get(minor, "1.17")
