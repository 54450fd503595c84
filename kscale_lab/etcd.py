"""A simulated etcd: MVCC revisions, compaction, a database file that only grows, a quota.

What matters for scalability is how etcd *stores history*:

* **MVCC.** Every write creates a new revision of the key; the old revision is kept (watchers
  and consistent reads may still need it). The store's revision counter rises by one per write.
* **Compaction** drops the revisions older than a given revision, keeping the latest version
  of every key. Kubernetes' apiserver drives it (``--etcd-compaction-interval``, default 5 min):
  at every tick it compacts to the revision it recorded at the *previous* tick, so up to two
  intervals of history are held (``storage/etcd3/compact.go``).
* **The database file** (bbolt) reuses the pages that compaction frees, but never returns them
  to the file system: its size is the high-water mark of the bytes in use, until ``defrag``.
* **The quota** (``--quota-backend-bytes``, default 2 GiB): a write is admitted only while
  ``db size + cost < quota``. The first refused write raises the cluster-wide ``NOSPACE``
  alarm; from then on every write is refused — reads and deletes still work — until an
  operator compacts, defragments and disarms the alarm (etcd's maintenance guide).

Two implementations of the same rules, which the tests hold to agree:

* :class:`Etcd` — event by event, a real (small) MVCC store; used by the SimPy models (it is
  the control plane's :class:`~kscale_lab.control_plane.Store`).
* :func:`usage_timeline` — vectorised over time steps, for whole clusters in milliseconds;
  fed by :class:`PeriodicWriter` streams (objects rewritten every period).

Sizes are the bytes etcd stores per revision (key + value); bbolt's page overhead is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kscale_lab.control_plane.errors import NoSpaceError
from kscale_lab.control_plane.store import DEFAULT_QUOTA_BYTES, GiB, MiB, Store

DEFAULT_COMPACTION_INTERVAL_S = 300           # kube-apiserver --etcd-compaction-interval

__all__ = ["DEFAULT_COMPACTION_INTERVAL_S", "DEFAULT_QUOTA_BYTES", "Etcd", "GiB", "MiB",
           "NoSpaceError", "PeriodicWriter", "Timeline", "usage_timeline"]


class Etcd(Store):
    """A small but real MVCC store that tracks the bytes it holds.

    This is the control plane's :class:`~kscale_lab.control_plane.Store` under the name
    chapter 2 uses; here only its MVCC, compaction, file size and quota matter (it also
    deletes, watches and grants leases).

    >>> db = Etcd(quota_bytes=1000)
    >>> db.put("/registry/leases/node-1", 300), db.put("/registry/leases/node-1", 300)
    (2, 3)
    >>> db.in_use_bytes, db.db_size_bytes
    (600, 600)
    >>> db.compact(3); db.in_use_bytes, db.db_size_bytes   # the file does not shrink
    (300, 600)
    >>> db.defrag(); db.db_size_bytes
    300
    """


@dataclass(frozen=True)
class PeriodicWriter:
    """``len(phases_s)`` objects of ``size_bytes``, each rewritten every ``period_s`` seconds.

    Object ``k`` is written at ``phases_s[k] + j * period_s`` for ``j = 0, 1, …`` while that
    time is before ``stop_s`` (a node that fails stops writing). ``period_s`` is a whole number
    of seconds, as every Kubernetes period used here is.
    """

    name: str
    phases_s: np.ndarray
    size_bytes: int
    period_s: int
    stop_s: float = float("inf")

    def __post_init__(self) -> None:
        if isinstance(self.period_s, bool) or not isinstance(self.period_s, (int, np.integer)) \
                or self.period_s < 1:
            raise ValueError(f"period_s must be a whole number of seconds, at least 1; got "
                             f"{self.period_s!r}")
        if not np.isfinite(self.size_bytes) or self.size_bytes < 0:
            raise ValueError(f"size_bytes must be a finite number of at least 0; got "
                             f"{self.size_bytes!r}")
        phases = np.asarray(self.phases_s, dtype=float)
        if phases.size and (not np.all(np.isfinite(phases)) or phases.min() < 0):
            raise ValueError("phases_s must be finite times of at least 0 s")

    @property
    def count(self) -> int:
        return len(self.phases_s)

    @property
    def writes_per_s(self) -> float:
        return self.count / self.period_s

    @property
    def bytes_per_s(self) -> float:
        return self.count * self.size_bytes / self.period_s

    def bytes_per_step(self, steps: int, step_s: int = 1) -> np.ndarray:
        """Bytes written in each step ``[i*step_s, (i+1)*step_s)`` for ``steps`` steps."""
        horizon = steps * step_s
        if self.count == 0:
            return np.zeros(steps)
        if np.isinf(self.stop_s) or self.stop_s >= horizon:
            # one period's histogram of write times, tiled over the horizon
            first = np.floor(self.phases_s).astype(np.int64)
            per_s = np.bincount(first % self.period_s, minlength=self.period_s).astype(float)
            reps = -(-horizon // self.period_s)
            # second s holds the objects whose first write falls at s mod period (s >= first)
            seconds = np.tile(per_s, reps)[:horizon]
        else:
            times = (self.phases_s[:, None] + self.period_s
                     * np.arange(-(-horizon // self.period_s))[None, :]).ravel()
            times = times[times < min(self.stop_s, horizon)]
            seconds = np.bincount(np.floor(times).astype(np.int64), minlength=horizon)[:horizon]
            seconds = seconds.astype(float)
        return seconds.reshape(steps, step_s).sum(axis=1) * self.size_bytes


@dataclass(frozen=True)
class Timeline:
    """etcd's space over time, one value per step (at the end of the step, before compaction)."""

    t_s: np.ndarray                 # step end times
    in_use_bytes: np.ndarray        # live data + history not yet compacted
    db_size_bytes: np.ndarray       # the bbolt file: high-water mark of in_use
    nospace_at_s: float | None      # when the first write was refused, or None
    peak_history_bytes: float       # most superseded history held at once
    history_bytes: np.ndarray | None = None   # superseded history held, per step

    def until(self, t_s: float) -> Timeline:
        """The same timeline cut at ``t_s``: a NOSPACE after it is not within the run."""
        keep = self.t_s <= t_s
        history = None if self.history_bytes is None else self.history_bytes[keep]
        nospace = self.nospace_at_s if self.nospace_at_s is not None \
            and self.nospace_at_s <= t_s else None
        peak = float(history.max(initial=0.0)) if history is not None else self.peak_history_bytes
        return Timeline(self.t_s[keep], self.in_use_bytes[keep], self.db_size_bytes[keep],
                        nospace, peak, history)


