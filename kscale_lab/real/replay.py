"""The same heartbeat writes, replayed into the simulated etcd and into a real one.

Chapter 2's kubelets write their Node (and, improved, their Lease) on a schedule; the
apiserver compacts on its own. :func:`heartbeat_writes` takes that schedule from the lab's
event-by-event model (:func:`kscale_lab.heartbeats.simulate`, with the same seeded kubelet
phases) and cuts it into **steps** of cluster time. :func:`replay` then makes exactly those
writes, in that order, into any :class:`Store` — the lab's :class:`~kscale_lab.etcd.Etcd`
(:class:`SimulatedStore`), the same with bbolt's overhead added
(:class:`~kscale_lab.real.bbolt.BboltEtcd`), or a real etcd (:class:`RealStore`) — with the
apiserver's compaction at every tick (``--etcd-compaction-interval``, compacting to the
revision seen at the previous tick), and reads the database size after every step. Time is
compressed: nothing waits, only the order of the writes and the compactions is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kscale_lab.etcd import Etcd, MiB, NoSpaceError

if TYPE_CHECKING:                      # the chapter's model imports Matplotlib: only for types
    from kscale_lab.heartbeats import HeartbeatDimensions
    from kscale_lab.real.etcd import RealEtcd

#: Chapter 2's scaled-down cluster for the real etcd (``HeartbeatDimensions(**SMALL_CLUSTER)``):
#: 30 nodes, the apiserver compacting every minute instead of every 5, 5 minutes, and etcd
#: holding the heartbeats alone (no other objects: the experiment, and bbolt's calibration,
#: are about the heartbeats' revisions).
SMALL_CLUSTER = {"nodes": 30, "compaction_interval_s": 60, "horizon_s": 300,
                 "other_kib_per_node": 0.0}
#: Its etcd quota (``--quota-backend-bytes``): 6 MiB instead of 2 GiB.
SMALL_QUOTA_BYTES = 6 * MiB


@dataclass(frozen=True)
class Write:
    """One write of the sequence: ``size_bytes`` is key + value, as the lab's ``Etcd`` counts."""

    t_s: float
    key: str
    size_bytes: int
    kind: str                    #: ``"NodeStatus"``, ``"Lease"`` or (initial only) ``"Other"``


@dataclass(frozen=True)
class WriteSequence:
    """Objects created at t = 0, then the writes of each step, and the compaction schedule."""

    version: str                                 #: ``"naive"`` or ``"improved"``
    initial: tuple[Write, ...]                   #: every object as it is at t = 0
    steps: tuple[tuple[Write, ...], ...]         #: writes of step i, in time order
    step_s: int                                  #: cluster seconds per step
    compaction_interval_s: int                   #: the apiserver's compaction interval

    @property
    def n_writes(self) -> int:
        return sum(len(s) for s in self.steps)

    def compacts_after_step(self, i: int) -> bool:
        """Whether a compactor tick falls at the end of step ``i`` (at ``(i+1)·step_s``)."""
        return ((i + 1) * self.step_s) % self.compaction_interval_s == 0


def node_key(node: int) -> str:
    return f"/registry/minions/node-{node}"


def lease_key(node: int) -> str:
    return f"/registry/leases/kube-node-lease/node-{node}"


