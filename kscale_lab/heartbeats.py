"""Chapter 2 — node heartbeats: the full NodeStatus every 10 s vs a small Lease.

**Naive (before the Lease).** Every kubelet sends its Node's status every
``nodeStatusUpdateFrequency`` (10 s), changed or not: ``lastHeartbeatTime`` in the conditions
is the heartbeat. What the kubelet sends is a small PATCH, but etcd stores the whole updated
Node object as a new revision (KEP-589). The Node carries up to 50 container images
(``NodeStatusMaxImages``) and the volumes in use and attached, so it is commonly over 15 KB
and ~20 KB in production (KEP-589).

**Improved (KEP-589: alpha and off by default in 1.13, beta and on by default from 1.14, GA
1.17).** The heartbeat moves to a ``Lease`` in ``kube-node-lease`` (a few hundred bytes:
:data:`LEASE_BYTES` is the size of one serialized by :func:`lease_object`), renewed every
``0.25 × leaseDurationSeconds`` (10 s of 40 s). The kubelet still computes its status every
10 s but *writes* it only when it changed or when ``nodeStatusReportFrequency`` has passed
(1 min in 1.13–1.16; 5 min from 1.17, because server-side apply's managed fields had grown
Node objects from about 20 KB to about 30 KB). The node lifecycle controller takes the newer
of the Lease's ``renewTime`` and the status heartbeat, so liveness is as fresh as before.

Outcomes for both: apiserver writes/s, etcd bytes/s, history held between compactions, the
etcd database size over time against the quota, when the NOSPACE alarm comes (or never), and
how long a node that stops heartbeating takes to be marked ``NotReady`` (node-monitor-period
5 s; node-monitor-grace-period 40 s in the talk's era, 50 s from 1.32), and whether that mark
comes only after the end of the simulated time (``detected_after_run``).

Two scales that agree (``tests/test_heartbeats.py``):

* :func:`simulate` — SimPy, event by event, kubelets writing through the apiserver into a
  real (small) MVCC store, the apiserver's compactor and the node lifecycle controller as
  processes (tens to hundreds of nodes);
* :class:`HeartbeatsModel` — the same writes as :class:`~kscale_lab.etcd.PeriodicWriter`
  streams through :func:`~kscale_lab.etcd.usage_timeline` (thousands of nodes in milliseconds).

The Node object's size is calibrated on one published point: KEP-589's "~20 KB" Node object,
which :data:`NODE_BASE_BYTES` + 50 images + 5 volumes reproduces. Everything else the cluster
keeps in etcd (pods, services, endpoints …) shares the quota: the dimension
:attr:`~HeartbeatDimensions.other_kib_per_node`, held as live data. Its default,
:data:`~kscale_lab.workload_objects.OTHER_KIB_PER_NODE`, is a prediction derived in
:mod:`kscale_lab.workload_objects` from the scalability thresholds (30 pods and 2 services
per node) and the measured sizes of a Pod, a Service and its Endpoints object built by the
lab; 0 is the "heartbeats alone" case.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane import ApiLoad, ApiServer, TooManyRequests
from kscale_lab.dimensions import (
    DimensionConflict,
    Dimensions,
    dimension,
    require_grace_beyond,
    shared,
)
from kscale_lab.etcd import Etcd, NoSpaceError, PeriodicWriter, usage_timeline
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.units import GiB, KiB, MiB
from kscale_lab.workload_objects import OTHER_KIB_PER_NODE

# --- object sizes (bytes stored in etcd per revision) ----------------------------------------
#: A Node without images or volumes: metadata and labels, capacity/allocatable, five
#: conditions, addresses, daemonEndpoints, nodeInfo. Set so that 50 images and 5 volumes give
#: KEP-589's ~20 KB (4,500 + 50 × 280 + 5 × 300 = 20,000 B).
NODE_BASE_BYTES = 4_500
#: One ``status.images`` entry: a digest name (``repo@sha256:…``), a tag name, ``sizeBytes``.
IMAGE_ENTRY_BYTES = 280
#: One volume: its ``status.volumesInUse`` entry plus its ``status.volumesAttached`` entry.
VOLUME_ENTRY_BYTES = 300


def lease_object(node: str = "node-0001", *, full_spec: bool = False) -> dict[str, Any]:
    """A node's ``coordination.k8s.io/v1`` Lease as the kubelet keeps it: metadata with the
    owner reference to its Node, and a spec with ``holderIdentity``,
    ``leaseDurationSeconds`` and ``renewTime`` — the three spec fields of the node Lease on
    the talk's slide. KEP-589's schema has two more, ``acquireTime`` and
    ``leaseTransitions``; ``full_spec=True`` fills them in too (to show how little they
    change the size). Identifiers and times are typical values."""
    lease = {
        "kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
        "metadata": {
            "name": node, "namespace": "kube-node-lease",
            "uid": "5f0c4a8e-3b7d-4d8e-9a41-2c6f1e9b7d30", "resourceVersion": "123456789",
            "creationTimestamp": "2019-05-21T09:00:00Z",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node,
                                 "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64"}],
        },
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40,
                 "renewTime": "2019-05-21T09:41:17.123456Z"},
    }
    if full_spec:
        lease["spec"].update(acquireTime="2019-05-21T09:00:00.000000Z", leaseTransitions=0)
    return lease


def serialized_bytes(obj: dict[str, Any]) -> int:
    """The size of ``obj`` as compact JSON (UTF-8), the measure the lab uses for objects."""
    return len(json.dumps(obj, separators=(",", ":")).encode())


#: The serialized size of :func:`lease_object` — measured by serializing it as compact JSON.
#: The encoding etcd actually stores for built-in types may be smaller (unverified here).
LEASE_BYTES = serialized_bytes(lease_object())

# --- controller and kubelet constants (not dimensions: the talk never tuned them) ------------
NODE_MONITOR_PERIOD_S = 5            # kube-controller-manager --node-monitor-period (unverified)
LEASE_RENEW_FRACTION = 0.25          # kubelet nodeLeaseRenewIntervalFraction
SEED = 2019                          # kubelets start at seeded random phases
#: The cluster's other objects are written to etcd in pieces of at most this many bytes
#: (etcd refuses requests over 1.5 MiB): see :func:`other_objects`.
OTHER_OBJECT_CHUNK_BYTES = MiB


def node_object_bytes(images: int, volumes: int) -> int:
    """Size of one Node object with ``images`` images (≤ 50 reported) and ``volumes`` volumes.

    Raises ``ValueError`` for a negative or non-whole count.
    """
    for name, count in (("images", images), ("volumes", volumes)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(f"{name} must be a whole number of at least 0; got {count!r}")
    return NODE_BASE_BYTES + min(images, 50) * IMAGE_ENTRY_BYTES + volumes * VOLUME_ENTRY_BYTES


@dataclass(frozen=True)
class HeartbeatDimensions(Dimensions):
    """The dimensions that suffer (#nodes, #images/node, #volumes/node) and the settings."""

    nodes: int = shared("nodes", 5000, help="Each node runs one kubelet")
    images_per_node: int = dimension(50, lo=0, hi=50, unit="images", label="images/node",
                                     help="Container images reported in status.images "
                                          "(the kubelet reports at most 50)")
    volumes_per_node: int = dimension(5, lo=0, hi=128, unit="volumes", label="volumes/node",
                                      help="Volumes in use and attached on each node")
    other_kib_per_node: float = dimension(
        OTHER_KIB_PER_NODE, lo=0.0, hi=2048.0, step=1.0, unit="KiB", label="other objects/node",
        help="Everything else the cluster keeps in etcd (pods, services, endpoints …), per "
             "node, as live data. Default: 30 pods and 2 services with their Endpoints per "
             "node, built and measured (kscale_lab.workload_objects), a prediction; 0 keeps "
             "etcd to heartbeats alone")
    status_update_period_s: int = dimension(
        10, lo=1, hi=300, unit="s", label="status update period",
        help="nodeStatusUpdateFrequency: how often the kubelet computes (naive: writes) status")
    status_report_period_s: int = dimension(
        60, lo=10, hi=3600, unit="s", label="status report period",
        help="nodeStatusReportFrequency (improved only): unchanged status is written this "
             "often; 60 s in 1.13–1.16, 300 s from 1.17")
    lease_duration_s: int = dimension(
        40, lo=4, hi=400, step=4, unit="s", label="lease duration",
        help="leaseDurationSeconds of the node Lease (a multiple of 4 s here); the kubelet "
             "renews it every quarter")
    grace_period_s: int = shared(
        "grace_period_s", 40,
        help="Here longer than status_update_period_s and the Lease renew interval "
             "(lease_duration_s / 4)")
    compaction_interval_s: int = dimension(
        300, lo=10, hi=3600, step=10, unit="s", label="compaction interval",
        help="kube-apiserver --etcd-compaction-interval (default 5 min)")
    quota_gib: float = dimension(2.0, lo=0.01, hi=8.0, step=0.01, unit="GiB", label="etcd quota",
                                 help="etcd --quota-backend-bytes (default 2 GiB, 8 GiB "
                                      "suggested maximum)")
    failed_node_at_s: int = dimension(100, lo=0, hi=86399, unit="s", label="node fails at",
                                      hi_dim="horizon_s", hi_offset=-1,
                                      help="When one node stops heartbeating (to measure how "
                                           "long until it is marked NotReady); within the "
                                           "simulated time")
    horizon_s: int = dimension(3600, lo=60, hi=86400, step=60, unit="s", label="simulated time",
                               help="How long to simulate")

    def check(self) -> None:
        if self.lease_duration_s % 4:
            raise DimensionConflict(
                f"lease_duration_s must be a multiple of 4 s (the kubelet renews the Lease "
                f"every quarter of it, and the lab counts whole seconds); got "
                f"{self.lease_duration_s}", ("lease_duration_s",))
        require_grace_beyond(self.grace_period_s, self.status_update_period_s,
                             "status_update_period_s", "status_update_period_s")
        require_grace_beyond(self.grace_period_s, self.lease_renew_s,
                             "Lease renew interval (lease_duration_s / 4)", "lease_duration_s")
        live = self.nodes * (self.node_bytes + LEASE_BYTES + self.other_kib_per_node * KiB)
        if live >= self.quota_bytes:
            raise DimensionConflict(
                f"the cluster's live objects alone ({live / GiB:.2f} GiB: nodes × (Node "
                f"object + Lease + other objects)) do not fit in the etcd quota "
                f"({self.quota_gib:g} GiB)",
                ("nodes", "images_per_node", "volumes_per_node", "other_kib_per_node",
                 "quota_gib"))

    @classmethod
    def lease_renew_interval_s(cls, lease_duration_s: int) -> int:
        """The kubelet's renew interval: a quarter of the lease duration."""
        return int(lease_duration_s * LEASE_RENEW_FRACTION)

    @property
    def lease_renew_s(self) -> int:
        return self.lease_renew_interval_s(self.lease_duration_s)

    @property
    def node_bytes(self) -> int:
        return node_object_bytes(self.images_per_node, self.volumes_per_node)

    @property
    def other_bytes(self) -> float:
        """Bytes of everything else the cluster keeps in etcd."""
        return self.nodes * self.other_kib_per_node * KiB

    @property
    def quota_bytes(self) -> int:
        return int(self.quota_gib * GiB)


@dataclass(frozen=True)
class HeartbeatOutcome(Outcome):
    """What one version of the heartbeat mechanism does to the apiserver and etcd."""

    api_writes_per_s: float = metric(unit="writes/s", help="Heartbeat writes the apiserver serves")
    etcd_write_bytes_per_s: float = metric(unit="B/s", help="Bytes of new revisions per second")
    history_bytes: float = metric(unit="B", help="Most superseded history held between "
                                                 "compactions")
    etcd_peak_db_bytes: float = metric(unit="B", help="Largest etcd database file size")
    nospace_at_s: float | None = metric(unit="s", help="When etcd raised NOSPACE within the "
                                                       "simulated time (never: null)")
    notready_detection_s: float | None = metric(
        unit="s", none="never (etcd refuses the write)",
        help="From the node's failure until the controller marks it NotReady, even when that "
             "comes after the simulated time (then detected_after_run is yes; never: etcd "
             "refuses the mark under NOSPACE)")
    detected_after_run: bool | None = metric(
        none="never detected",
        help="Whether the NotReady mark comes after the end of the simulated time (the "
             "detection delay is then a prediction beyond the run; never: no mark)")
    node_object_bytes: int = metric(unit="B", help="Size of one Node object")
    timeline: Any = field(default=None, repr=False)   # kscale_lab.etcd.Timeline


def _phases(dims: HeartbeatDimensions) -> dict[str, np.ndarray]:
    """Seeded start phases of every kubelet loop (the same in both scales)."""
    rng = np.random.default_rng(SEED)
    return {"status": rng.uniform(0, dims.status_update_period_s, dims.nodes),
            "lease": rng.uniform(0, dims.lease_renew_s, dims.nodes),
            "report": rng.uniform(0, dims.status_report_period_s, dims.nodes)}


def _writers(dims: HeartbeatDimensions, version: Version | str,
             ph: dict[str, np.ndarray]) -> list[PeriodicWriter]:
    """The periodic writes of each version (phases from :func:`_phases`); node 0 fails."""
    fail = dims.failed_node_at_s
    if side_of(version) == "naive":
        loops = [("NodeStatus", ph["status"], dims.node_bytes, dims.status_update_period_s)]
    else:
        loops = [("Lease", ph["lease"], LEASE_BYTES, dims.lease_renew_s),
                 ("NodeStatus", ph["report"], dims.node_bytes, dims.status_report_period_s)]
    out = []
    for name, phases, size, period in loops:
        out.append(PeriodicWriter(name, phases[1:], size, period))
        out.append(PeriodicWriter(name + " (failed node)", phases[:1], size, period, stop_s=fail))
    return out


def api_load(dims: HeartbeatDimensions, version: Version | str) -> ApiLoad:
    """The heartbeats' load on the apiserver and etcd, in closed form (every node alive).

    Naive: each kubelet PATCHes its Node status every ``status_update_period_s``. Improved:
    each kubelet UPDATEs its Lease every renew interval and PATCHes its status every
    ``status_report_period_s`` (taken to be a multiple of the update period, as the defaults
    are). Each write stores the whole object as a new revision (KEP-589). etcd holds one Node
    (and one Lease) per node and the cluster's other objects (``other_kib_per_node`` per node,
    live data that shares the quota), plus, just before a compaction tick, the history of the
    last two compaction intervals: ``live + 2 × compaction_interval_s × write bytes/s``.
    ``etcd_objects`` counts the heartbeat objects and the keys :func:`other_objects` writes
    for the rest (one per node and started MiB: the dimension gives bytes, not a count of
    real objects). No watches.

    This is the demand in steady state (after two compaction intervals); when it does not fit
    under the quota, etcd raises NOSPACE and refuses the writes (:class:`HeartbeatsModel`
    says when).
    """
    version = side_of(version)
    n, node = dims.nodes, dims.node_bytes
    if version == "naive":
        by_verb = {"PATCH": n / dims.status_update_period_s}
        bytes_per_s = n * node / dims.status_update_period_s
        objects, live = n, n * node
    else:
        by_verb = {"UPDATE": n / dims.lease_renew_s, "PATCH": n / dims.status_report_period_s}
        bytes_per_s = n * (LEASE_BYTES / dims.lease_renew_s + node / dims.status_report_period_s)
        objects, live = 2 * n, n * (node + LEASE_BYTES)
    other_keys_per_node = math.ceil(round(dims.other_kib_per_node * KiB)
                                    / OTHER_OBJECT_CHUNK_BYTES)
    objects += n * other_keys_per_node
    return ApiLoad(by_verb, etcd_write_bytes_per_s=bytes_per_s, etcd_objects=objects,
                   etcd_bytes=live + dims.other_bytes
                   + 2 * dims.compaction_interval_s * bytes_per_s)


def last_heartbeat_s(phase_s: float, period_s: float, at_s: float) -> float | None:
    """The last write of a loop started at ``phase_s`` with ``period_s``, at or before ``at_s``."""
    if at_s < phase_s:
        return None
    return phase_s + math.floor((at_s - phase_s) / period_s) * period_s


def notready_at_s(last_heartbeat: float, grace_s: float,
                  monitor_period_s: float = NODE_MONITOR_PERIOD_S) -> float:
    """The node lifecycle controller's first check (every ``monitor_period_s``, from t = 0)
    that finds the heartbeat older than ``grace_s``."""
    return (math.floor((last_heartbeat + grace_s) / monitor_period_s) + 1) * monitor_period_s


def _notready_at(dims: HeartbeatDimensions, version: Version | str,
                 ph: dict[str, np.ndarray]) -> float:
    """When the controller would mark node 0 NotReady if etcd accepted every write."""
    fail = dims.failed_node_at_s
    if side_of(version) == "naive":
        beats = [last_heartbeat_s(ph["status"][0], dims.status_update_period_s, fail - 1e-9)]
    else:
        beats = [last_heartbeat_s(ph["lease"][0], dims.lease_renew_s, fail - 1e-9),
                 last_heartbeat_s(ph["report"][0], dims.status_report_period_s, fail - 1e-9)]
    known = [b for b in beats if b is not None]
    return notready_at_s(max(known) if known else 0.0, dims.grace_period_s)


def _detection(dims: HeartbeatDimensions, at_s: float, nospace_at: float | None) -> float | None:
    # marking NotReady is itself a write: under NOSPACE it is refused, so it never happens
    if nospace_at is not None and at_s >= nospace_at:
        return None
    return at_s - dims.failed_node_at_s


class HeartbeatsModel(Model[HeartbeatDimensions, HeartbeatOutcome]):
    """Node heartbeats at cluster scale: NodeStatus every 10 s (naive) vs Lease (improved)."""

    key = "heartbeats"
    chapter = 2
    title = "Node heartbeats"
    dimensions = HeartbeatDimensions
    versions = (Version("naive", "NodeStatus every 10 s"),
                Version("improved", "Lease + rare NodeStatus"))
    figure_class = "kscale_lab.figures.heartbeats:HeartbeatsFigure"

    def run(self, dims: HeartbeatDimensions, version: Version) -> HeartbeatOutcome:
        phases = _phases(dims)
        writers = _writers(dims, version, phases)
        mark_at = _notready_at(dims, version, phases)
        # run at least until the mark, so that a mark after the simulated time is still
        # checked against a NOSPACE that would come first
        steps = max(dims.horizon_s, math.ceil(mark_at))
        per_step = sum(w.bytes_per_step(steps) for w in writers)
        live = dims.nodes * sum({w.name.split(" ")[0]: w.size_bytes for w in writers}.values())
        tl = usage_timeline(per_step, live_bytes=live + dims.other_bytes,
                            quota_bytes=dims.quota_bytes,
                            compaction_interval_s=dims.compaction_interval_s,
                            max_write_bytes=max(w.size_bytes for w in writers))
        detection = _detection(dims, mark_at, tl.nospace_at_s)
        after_run = None if detection is None else bool(mark_at > dims.horizon_s)
        tl = tl.until(dims.horizon_s)
        return HeartbeatOutcome(
            api_writes_per_s=sum(w.writes_per_s for w in writers),
            etcd_write_bytes_per_s=sum(w.bytes_per_s for w in writers),
            history_bytes=tl.peak_history_bytes,
            etcd_peak_db_bytes=float(tl.db_size_bytes.max()),
            nospace_at_s=tl.nospace_at_s,
            notready_detection_s=detection,
            detected_after_run=after_run,
            node_object_bytes=dims.node_bytes,
            timeline=tl, load=api_load(dims, version))


def nospace_cliff(dims: HeartbeatDimensions | None = None, dimension: str = "nodes",
                  version: Version | str = "naive") -> int | None:
    """The smallest value of ``dimension`` (a whole-number dimension that makes the
    heartbeat heavier: ``nodes``, ``images_per_node``, ``volumes_per_node``) at which
    ``version`` hits NOSPACE within ``dims.horizon_s``, every other dimension as in
    ``dims`` (default: the defaults); ``None`` if not even the top of its range does.

    Found by bisection over the dimension's whole range, so it is exact: one less does not
    hit NOSPACE. A value whose live objects alone do not fit in the quota (refused as
    dimensions) counts as hitting it. The chapter, its lab and its exercises all use this
    number, so they agree.
    """
    dims = dims if dims is not None else HeartbeatDimensions()
    spec = HeartbeatDimensions.spec(dimension)
    if not spec.integer:
        raise ValueError(f"dimension must be a whole-number dimension; got {dimension!r}")
    side = side_of(version)

    def hits(value: int) -> bool:
        try:
            d = dims.replace(**{dimension: value})
        except DimensionConflict as err:
            if "quota_gib" in err.fields:
                return True
            raise
        run = HeartbeatsModel().naive if side == "naive" else HeartbeatsModel().improved
        return run(d).nospace_at_s is not None

    lo, hi = int(spec.lo), int(spec.hi)
    if hits(lo):
        return lo
    if not hits(hi):
        return None
    while hi - lo > 1:                  # invariant: lo does not hit NOSPACE, hi does
        mid = (lo + hi) // 2
        if hits(mid):
            hi = mid
        else:
            lo = mid
    return hi


def other_objects(dims: HeartbeatDimensions) -> list[tuple[str, int]]:
    """The cluster's other objects as ``(key, size_bytes)`` pairs, as they are at t = 0.

    Each node's ``other_kib_per_node`` becomes one key, or several of at most
    :data:`OTHER_OBJECT_CHUNK_BYTES` each; their sizes add up to ``dims.other_bytes``
    (each node's share rounded to whole bytes). None when ``other_kib_per_node`` is 0.
    """
    per_node = round(dims.other_kib_per_node * KiB)
    chunks = [OTHER_OBJECT_CHUNK_BYTES] * (per_node // OTHER_OBJECT_CHUNK_BYTES)
    if per_node % OTHER_OBJECT_CHUNK_BYTES:
        chunks.append(per_node % OTHER_OBJECT_CHUNK_BYTES)
    return [(f"/registry/other/node-{n}/{i}", size)
            for n in range(dims.nodes) for i, size in enumerate(chunks)]


# --- the event-by-event model ----------------------------------------------------------------

#: :func:`simulate` refuses larger clusters: event by event, its time and memory grow faster
#: than nodes × simulated time. Measured (CPU time, one simulated hour, a shared 2-core
#: machine): 1,000 nodes take 3 s (naive) to 4.5 s (improved) and ~230 MB, 5 s when NOSPACE
#: comes early (the node lifecycle controller then retries every node every 5 s); 2,000 nodes
#: take 10 s and ~400 MB. :class:`HeartbeatsModel` covers every size in milliseconds.
SIMULATE_MAX_NODES = 1000


@dataclass(frozen=True)
class WriteEvent:
    t_s: float
    node: int
    kind: str            # "NodeStatus", "Lease" or "NotReady"
    size_bytes: int
    accepted: bool


@dataclass(frozen=True)
class Simulation:
    """What :func:`simulate` saw: every write, etcd's state after each, and the verdicts."""

    version: str
    writes: list[WriteEvent]
    t_s: np.ndarray                  # after each accepted write or compaction
    db_size_bytes: np.ndarray
    in_use_bytes: np.ndarray
    nospace_at_s: float | None
    notready_detection_s: float | None
    etcd: Etcd
    load: ApiLoad = field(default_factory=ApiLoad)   # measured by the apiserver over the run


class _Recorder:
    """Sends the heartbeat writes to the apiserver and keeps the :class:`Simulation`'s record.

    A write that etcd accepts is a heartbeat the node lifecycle controller will see (it stands
    in for the controller's Node and Lease informers, whose watch traffic is not counted here).
    """

    def __init__(self, env: simpy.Environment, api: ApiServer) -> None:
        self.env, self.api, self.db = env, api, api.store
        self.writes: list[WriteEvent] = []
        self.trace: list[tuple[float, int, int]] = []
        self.nospace_at_s: float | None = None
        self.controller: NodeLifecycleController | None = None
        api.on_compact.append(lambda t, _rev: self.snapshot(t))

    def snapshot(self, t_s: float) -> None:
        self.trace.append((t_s, self.db.db_size_bytes, self.db.in_use_bytes))

    def write(self, verb: str, node: int, kind: str, key: str, size_bytes: int,
              heartbeat_s: float) -> bool:
        """PATCH or UPDATE ``key`` now, the object carrying its newest heartbeat time (a
        Lease's ``renewTime``, a status's ``lastHeartbeatTime``); whether etcd accepted it.

        The writers do not wait for the answer: each heartbeat is timed on its own, and the
        apiserver's milliseconds are nothing beside a 10 s period.
        """
        now = self.env.now
        try:
            self.api.request(verb, key, size_bytes, heartbeat_s)
        except (NoSpaceError, TooManyRequests) as err:
            if isinstance(err, NoSpaceError) and self.nospace_at_s is None:
                self.nospace_at_s = now
            self.writes.append(WriteEvent(now, node, kind, size_bytes, False))
            return False
        self.writes.append(WriteEvent(now, node, kind, size_bytes, True))
        self.trace.append((now, self.db.db_size_bytes, self.db.in_use_bytes))
        if kind != "NotReady" and self.controller is not None:
            self.controller.observe(node, now)
        return True


class NodeLeaseController:
    """The kubelet's node lease controller (``component-helpers/apimachinery/lease``).

    ``Run`` calls ``sync`` every ``renewInterval`` (0.25 × leaseDurationSeconds: 10 s of 40 s);
    ``sync`` UPDATEs the node's Lease in ``kube-node-lease`` with ``renewTime`` = now.
    """

    def __init__(self, kubelet: Kubelet, renew_interval_s: float, phase_s: float) -> None:
        self.kubelet = kubelet
        self.renew_interval_s = renew_interval_s
        self.key = f"/registry/leases/kube-node-lease/node-{kubelet.node}"
        self.process = kubelet.env.process(self.run(phase_s))

    def run(self, phase_s: float) -> Iterator[simpy.Event]:
        env = self.kubelet.env
        try:
            yield env.timeout(phase_s)
            while True:
                self.sync()
                yield env.timeout(self.renew_interval_s)
        except simpy.Interrupt:                      # the node failed
            return

    def sync(self) -> bool:
        """Renew the Lease; whether etcd accepted it."""
        return self.kubelet.recorder.write("UPDATE", self.kubelet.node, "Lease", self.key,
                                           LEASE_BYTES, self.kubelet.env.now)


class Kubelet:
    """One node's kubelet: ``syncNodeStatus`` every ``nodeStatusUpdateFrequency`` and, in the
    improved version, a :class:`NodeLeaseController`.

    Naive: every sync PATCHes the whole status (``lastHeartbeatTime`` is the heartbeat).
    Improved: a sync PATCHes only if the status changed or ``nodeStatusReportFrequency`` has
    passed since the last report (``tryUpdateNodeStatus``). Nothing in this model changes a
    node's status, so the syncs between reports write nothing, and the loop sleeps from one
    report to the next — ``ceil(report / update)`` update periods, which is the report period
    for the defaults (60 s or 300 s of 10 s).

    ``fail()`` stops it (a SimPy interrupt, as SimPy's machine-shop example breaks a machine).
    """

    def __init__(self, env: simpy.Environment, node: int, recorder: _Recorder,
                 dims: HeartbeatDimensions, version: str, phases: dict[str, np.ndarray]) -> None:
        self.env, self.node, self.recorder = env, node, recorder
        self.node_bytes = dims.node_bytes
        self.key = f"/registry/minions/node-{node}"
        update = dims.status_update_period_s
        if version == "naive":
            self.node_status_report_frequency_s = update
            phase = phases["status"][node]
        else:
            self.node_status_report_frequency_s = update * -(-dims.status_report_period_s
                                                             // update)
            phase = phases["report"][node]          # its syncs are timed from its first report
        self.processes = [env.process(self.run(phase))]
        self.lease_controller = None
        if version == "improved":
            self.lease_controller = NodeLeaseController(self, dims.lease_renew_s,
                                                        phases["lease"][node])
            self.processes.append(self.lease_controller.process)

    def run(self, phase_s: float) -> Iterator[simpy.Event]:
        env = self.env
        try:
            yield env.timeout(phase_s)
            while True:
                self.sync_node_status()
                yield env.timeout(self.node_status_report_frequency_s)
        except simpy.Interrupt:                      # the node failed
            return

    def sync_node_status(self) -> bool:
        """PATCH the node's status; whether etcd accepted it."""
        return self.recorder.write("PATCH", self.node, "NodeStatus", self.key, self.node_bytes,
                                   self.env.now)

    def fail(self) -> None:
        """The node dies: its kubelet stops at once."""
        for process in self.processes:
            if process.is_alive:
                process.interrupt("node failed")


class NodeLifecycleController:
    """``monitorNodeHealth`` every ``nodeMonitorPeriod`` (5 s): a node whose newest heartbeat —
    the newer of its Lease's ``renewTime`` and its status's ``lastHeartbeatTime`` — is older
    than the grace period is marked NotReady. Here that is an UPDATE of its Node status,
    tried again every period while etcd refuses it."""

    def __init__(self, env: simpy.Environment, recorder: _Recorder, dims: HeartbeatDimensions,
                 monitor_period_s: float = NODE_MONITOR_PERIOD_S) -> None:
        self.env, self.recorder = env, recorder
        self.grace_period_s = dims.grace_period_s
        self.monitor_period_s = monitor_period_s
        self.node_bytes = dims.node_bytes
        self.probe_s = np.zeros(dims.nodes)         # newest heartbeat seen (objects exist at 0)
        self.marked = np.zeros(dims.nodes, dtype=bool)
        self.marked_at_s: dict[int, float] = {}
        recorder.controller = self
        self.process = env.process(self.run())

    def observe(self, node: int, heartbeat_s: float) -> None:
        if heartbeat_s > self.probe_s[node]:
            self.probe_s[node] = heartbeat_s

    def run(self) -> Iterator[simpy.Event]:
        while True:
            yield self.env.timeout(self.monitor_period_s)
            self.monitor_node_health()

    def monitor_node_health(self) -> None:
        now = self.env.now
        stale = np.flatnonzero(~self.marked & (now - self.probe_s > self.grace_period_s))
        for node in stale.tolist():
            # the status update keeps the node's last heartbeat time
            if self.recorder.write("UPDATE", node, "NotReady", f"/registry/minions/node-{node}",
                                   self.node_bytes, float(self.probe_s[node])):
                self.marked[node] = True
                self.marked_at_s[node] = now


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a run, restoring it afterwards.

    A run keeps hundreds of thousands of objects alive (every write's record, etcd's history),
    and the collector would scan them over and over: 40 % of the time at 1,000 nodes. The run
    makes no cyclic garbage that matters (reference counting frees the rest); whatever is
    left is collected after the run as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate(dims: HeartbeatDimensions, version: str = "naive") -> Simulation:
    """Run the heartbeat mechanism event by event with SimPy, through the control plane.

    One :class:`Kubelet` per node writes through an :class:`~kscale_lab.control_plane.ApiServer`
    (PATCH NodeStatus; improved: UPDATE Lease too) into a :class:`~kscale_lab.etcd.Etcd`; the
    apiserver's compactor runs every ``compaction_interval_s``; the
    :class:`NodeLifecycleController` checks every 5 s. Node 0 fails at ``failed_node_at_s``.

    Parameters
    ----------
    dims : HeartbeatDimensions
        At most :data:`SIMULATE_MAX_NODES` nodes.
    version : str
        ``"naive"`` or ``"improved"``.

    Returns
    -------
    Simulation
        Every write, etcd's file size and bytes in use after each accepted write and
        compaction (``t_s``, ``db_size_bytes``, ``in_use_bytes``), when NOSPACE came, how long
        after its failure node 0 was marked NotReady (``None``: never), the store, and the
        :class:`~kscale_lab.control_plane.ApiLoad` the apiserver measured over the horizon.
    """
    version = side_of(version)
    if dims.nodes > SIMULATE_MAX_NODES:
        raise ValueError(f"nodes must be from 1 to {SIMULATE_MAX_NODES} for simulate() (event "
                         f"by event; HeartbeatsModel covers larger clusters); got {dims.nodes}")
    with _cyclic_gc_paused():
        return _simulate(dims, version)


def _simulate(dims: HeartbeatDimensions, version: str) -> Simulation:
    env = simpy.Environment()
    db = Etcd(env, quota_bytes=dims.quota_bytes)
    for n in range(dims.nodes):                   # the objects as they are at t = 0
        db.put(f"/registry/minions/node-{n}", dims.node_bytes, value=0.0)
        if version == "improved":
            db.put(f"/registry/leases/kube-node-lease/node-{n}", LEASE_BYTES, value=0.0)
    for key, size in other_objects(dims):         # pods, services … : live data, never rewritten
        db.put(key, size)
    # history before t = 0 is not this simulation's: start from a compacted store
    db.compact(db.revision)
    api = ApiServer(env, db, compaction_interval_s=dims.compaction_interval_s)
    recorder = _Recorder(env, api)
    recorder.snapshot(0.0)
    controller = NodeLifecycleController(env, recorder, dims)
    ph = _phases(dims)
    kubelets = [Kubelet(env, n, recorder, dims, version, ph) for n in range(dims.nodes)]

    def node_failure() -> Iterator[simpy.Event]:
        yield env.timeout(dims.failed_node_at_s)
        kubelets[0].fail()

    env.process(node_failure())
    env.run(until=dims.horizon_s)
    t, size, used = (np.array(c, dtype=float) for c in zip(*recorder.trace))
    marked = controller.marked_at_s.get(0)
    detected = None if marked is None else marked - dims.failed_node_at_s
    return Simulation(version, recorder.writes, t, size, used, recorder.nospace_at_s, detected,
                      db, api.load(dims.horizon_s))


