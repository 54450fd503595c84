"""etcd: an MVCC key-value store with history, compaction, a quota, watches and leases.

What matters for scalability is how etcd keeps *history* and serves it back:

* **MVCC.** Every write (put or delete) creates a new revision; the previous versions of the key
  stay in the store until compaction, for watchers and consistent reads. A delete writes a
  *tombstone*. The store's revision rises by one per write transaction.
* **Compaction** to revision ``r`` drops every version older than ``r`` except each key's
  newest one at or below ``r`` (a key whose newest version there is a tombstone disappears).
  Kubernetes' apiserver drives it every ``--etcd-compaction-interval`` (5 min), compacting to
  the revision it saw at the previous tick (:class:`~kscale_lab.control_plane.ApiServer`).
* **The database file** (bbolt) reuses pages compaction frees but never returns them: its size
  is the high-water mark of the bytes in use, until ``defrag``.
* **The quota** (``--quota-backend-bytes``, 2 GiB by default): a put is admitted only while
  ``db size + size < quota``. The first refused put raises the cluster-wide ``NOSPACE`` alarm;
  then every put is refused — reads, deletes and compaction still work — until an operator
  compacts, defragments and disarms the alarm (etcd's maintenance guide).
* **Watches** stream the events under a key prefix from a start revision on. A start revision
  older than the last compaction is refused with :class:`~.errors.Compacted` ("required
  revision has been compacted") — the root of Kubernetes' ``410 Gone``. A watcher that asked
  for them gets **progress notifications**: the current revision, when nothing else was sent
  for ``--experimental-watch-progress-notify-interval`` (10 min by default in etcd 3.5.1's
  ``--help``), or at once on :meth:`Watch.request_progress`. (That the periodic notification
  skips watchers sent events in the interval is recalled from etcd's code, unverified.)
* **Leases**: ``grant(ttl_s)`` returns a lease; keys put with it are deleted when it expires
  (unless kept alive). Revoking deletes all its keys in *one* revision (checked with etcd
  3.5.1: three keys, one revision). Kubernetes gives Events their 1 h TTL this way.

Sizes are the bytes etcd stores per version (key + value); bbolt's page overhead and the
tombstones' own bytes are ignored. Revisions here count the way etcd's do (starting at 1 for
an empty store). This module knows nothing about Kubernetes objects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

import simpy

from kscale_lab.control_plane.channel import Channel
from kscale_lab.control_plane.errors import Compacted, LeaseNotFound, NoSpaceError

GiB = 1024**3
MiB = 1024**2
DEFAULT_QUOTA_BYTES = 2 * GiB                  # etcd --quota-backend-bytes default
DEFAULT_PROGRESS_NOTIFY_INTERVAL_S = 600.0     # etcd --experimental-watch-progress-notify-interval


class KeyValue(NamedTuple):
    """One version of a key, as etcd's ``mvccpb.KeyValue`` (a tombstone has ``version`` 0)."""

    key: str
    size_bytes: int
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0
    value: Any = None


class Event(NamedTuple):
    """A watch event: ``"PUT"`` (created or modified) or ``"DELETE"`` of ``kv.key``."""

    type: str
    kv: KeyValue

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


class ProgressNotify(NamedTuple):
    """A watch response with no events: every event up to ``revision`` has been sent."""

    revision: int


class Watch(Channel):
    """An etcd watch: every event under ``prefix`` from ``start_revision`` on, in order."""

    def __init__(self, store: Store, prefix: str, start_revision: int,
                 progress_notify: bool) -> None:
        super().__init__(store.env)
        self.store = store
        self.prefix = prefix
        self.start_revision = start_revision
        self.progress_notify = progress_notify
        self._quiet = True                      # nothing sent since the last progress tick

    def request_progress(self) -> None:
        """Ask for the current revision now (etcd's ``RequestProgress``, 3.4+)."""
        self.put(ProgressNotify(self.store.revision))

    def cancel(self) -> None:
        """Stop watching (the stream is closed)."""
        if self in self.store._watches:
            self.store._watches.remove(self)
        self.close()


