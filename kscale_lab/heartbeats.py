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
5 s; node-monitor-grace-period 40 s in the talk's era, 50 s from 1.32).

Two scales that agree (``tests/test_heartbeats.py``):

* :func:`simulate` — SimPy, event by event, kubelets writing through the apiserver into a
  real (small) MVCC store, the apiserver's compactor and the node lifecycle controller as
  processes (tens to hundreds of nodes);
* :class:`HeartbeatsModel` — the same writes as :class:`~kscale_lab.etcd.PeriodicWriter`
  streams through :func:`~kscale_lab.etcd.usage_timeline` (thousands of nodes in milliseconds).

The Node object's size is calibrated on one published point: KEP-589's "~20 KB" Node object,
which :data:`NODE_BASE_BYTES` + 50 images + 5 volumes reproduces. Everything else the cluster
keeps in etcd (pods, services, secrets …) is a dimension, :attr:`other_kib_per_node`, whose
default is an estimate, not a measurement.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import DimensionConflict, Dimensions, dimension, shared
from kscale_lab.etcd import Etcd, NoSpaceError, PeriodicWriter, usage_timeline
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.units import GiB, KiB

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
NODE_MONITOR_PERIOD_S = 5            # kube-controller-manager --node-monitor-period
LEASE_RENEW_FRACTION = 0.25          # kubelet nodeLeaseRenewIntervalFraction
SEED = 2019                          # kubelets start at seeded random phases
#: The largest cluster :func:`simulate` runs event by event (above it, use the model).
SIMULATE_MAX_NODES = 500


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
        0.0, lo=0.0, hi=2048.0, step=8.0, unit="KiB", label="other objects/node",
        help="Everything else the cluster keeps in etcd (pods, services, secrets, events "
             "…), per node. An estimate you choose: 30 pods of a few KiB each and their "
             "share of the rest is ~100–200 KiB; 0 keeps etcd to heartbeats alone")
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
    grace_period_s: int = dimension(
        40, lo=5, hi=600, unit="s", label="node-monitor-grace-period",
        help="How stale a node's heartbeat may be before it is marked NotReady (40 s in the "
             "talk's era, 50 s from 1.32)")
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
        for name, period in (("status_update_period_s", self.status_update_period_s),
                             ("lease_duration_s", self.lease_renew_s)):
            if self.grace_period_s <= period:
                what = ("status_update_period_s" if name == "status_update_period_s" else
                        "Lease renew interval (lease_duration_s / 4)")
                raise DimensionConflict(
                    f"grace_period_s must be longer than the {what} ({period} s), or healthy "
                    f"nodes would be marked NotReady; got {self.grace_period_s} s",
                    ("grace_period_s", name))
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
             "comes after the simulated time (never: etcd refuses the mark under NOSPACE)")
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
    """The heartbeats' steady load, closed form: the kubelet PATCHes its Node's status and
    UPDATEs its Lease; etcd stores a whole object per write. No watches are counted here
    (the controllers' watches of Nodes and Leases are chapter 7's subject)."""
    if side_of(version) == "naive":
        verbs = {"PATCH": dims.nodes / dims.status_update_period_s}
        write_bytes = dims.nodes * dims.node_bytes / dims.status_update_period_s
        objects, live = dims.nodes, dims.nodes * dims.node_bytes
    else:
        verbs = {"PATCH": dims.nodes / dims.status_report_period_s,
                 "UPDATE": dims.nodes / dims.lease_renew_s}
        write_bytes = dims.nodes * (dims.node_bytes / dims.status_report_period_s
                                    + LEASE_BYTES / dims.lease_renew_s)
        objects, live = 2 * dims.nodes, dims.nodes * (dims.node_bytes + LEASE_BYTES)
    # the apiserver compacts to its previous tick: on average 1.5 intervals of history held
    history = write_bytes * 1.5 * dims.compaction_interval_s
    return ApiLoad(verbs, etcd_write_bytes_per_s=write_bytes, etcd_objects=objects,
                   etcd_bytes=live + history)


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