def usage_timeline(bytes_per_step: np.ndarray, *, step_s: int = 1, live_bytes: float,
                   compaction_interval_s: int = DEFAULT_COMPACTION_INTERVAL_S,
                   quota_bytes: float = DEFAULT_QUOTA_BYTES,
                   max_write_bytes: float = 0.0) -> Timeline:
    """etcd's in-use bytes, file size and NOSPACE time for a stream of writes, vectorised.

    ``bytes_per_step[i]`` is what is written in step ``i``; ``live_bytes`` is the latest
    version of every key (present from t = 0; each key keeps its size). The apiserver's
    compactor ticks every ``compaction_interval_s`` and compacts to the revision of its
    previous tick, so before a tick at time ``k*C`` the history since ``(k-2)*C`` is held.
    NOSPACE comes when the file size plus a write (``max_write_bytes``) reaches the quota;
    writes stop there (the alarm is never disarmed in this model).
    """
    w = np.asarray(bytes_per_step, dtype=float)
    n = len(w)
    if w.size and (not np.all(np.isfinite(w)) or w.min() < 0):
        raise ValueError("bytes_per_step must be finite and at least 0 in every step")
    for name, value, lo in (("step_s", step_s, 1), ("compaction_interval_s",
                                                     compaction_interval_s, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < lo:
            raise ValueError(f"{name} must be a whole number of seconds, at least {lo}; got "
                             f"{value!r}")
    for name, value in (("live_bytes", live_bytes), ("quota_bytes", quota_bytes),
                        ("max_write_bytes", max_write_bytes)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of at least 0; got {value!r}")
    if compaction_interval_s % step_s:
        raise ValueError(f"compaction_interval_s must be a multiple of step_s ({step_s} s); "
                         f"got {compaction_interval_s}")
    t_end = (np.arange(n) + 1) * step_s
    cum = np.concatenate(([0.0], np.cumsum(w)))            # cum[i] = bytes written before step i
    # ticks strictly before the end of step i: ceil(t/C) - 1; target = previous tick
    ticks = -(-t_end // compaction_interval_s) - 1
    target_step = np.maximum(ticks - 1, 0) * (compaction_interval_s // step_s)
    history = cum[1:] - cum[target_step]
    in_use = live_bytes + history
    threshold = quota_bytes - max_write_bytes
    over = np.flatnonzero(in_use >= threshold)
    nospace_at: float | None = None
    if over.size:
        # the threshold is crossed inside step i: writes are spread evenly over a step
        i = over[0]
        start = in_use[i] - w[i]
        frac = min(max((threshold - start) / w[i], 0.0), 1.0) if w[i] > 0 else 0.0
        nospace_at = float(i * step_s + step_s * frac)
        # from the alarm on, every write is refused: nothing more is stored
        stored = np.concatenate((w[:i], [frac * w[i]], np.zeros(n - i - 1)))
        cum = np.concatenate(([0.0], np.cumsum(stored)))
        history = cum[1:] - cum[target_step]
        in_use = live_bytes + history
    db = np.maximum.accumulate(in_use)
    return Timeline(t_s=t_end.astype(float), in_use_bytes=in_use, db_size_bytes=db,
                    nospace_at_s=nospace_at, peak_history_bytes=float(history.max(initial=0.0)),
                    history_bytes=history)