class _Lease:
    __slots__ = ("id", "ttl_s", "expires_at_s", "keys")

    def __init__(self, lease_id: int, ttl_s: float, expires_at_s: float) -> None:
        self.id, self.ttl_s, self.expires_at_s = lease_id, ttl_s, expires_at_s
        self.keys: set[str] = set()


class Store:
    """etcd's keyspace: revisions, history, compaction, quota, watches and leases.

    ``env`` (a SimPy environment) is needed only for time: lease expiry, periodic progress
    notifications, and watch consumers that wait. Without it the store still works event by
    event (watch events queue up; leases last until revoked).

    Parameters
    ----------
    env : simpy.Environment, optional
    quota_bytes : int
        ``--quota-backend-bytes``; etcd's default is 2 GiB (8 GiB the suggested maximum).
    progress_notify_interval_s : float
        ``--experimental-watch-progress-notify-interval``: 10 min by default (etcd 3.5.1).

    >>> env = simpy.Environment()
    >>> db = Store(env, quota_bytes=10_000)
    >>> w = db.watch("/registry/events/")
    >>> lease = db.grant(ttl_s=60)
    >>> db.put("/registry/events/e1", 500, lease=lease), db.put("/registry/pods/p1", 900)
    (2, 3)
    >>> [(e.type, e.kv.key) for e in w.drain()]
    [('PUT', '/registry/events/e1')]
    >>> env.run(until=61)                      # the lease expires: its keys are deleted
    >>> [(e.type, e.revision) for e in w.drain()], db.kv("/registry/events/e1")
    ([('DELETE', 4)], None)
    >>> db.compact(4)
    >>> try:                                   # history before revision 4 is gone
    ...     db.watch("/registry/", from_revision=2)
    ... except Compacted as err:
    ...     print(err)
    etcdserver: mvcc: required revision has been compacted
    """

    def __init__(self, env: simpy.Environment | None = None, *,
                 quota_bytes: int = DEFAULT_QUOTA_BYTES,
                 progress_notify_interval_s: float = DEFAULT_PROGRESS_NOTIFY_INTERVAL_S) -> None:
        if not quota_bytes > 0:
            raise ValueError(f"quota_bytes must be > 0; got {quota_bytes}")
        if not progress_notify_interval_s > 0:
            raise ValueError(f"progress_notify_interval_s must be > 0 s; "
                             f"got {progress_notify_interval_s}")
        self.env = env
        self.quota_bytes = quota_bytes
        self.progress_notify_interval_s = progress_notify_interval_s
        self.revision = 1
        """The revision of the latest write (etcd starts at 1, an empty store)."""
        self.compacted_revision = 0
        self.in_use_bytes = 0
        """Bytes of every version held: latest versions plus uncompacted history."""
        self.db_size_bytes = 0
        """The database file: the high-water mark of ``in_use_bytes`` since the last defrag."""
        self.alarm: str | None = None
        self.writes = 0
        """Revisions written (puts and delete transactions)."""
        self.refused_writes = 0
        self.written_bytes = 0
        """Bytes of every version ever written."""
        self._history: dict[str, deque[KeyValue]] = {}   # per key, oldest first
        self._live: dict[str, KeyValue] = {}             # latest version of each existing key
        self._log: deque[KeyValue] = deque()             # every version since compaction
        self._watches: list[Watch] = []
        self._leases: dict[int, _Lease] = {}
        self._next_lease = 1
        self._ticker: simpy.Process | None = None

    # --- reads ----------------------------------------------------------------------------
    @property
    def object_count(self) -> int:
        """Keys that exist now (latest version not a tombstone)."""
        return len(self._live)

    def kv(self, key: str) -> KeyValue | None:
        """The latest version of ``key``, or ``None`` if it does not exist."""
        return self._live.get(key)

    def get(self, key: str) -> tuple[int, int] | None:
        """``(mod_revision, size_bytes)`` of the latest version of ``key``, or ``None``."""
        kv = self._live.get(key)
        return None if kv is None else (kv.mod_revision, kv.size_bytes)

    def range(self, prefix: str) -> list[KeyValue]:
        """The latest version of every existing key that starts with ``prefix``, by key."""
        return sorted((kv for k, kv in self._live.items() if k.startswith(prefix)),
                      key=lambda kv: kv.key)

    def versions(self, key: str) -> int:
        """How many versions of ``key`` (tombstones included) are held, not yet compacted."""
        return len(self._history.get(key, ()))

    # --- writes ---------------------------------------------------------------------------
    def put(self, key: str, size_bytes: int, *, value: Any = None, lease: int = 0) -> int:
        """Write a new version of ``key``; return the store's new revision.

        Raises :class:`~.errors.NoSpaceError` (and raises the alarm) if the database file plus
        this write would reach the quota, and :class:`~.errors.LeaseNotFound` for an unknown
        lease. ``value`` is any Python object the version carries (e.g. a heartbeat time).
        """
        return self.put_kv(key, size_bytes, value=value, lease=lease).mod_revision

    def put_kv(self, key: str, size_bytes: int, *, value: Any = None,
               lease: int = 0) -> KeyValue:
        """:meth:`put`, returning the new version itself."""
        if size_bytes < 0:
            raise ValueError(f"size_bytes must be >= 0; got {size_bytes}")
        if self.alarm is None and self.db_size_bytes + size_bytes >= self.quota_bytes:
            self.alarm = "NOSPACE"
        if self.alarm is not None:
            self.refused_writes += 1
            raise NoSpaceError("etcdserver: mvcc: database space exceeded")
        if lease and lease not in self._leases:
            raise LeaseNotFound("etcdserver: requested lease not found")
        self.revision = rev = self.revision + 1
        self.writes += 1
        prev = self._live.get(key)
        if prev is None:
            kv = KeyValue(key, size_bytes, rev, rev, 1, lease, value)
        else:
            kv = KeyValue(key, size_bytes, prev.create_revision, rev, prev.version + 1,
                          lease, value)
            if prev.lease and prev.lease != lease and prev.lease in self._leases:
                self._leases[prev.lease].keys.discard(key)
        if lease:
            self._leases[lease].keys.add(key)
        self._live[key] = kv
        self._record(kv)
        self.in_use_bytes += size_bytes
        if self.in_use_bytes > self.db_size_bytes:
            self.db_size_bytes = self.in_use_bytes
        self.written_bytes += size_bytes
        return kv

    def delete(self, key: str) -> int | None:
        """Delete ``key`` (a tombstone revision); ``None`` and no revision if it is absent."""
        return self._delete_many([key]) if key in self._live else None

    def _delete_many(self, keys: list[str]) -> int:
        """Delete ``keys`` in one transaction: one revision, one tombstone per key."""
        self.revision = rev = self.revision + 1
        self.writes += 1
        for key in keys:
            prev = self._live.pop(key)
            if prev.lease in self._leases:
                self._leases[prev.lease].keys.discard(key)
            self._record(KeyValue(key, 0, 0, rev, 0, 0, None))
        return rev

    def _record(self, kv: KeyValue) -> None:
        history = self._history.get(kv.key)
        if history is None:
            self._history[kv.key] = deque((kv,))
        else:
            history.append(kv)
        self._log.append(kv)
        if self._watches:
            event = Event("DELETE" if kv.version == 0 else "PUT", kv)
            for w in self._watches:
                if kv.mod_revision >= w.start_revision and kv.key.startswith(w.prefix):
                    w._quiet = False
                    w.put(event)

    # --- maintenance ----------------------------------------------------------------------
    def compact(self, revision: int) -> None:
        """Drop every version older than ``revision`` except each key's newest one at or below it.

        Allowed under the NOSPACE alarm. Freed pages are reused; the file does not shrink.
        """
        if revision <= self.compacted_revision:
            return
        revision = min(revision, self.revision)
        gone = []
        for key, versions in self._history.items():
            # keep the newest version at or below `revision`, and everything after it
            while len(versions) > 1 and versions[1].mod_revision <= revision:
                self.in_use_bytes -= versions.popleft().size_bytes
            if versions[0].version == 0 and versions[0].mod_revision <= revision:
                versions.popleft()                      # a tombstone: the key is gone
                if not versions:
                    gone.append(key)
        for key in gone:
            del self._history[key]
        log = self._log
        while log and log[0].mod_revision < revision:
            log.popleft()
        self.compacted_revision = revision

    def defrag(self) -> None:
        """Rewrite the database file: its size falls to the bytes in use."""
        self.db_size_bytes = self.in_use_bytes

    def disarm(self) -> None:
        """Clear the alarm (it is raised again by the next write that does not fit)."""
        self.alarm = None

    # --- watches --------------------------------------------------------------------------
    def watch(self, prefix: str, from_revision: int | None = None, *,
              progress_notify: bool = False) -> Watch:
        """Watch the keys under ``prefix``: the events *after* ``from_revision``, then new ones.

        ``from_revision`` is the last revision the watcher has seen (Kubernetes' convention:
        etcd's own start revision is ``from_revision + 1``); ``None`` watches from now. A start
        revision older than the last compaction raises :class:`~.errors.Compacted`.
        """
        start = self.revision + 1 if from_revision is None else from_revision + 1
        if start < self.compacted_revision:
            raise Compacted(start, self.compacted_revision)
        w = Watch(self, prefix, start, progress_notify)
        replay = []
        for kv in reversed(self._log):
            if kv.mod_revision < start:
                break
            if kv.key.startswith(prefix):
                replay.append(kv)
        for kv in reversed(replay):
            w.put(Event("DELETE" if kv.version == 0 else "PUT", kv))
        self._watches.append(w)
        if progress_notify and self.env is not None and self._ticker is None:
            self._ticker = self.env.process(self._progress_ticker())
        return w

    def _progress_ticker(self) -> Iterator[simpy.Event]:
        """Every interval, tell each quiet progress-notify watcher the current revision."""
        while True:
            yield self.env.timeout(self.progress_notify_interval_s)
            for w in self._watches:
                if w.progress_notify and w._quiet:
                    w.request_progress()
                w._quiet = True

    # --- leases ---------------------------------------------------------------------------
    def grant(self, ttl_s: float) -> int:
        """Grant a lease of ``ttl_s`` seconds; return its id (never 0, which means no lease)."""
        if not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0 s; got {ttl_s}")
        lease = _Lease(self._next_lease, ttl_s, float("inf"))
        self._next_lease += 1
        self._leases[lease.id] = lease
        if self.env is not None:
            lease.expires_at_s = self.env.now + ttl_s
            self.env.process(self._expire(lease))
        return lease.id

    def keep_alive(self, lease: int) -> None:
        """Renew ``lease``: it now expires ``ttl_s`` from now."""
        if lease not in self._leases:
            raise LeaseNotFound("etcdserver: requested lease not found")
        if self.env is not None:
            self._leases[lease].expires_at_s = self.env.now + self._leases[lease].ttl_s

    def time_to_live(self, lease: int) -> float:
        """Seconds until ``lease`` expires (``-1`` if it does not exist, as etcd answers)."""
        found = self._leases.get(lease)
        if found is None:
            return -1.0
        return found.expires_at_s - (self.env.now if self.env is not None else 0.0)

    def lease_keys(self, lease: int) -> set[str]:
        """The keys attached to ``lease``."""
        return set(self._leases[lease].keys) if lease in self._leases else set()

    def revoke(self, lease: int) -> int | None:
        """Revoke ``lease``: delete its keys in one revision (returned; ``None`` if no keys)."""
        found = self._leases.pop(lease, None)
        if found is None:
            raise LeaseNotFound("etcdserver: requested lease not found")
        keys = sorted(k for k in found.keys if k in self._live)
        return self._delete_many(keys) if keys else None

    def _expire(self, lease: _Lease) -> Iterator[simpy.Event]:
        while lease.id in self._leases:
            wait = lease.expires_at_s - self.env.now
            if wait <= 0:
                self.revoke(lease.id)
                return
            yield self.env.timeout(wait)