def heartbeat_writes(dims: HeartbeatDimensions, version: str, step_s: int = 10) -> WriteSequence:
    """The heartbeat writes of ``dims`` (a :class:`~kscale_lab.heartbeats.HeartbeatDimensions`).

    Parameters
    ----------
    dims : HeartbeatDimensions
        Nodes, object sizes, periods, compaction interval and horizon. No node fails inside
        the horizon (this experiment is about space, not detection).
    version : {"naive", "improved"}
        Naive: the whole Node every ``status_update_period_s``. Improved: the Lease every
        renew interval and the Node every ``status_report_period_s``.
    step_s : int
        Cluster seconds per step; must divide ``compaction_interval_s`` and ``horizon_s``.

    Returns
    -------
    WriteSequence
    """
    from kscale_lab.heartbeats import LEASE_BYTES, other_objects, simulate

    if version not in ("naive", "improved"):
        raise ValueError(f"version must be 'naive' or 'improved'; got {version!r}")
    if step_s < 1 or dims.compaction_interval_s % step_s or dims.horizon_s % step_s:
        raise ValueError(f"step_s must be ≥ 1 s and divide compaction_interval_s "
                         f"({dims.compaction_interval_s} s) and horizon_s ({dims.horizon_s} s); "
                         f"got {step_s}")
    # the lab's own kubelets, with room for everything; its node 0 fails, here only after the
    # horizon (the run goes one minute longer and its writes from the horizon on are dropped)
    run = simulate(dims.replace(quota_gib=8.0, horizon_s=dims.horizon_s + 60,
                                failed_node_at_s=dims.horizon_s), version)
    initial = [Write(0.0, node_key(n), dims.node_bytes, "NodeStatus") for n in range(dims.nodes)]
    if version == "improved":
        initial += [Write(0.0, lease_key(n), LEASE_BYTES, "Lease") for n in range(dims.nodes)]
    # the cluster's other objects (``other_kib_per_node``), as simulate() creates them
    initial += [Write(0.0, key, size, "Other") for key, size in other_objects(dims)]
    steps: list[list[Write]] = [[] for _ in range(dims.horizon_s // step_s)]
    for w in run.writes:
        if w.kind not in ("NodeStatus", "Lease") or w.t_s >= dims.horizon_s:
            continue
        key = node_key(w.node) if w.kind == "NodeStatus" else lease_key(w.node)
        steps[int(w.t_s // step_s)].append(Write(w.t_s, key, w.size_bytes, w.kind))
    return WriteSequence(version, tuple(initial), tuple(tuple(s) for s in steps), step_s,
                         dims.compaction_interval_s)


class Store(Protocol):
    """What :func:`replay` needs from a store (simulated or real)."""

    def put(self, key: str, size_bytes: int) -> int: ...          # the new revision
    def compact(self, revision: int) -> None: ...
    def sizes(self) -> tuple[int, int]: ...                       # (db size, in use) bytes
    @property
    def revision(self) -> int: ...


class SimulatedStore:
    """The lab's :class:`~kscale_lab.etcd.Etcd` (or a subclass) as a :class:`Store`."""

    def __init__(self, etcd: Etcd):
        self.etcd = etcd

    def put(self, key: str, size_bytes: int) -> int:
        return self.etcd.put(key, size_bytes)

    def compact(self, revision: int) -> None:
        self.etcd.compact(revision)

    def sizes(self) -> tuple[int, int]:
        return int(self.etcd.db_size_bytes), int(self.etcd.in_use_bytes)

    @property
    def revision(self) -> int:
        return self.etcd.revision


class RealStore:
    """A :class:`~kscale_lab.real.etcd.RealEtcd` as a :class:`Store`.

    A write of ``size_bytes`` puts a value of ``size_bytes - len(key)`` bytes, so that key
    plus value is what the simulated store counts. Compactions are physical (the call
    returns once the old revisions are gone). ``commit_before_status`` makes etcd commit its
    pending writes (:meth:`~kscale_lab.real.etcd.RealEtcd.hash`) before each size is read,
    for a member that batches its writes.
    """

    def __init__(self, etcd: RealEtcd, *, commit_before_status: bool = False):
        self.etcd = etcd
        self.commit_before_status = commit_before_status
        self._revision = etcd.status().revision

    def put(self, key: str, size_bytes: int) -> int:
        raw = key.encode()
        self._revision = self.etcd.put(raw, b"x" * max(size_bytes - len(raw), 0))
        return self._revision

    def compact(self, revision: int) -> None:
        self.etcd.compact(revision, physical=True)

    def sizes(self) -> tuple[int, int]:
        if self.commit_before_status:
            self.etcd.hash()
        status = self.etcd.status()
        self._revision = status.revision
        return status.db_size_bytes, status.db_size_in_use_bytes

    @property
    def revision(self) -> int:
        return self._revision


@dataclass(frozen=True)
class ReplayResult:
    """The database after every step of a replay.

    ``t_s[0] = 0`` is the state after the objects were created and compacted; ``t_s[i]`` the
    end of step ``i - 1`` (after its compaction, if a tick fell there).
    """

    t_s: np.ndarray
    db_size_bytes: np.ndarray
    in_use_bytes: np.ndarray
    writes_done: np.ndarray           #: accepted writes so far (the initial objects excluded)
    nospace_write: int | None         #: 1-based index of the first refused write, or None
    nospace_step: int | None          #: the step it happened in
    nospace_message: str | None       #: the store's error text
    compactions: tuple[int, ...]      #: the revisions compacted to, in order

    @property
    def peak_db_size_bytes(self) -> int:
        return int(self.db_size_bytes.max())


def replay(store: Store, seq: WriteSequence, *,
           on_step: Callable[[int, Store], None] | None = None) -> ReplayResult:
    """Make the writes of ``seq`` into ``store``, compacting on the apiserver's schedule.

    The replay stops at the first refused write: under ``NOSPACE`` every later write would be
    refused too, and what an operator does then is up to the caller.

    Parameters
    ----------
    store : Store
        Freshly started: the initial objects are written, then compacted away as history
        from before t = 0, as :func:`kscale_lab.heartbeats.simulate` does.
    seq : WriteSequence
    on_step : callable, optional
        Called as ``on_step(i, store)`` after step ``i`` (for a progress display).

    Returns
    -------
    ReplayResult
    """
    for w in seq.initial:
        store.put(w.key, w.size_bytes)
    store.compact(store.revision)
    t, db, used, done = [0.0], [], [], [0]
    size = store.sizes()
    db.append(size[0])
    used.append(size[1])
    previous_tick: int | None = None
    compactions: list[int] = []
    nospace_write = nospace_step = None
    message = None
    n = 0
    for i, writes in enumerate(seq.steps):
        for w in writes:
            n += 1
            try:
                store.put(w.key, w.size_bytes)
            except NoSpaceError as err:
                nospace_write, nospace_step, message = n, i, str(err)
                break
        if nospace_write is None and seq.compacts_after_step(i):
            if previous_tick is not None:
                store.compact(previous_tick)
                compactions.append(previous_tick)
            previous_tick = store.revision
        size = store.sizes()
        t.append((i + 1) * seq.step_s)
        db.append(size[0])
        used.append(size[1])
        done.append(n - (nospace_write is not None))
        if on_step is not None:
            on_step(i, store)
        if nospace_write is not None:
            break
    return ReplayResult(np.array(t), np.array(db), np.array(used), np.array(done),
                        nospace_write, nospace_step, message, tuple(compactions))