class HeartbeatsModel(Model):
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
        tl = tl.until(dims.horizon_s)
        return HeartbeatOutcome(
            api_writes_per_s=sum(w.writes_per_s for w in writers),
            etcd_write_bytes_per_s=sum(w.bytes_per_s for w in writers),
            history_bytes=tl.peak_history_bytes,
            etcd_peak_db_bytes=float(tl.db_size_bytes.max()),
            nospace_at_s=tl.nospace_at_s,
            notready_detection_s=detection,
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


# --- the event-by-event model ----------------------------------------------------------------

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


def simulate(dims: HeartbeatDimensions, version: str = "naive") -> Simulation:
    """Run the heartbeat mechanism event by event with SimPy (meant for ≤ a few hundred nodes).

    Processes: one kubelet per node (naive: NodeStatus every update period; improved: Lease
    every renew interval and NodeStatus every report period), the apiserver's compactor, and
    the node lifecycle controller. Node 0 stops at ``failed_node_at_s``.
    """
    version = side_of(version)
    if dims.nodes > SIMULATE_MAX_NODES:
        raise ValueError(f"nodes must be at most {SIMULATE_MAX_NODES:,} for the event-by-event "
                         f"simulation (use HeartbeatsModel for larger clusters); got "
                         f"{dims.nodes:,}")
    env = simpy.Environment()
    db = Etcd(quota_bytes=dims.quota_bytes)
    writes: list[WriteEvent] = []
    trace: list[tuple[float, int, int]] = []
    last_beat = np.zeros(dims.nodes)               # objects exist at t = 0
    state: dict[str, float | None] = {"nospace": None, "detected": None}

    def write(node: int, kind: str, key: str, size: int) -> bool:
        try:
            db.put(key, size)
        except NoSpaceError:
            if state["nospace"] is None:
                state["nospace"] = env.now
            writes.append(WriteEvent(env.now, node, kind, size, False))
            return False
        writes.append(WriteEvent(env.now, node, kind, size, True))
        trace.append((env.now, db.db_size_bytes, db.in_use_bytes))
        return True

    def loop(node: int, kind: str, key: str, size: int, phase: float, period: int):
        yield env.timeout(phase)
        while node != 0 or env.now < dims.failed_node_at_s:
            if write(node, kind, key, size):
                last_beat[node] = max(last_beat[node], env.now)
            yield env.timeout(period)

    def compactor():
        previous = None                           # the apiserver compacts to the last tick's rev
        while True:
            yield env.timeout(dims.compaction_interval_s)
            if previous is not None:
                db.compact(previous)
                trace.append((env.now, db.db_size_bytes, db.in_use_bytes))
            previous = db.revision

    def node_lifecycle_controller():
        while state["detected"] is None:
            yield env.timeout(NODE_MONITOR_PERIOD_S)
            if env.now - last_beat[0] > dims.grace_period_s:
                if write(0, "NotReady", "/registry/minions/node-0", dims.node_bytes):
                    state["detected"] = env.now - dims.failed_node_at_s

    for n in range(dims.nodes):                   # the objects as they are at t = 0
        db.put(f"/registry/minions/node-{n}", dims.node_bytes)
        if version == "improved":
            db.put(f"/registry/leases/kube-node-lease/node-{n}", LEASE_BYTES)
    trace.append((0.0, db.db_size_bytes, db.in_use_bytes))
    # history before t = 0 is not this simulation's: start from a compacted store
    db.compact(db.revision)
    ph = _phases(dims)
    for n in range(dims.nodes):
        node_key = f"/registry/minions/node-{n}"
        if version == "naive":
            env.process(loop(n, "NodeStatus", node_key, dims.node_bytes, ph["status"][n],
                             dims.status_update_period_s))
        else:
            env.process(loop(n, "Lease", f"/registry/leases/kube-node-lease/node-{n}",
                             LEASE_BYTES, ph["lease"][n], dims.lease_renew_s))
            env.process(loop(n, "NodeStatus", node_key, dims.node_bytes, ph["report"][n],
                             dims.status_report_period_s))
    env.process(compactor())
    env.process(node_lifecycle_controller())
    env.run(until=dims.horizon_s)
    t, size, used = (np.array(c, dtype=float) for c in zip(*trace))
    return Simulation(version, writes, t, size, used, state["nospace"], state["detected"], db)


