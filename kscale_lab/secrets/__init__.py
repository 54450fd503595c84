"""Chapter 3 — kubelet secrets and configmaps: polling vs watch, and the HTTP/2 stream trap.

Every pod references Secrets and ConfigMaps (volumes, environment variables), and its
kubelet must keep them current. How it does so is the kubelet's
``configMapAndSecretChangeDetectionStrategy`` (``Get``, ``Cache``, ``Watch``; defaults.go).

**Naive: the** ``Cache`` **strategy.** The kubelet keeps a TTL cache of the objects; whenever
it syncs a pod it reads the pod's objects, and GETs any whose cached copy is older than the
TTL — 1 min by default, or what the TTL controller writes into the node's annotation by
cluster size (0 s up to 100 nodes … 300 s above 2,000). Every kubelet polling every unique
object: the apiserver serves nodes × objects per node ÷ (about) the TTL GETs per second, each
holding one of the 400 read-only in-flight seats while it runs; when they are all taken, the
apiserver answers 429 — to everyone. Raising the TTL (the stopgap) buys seats with
**staleness**: a rotated secret reaches the node only at its next GET.

**Improved: the** ``Watch`` **strategy** (PR #64752). One client-go reflector per object,
watching it alone. No GETs: a change arrives as soon as etcd has it; a watch holds no seat.
The cost moves to open watches — one per object per node, each resumed every 5–10 min — and
to the kubelet's **HTTP/2 connection**, where every watch holds a stream for its whole life.

**The trap.** All of a kubelet's requests share that one connection, and the server allows
250 concurrent streams per connection. A Go 1.10–1.11 client then *blocks every new request*
until a stream frees (golang/go#27044): a kubelet watching 250 objects or more cannot send its
heartbeat until one of its watches times out, 5–10 min after it started. Its node goes
NotReady (chapter 2's rule: no heartbeat for the 40-s grace period), then comes back in bursts
as watches end and the heartbeat gets its turn. That is why the watch strategy was switched
off in 1.12.7 and 1.13.5, and back on in 1.14.2 with Go 1.12, whose client opens another
connection instead.

Modules:

* :mod:`~kscale_lab.secrets.dimensions` — :class:`SecretsDimensions`, the TTL controller;
* :mod:`~kscale_lab.secrets.kubelet` — the kubelet event by event (SimPy): its managers,
  pod workers, heartbeat and connection, on the shared control plane (:func:`simulate`);
* :mod:`~kscale_lab.secrets.polling` — the ``Cache`` strategy in closed form (GETs, seats,
  429s by Erlang's B formula, staleness);
* :mod:`~kscale_lab.secrets.connection` — one kubelet's connection in closed form (the
  heartbeat's wait behind full streams, NotReady time, the delay of changes);
* :mod:`~kscale_lab.secrets.model` — :class:`SecretsModel`, both versions at cluster scale;
* :mod:`~kscale_lab.secrets.releases` — :func:`secrets_at`: which release polls, which
  watches, with which Go client.
"""

from kscale_lab.secrets.connection import HeartbeatTimeline, heartbeat_timeline
from kscale_lab.secrets.dimensions import (
    GO_CLIENTS,
    HEARTBEAT_PERIOD_S,
    SecretsDimensions,
    ttl_controller_ttl_s,
)
from kscale_lab.secrets.kubelet import (
    CachingSecretManager,
    Kubelet,
    NodeHeartbeat,
    PodWorker,
    Simulation,
    WatchingSecretManager,
    simulate,
)
from kscale_lab.secrets.model import HORIZON_S, SecretsModel, SecretsOutcome, api_load
from kscale_lab.secrets.polling import PollingLoad, cache_strategy
from kscale_lab.secrets.releases import SecretsRelease, secrets_at

__all__ = [
    "GO_CLIENTS", "HEARTBEAT_PERIOD_S", "HORIZON_S", "CachingSecretManager",
    "HeartbeatTimeline", "Kubelet", "NodeHeartbeat", "PodWorker", "PollingLoad",
    "SecretsDimensions", "SecretsModel", "SecretsOutcome", "SecretsRelease", "Simulation",
    "WatchingSecretManager", "api_load", "cache_strategy", "heartbeat_timeline",
    "secrets_at", "simulate", "ttl_controller_ttl_s",
]
