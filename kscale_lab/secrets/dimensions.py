"""Chapter 3's dimensions: the cluster, what its pods reference, and the settings that matter.

Defaults and their sources (``kubernetes-facts.md``, "Kubelet secrets and configmaps"):

* the kubelet's cache TTL is 1 min by default; the node annotation
  ``node.alpha.kubernetes.io/ttl``, set by the **TTL controller** by cluster size, overrides
  it: ≤ 100 nodes 0 s, ≤ 500 15 s, ≤ 1,000 30 s, ≤ 2,000 60 s, larger 300 s
  (``pkg/controller/ttl/ttl_controller.go``). With ``ttl_controller`` on (the default) the
  kubelets use the controller's TTL (:func:`ttl_controller_ttl_s`); off, they use
  ``cache_ttl_s`` as given, and ``cache_ttl_s = 0`` is the ``Get`` strategy (no cache: every
  read fetches the object), which the controller's 0 s reproduces only up to 100 nodes;
* ``--max-requests-inflight`` is 400 read-only seats (apiserver ``server/config.go``);
* Go's HTTP/2 server allows 250 concurrent streams per connection (the talk's era);
  kube-apiserver has used 100 since late 2023 (PR #121120);
* the Go client's behaviour when every stream is busy: Go ≤ 1.9 and ≥ 1.12 open another TCP
  connection, Go 1.10–1.11 block every new request (golang/go#27044);
* node-monitor-grace-period 40 s (KEP-589; 50 s from 1.32).

Two defaults are the lab's own, labelled so: how often the kubelet reads a pod's objects
(``sync_period_s``, 60 s: the kubelet re-reads them when it syncs the pod, about once a
minute — not in the facts file, unverified) and how long one GET holds its seat
(``get_latency_ms``, 10 ms: illustrative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kscale_lab.control_plane.http2 import GoClient
from kscale_lab.dimensions import (
    DimensionConflict,
    Dimensions,
    choice,
    dimension,
    flag,
    require_grace_beyond,
    shared,
)

#: The TTL controller's steps: (largest cluster in nodes, TTL in s); larger clusters: 300 s.
TTL_CONTROLLER_STEPS = ((100, 0), (500, 15), (1000, 30), (2000, 60))
TTL_CONTROLLER_LARGEST_S = 300
#: The kubelet's own default TTL, when no node annotation sets one.
KUBELET_DEFAULT_TTL_S = 60
#: The kubelet's heartbeat: the Lease is renewed every 10 s (0.25 × 40 s), as the NodeStatus
#: was written every 10 s before the Lease; both wait for a stream like any other request.
HEARTBEAT_PERIOD_S = 10

#: ``go_client`` choices, and the control plane's :class:`GoClient` each stands for.
GO_CLIENTS = {"go1.9": GoClient.GO_1_9, "go1.10": GoClient.GO_1_10_11,
              "go1.12": GoClient.GO_1_12}


def ttl_controller_ttl_s(nodes: int) -> int:
    """The TTL the TTL controller writes into every node's annotation, by cluster size.

    >>> [ttl_controller_ttl_s(n) for n in (100, 101, 500, 1000, 2000, 2001)]
    [0, 15, 15, 30, 60, 300]
    """
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0:
        raise ValueError(f"nodes must be a whole number >= 0; got {nodes!r}")
    for largest, ttl_s in TTL_CONTROLLER_STEPS:
        if nodes <= largest:
            return ttl_s
    return TTL_CONTROLLER_LARGEST_S


@dataclass(frozen=True)
class SecretsDimensions(Dimensions):
    """The dimensions that suffer (#nodes, #secrets and #configmaps per node) and the settings.

    A pod references ``objects_per_pod`` Secrets and ConfigMaps (the lab treats them alike);
    ``shared_share`` of them (rounded half up to whole objects) are the same few objects for
    every pod on the node — a CA bundle, a common config — and the rest are the pod's own.
    Every object is referenced from one node only, so each kubelet's objects are its own.
    """

    nodes: int = shared("nodes", 5000, help="Each node runs one kubelet")
    pods_per_node: int = shared("pods_per_node", 110,
                                help="Every pod references its Secrets and ConfigMaps")
    objects_per_pod: int = dimension(
        4, lo=0, hi=50, unit="objects", label="objects/pod",
        help="Secrets and ConfigMaps each pod references (volumes and env vars)")
    shared_share: float = dimension(
        0.25, lo=0.0, hi=1.0, step=0.05, label="shared between pods",
        help="Share of each pod's references that go to objects every pod on its node also "
             "references (rounded half up to whole objects); the kubelet reads each once")
    ttl_controller: bool = flag(
        True, label="TTL controller",
        help="On: the TTL controller writes the cache TTL into every node's annotation by "
             "cluster size (0 s up to 100 nodes, 15 s to 500, 30 s to 1,000, 60 s to 2,000, "
             "300 s above) and the kubelets use it. Off: they use cache_ttl_s")
    cache_ttl_s: int = dimension(
        0, lo=0, hi=3600, step=15, unit="s", label="cache TTL (TTL controller off)",
        help="With the TTL controller off: how old a cached copy may be before the kubelet "
             "GETs the object again (the kubelet's own default is 60 s); 0 is the Get "
             "strategy, no cache, every read fetches. With the controller on it must stay "
             "0: the controller's TTL is used")
    sync_period_s: int = dimension(
        60, lo=1, hi=600, unit="s", label="pod sync period",
        help="How often the kubelet reads each pod's objects (it re-reads them when it "
             "syncs the pod, about once a minute: illustrative)")
    get_latency_ms: float = dimension(
        10.0, lo=0.5, hi=1000.0, log=True, unit="ms", label="GET latency",
        help="How long one GET holds its read-only seat (illustrative; slower when etcd is "
             "loaded)")
    max_requests_inflight: int = shared(
        "max_requests_inflight", 400,
        help="A request that finds them all taken is answered 429")
    other_reads_per_s: float = dimension(
        0.0, lo=0.0, hi=100_000.0, step=100.0, unit="req/s", label="other reads",
        help="Read-only requests from everything else (controllers, users), each holding a "
             "seat as long as a GET: 0 leaves the pool to the kubelets")
    go_client: str = choice(
        "go1.12", choices=tuple(GO_CLIENTS), label="kubelet's Go client",
        help="The kubelet's HTTP/2 client when every stream is busy: go1.9 (Go 1.9 and "
             "before) and go1.12 (Go 1.12 and later) open another connection; go1.10 (Go "
             "1.10-1.11) blocks every new request until a stream frees")
    http2_max_streams_per_connection: int = dimension(
        250, lo=1, hi=1000, unit="streams", label="max streams/connection",
        help="Concurrent streams the apiserver allows per HTTP/2 connection: 250 (Go's "
             "default, the talk's era); kube-apiserver uses 100 since late 2023")
    grace_period_s: int = shared(
        "grace_period_s", 40,
        help="Here longer than the kubelet's heartbeat, every 10 s")

    def check(self) -> None:
        if self.ttl_controller and self.cache_ttl_s:
            raise DimensionConflict(
                f"cache_ttl_s is used only with ttl_controller off (the TTL controller "
                f"writes the node's TTL, {ttl_controller_ttl_s(self.nodes)} s at "
                f"{self.nodes:,} nodes); set ttl_controller off to use a TTL of "
                f"{self.cache_ttl_s} s", ("cache_ttl_s", "ttl_controller"))
        require_grace_beyond(self.grace_period_s, HEARTBEAT_PERIOD_S,
                             "kubelet's heartbeat period")

    # --- what the dimensions imply ---------------------------------------------------------
    @property
    def shared_per_pod(self) -> int:
        """References of each pod that go to the node's shared objects (whole objects)."""
        return math.floor(self.objects_per_pod * self.shared_share + 0.5)

    @property
    def own_per_pod(self) -> int:
        """References of each pod to objects no other pod references."""
        return self.objects_per_pod - self.shared_per_pod

    @property
    def shared_objects(self) -> int:
        """Distinct shared objects on a node (none without pods)."""
        return self.shared_per_pod if self.pods_per_node else 0

    @property
    def unique_objects_per_node(self) -> int:
        """Distinct Secrets and ConfigMaps one kubelet needs: its pods' own plus the shared."""
        return self.pods_per_node * self.own_per_pod + self.shared_objects

    @property
    def ttl_s(self) -> int:
        """The cache TTL the kubelets use: the TTL controller's with ``ttl_controller`` on,
        else ``cache_ttl_s`` (0: the ``Get`` strategy, every read fetches)."""
        return ttl_controller_ttl_s(self.nodes) if self.ttl_controller else self.cache_ttl_s

    @property
    def strategy(self) -> str:
        """The kubelet's polling strategy: ``"Get"`` when every read fetches because
        ``cache_ttl_s`` is 0 with the controller off, else ``"Cache"`` (the TTL controller's
        0 s below 101 nodes behaves the same, but is still the ``Cache`` strategy)."""
        return "Get" if not self.ttl_controller and self.cache_ttl_s == 0 else "Cache"

    @property
    def client(self) -> GoClient:
        return GO_CLIENTS[self.go_client]

    @property
    def get_latency_s(self) -> float:
        return self.get_latency_ms / 1000.0
