"""Chapter 4 at toy scale: endpoint changes arriving while the proxier syncs (SimPy).

A rolling update replaces the backends of one service one by one: every ``rollout_step_s`` a
new pod becomes ready (its endpoint is added) and an old one is removed. Meanwhile the rest of
the cluster changes endpoints at ``endpoint_changes_per_s`` (Poisson, each to a random
service). One node's :class:`Proxier` must apply all of it:

* **iptables** has no incremental API. kube-proxy's ``BoundedFrequencyRunner`` starts a sync
  when a change is pending, at most once per ``minInterval``
  (``--iptables-min-sync-period``, :attr:`KubeProxyDimensions.min_sync_period_s`); the sync
  takes every pending change, and with a **full** restore rewrites the whole table
  (:func:`~kscale_lab.kube_proxy.model.iptables_sync_s` of the *whole* cluster). With a
  **partial** restore (KEP-3453) it writes ``KUBE-SERVICES`` and the changed services' chains,
  and every :data:`~kscale_lab.kube_proxy.model.FULL_RESYNC_PERIOD_S` a full resync rewrites
  everything. Changes that arrive meanwhile wait for the next sync.
* **IPVS** applies each change on its own, one netlink operation each.

:func:`simulate` records, for every change, when it happened and when the kernel had it.
Over a long run its mean lag and its percentiles agree with the closed forms of
:mod:`~kscale_lab.kube_proxy.latency` (``tests/test_kube_proxy.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from kscale_lab.kube_proxy.cluster import SEED
from kscale_lab.kube_proxy.model import (
    FULL_RESYNC_PERIOD_S,
    IPVS_PER_OP_S,
    KubeProxyDimensions,
    iptables_sync_s,
)
from kscale_lab.model import Version, side_of


@dataclass(frozen=True)
class Change:
    """One endpoint change: ``kind`` is ``"rollout"`` or ``"churn"``; ``step`` numbers the
    rollout's steps (the n-th new backend), -1 for churn; ``service`` is the service index
    it changes (the rollout's service is 0)."""

    t_s: float
    kind: str
    step: int
    applied_s: float
    service: int = 0

    @property
    def lag_s(self) -> float:
        return self.applied_s - self.t_s


@dataclass(frozen=True)
class SyncRun:
    """What :func:`simulate` saw.

    Attributes
    ----------
    version : str
        ``"naive"`` (iptables) or ``"improved"`` (IPVS).
    changes : list of Change
        Every change, with when it happened and when the kernel had it.
    syncs : list of (start_s, end_s, changes applied)
        Every kernel update (a sync, or one IPVS operation).
    op_s : float
        One full sync (iptables) or one operation (IPVS), seconds.
    horizon_s : float
        The simulated time.
    full_syncs : int
        How many syncs wrote the whole table.
    """

    version: str
    changes: list[Change]
    syncs: list[tuple[float, float, int]]
    op_s: float
    horizon_s: float
    full_syncs: int = 0

    def mean_lag_s(self, kind: str | None = None) -> float:
        lags = [c.lag_s for c in self.changes if kind is None or c.kind == kind]
        return float(np.mean(lags)) if lags else float("nan")

    def lag_quantile_s(self, q: float) -> float:
        """The ``q`` quantile (0–1) of every change's lag, seconds."""
        return float(np.quantile([c.lag_s for c in self.changes], q))

    def busy_fraction(self) -> float:
        """Fraction of the run (up to the last kernel update) spent applying changes."""
        if not self.syncs:
            return 0.0
        span = max(self.horizon_s, self.syncs[-1][1])
        return sum(end - start for start, end, _ in self.syncs) / span

    def rollout_done_s(self) -> float | None:
        """When the kernel had the last change of the rollout (``None``: no rollout)."""
        done = [c.applied_s for c in self.changes if c.kind == "rollout"]
        return max(done) if done else None


class Proxier:
    """One node's kube-proxy applying endpoint changes, as a SimPy process.

    Parameters
    ----------
    env : simpy.Environment
        The simulation.
    dims : KubeProxyDimensions
        The cluster and the iptables sync settings.
    version : str
        ``"naive"`` (iptables) or ``"improved"`` (IPVS).
    resync_period_s : float
        Time between full resyncs of a partial-restore proxier, seconds.
    """

    def __init__(self, env: simpy.Environment, dims: KubeProxyDimensions, version: str,
                 resync_period_s: float = FULL_RESYNC_PERIOD_S) -> None:
        self.env, self.dims, self.version = env, dims, version
        self.resync_period_s = resync_period_s
        self.pending: list[tuple[float, str, int, int]] = []
        """Changes not yet in the kernel: (time, kind, step, service)."""
        self.done: list[Change] = []
        self.syncs: list[tuple[float, float, int]] = []
        self.full_syncs = 0
        self.last_start_s = -np.inf
        self.last_full_s = 0.0
        self.full_s = float(iptables_sync_s(dims.services, dims.backends_per_service))
        self._wake = env.event()
        self.process = env.process(self.run())

    def notify(self, change: tuple[float, str, int, int]) -> None:
        """An endpoint change reached this node (the informer's event handler)."""
        self.pending.append(change)
        if not self._wake.triggered:
            self._wake.succeed()

    def _full_due(self) -> bool:
        return (self.dims.iptables_restore == "full"
                or self.env.now - self.last_full_s >= self.resync_period_s)

    def run(self):
        """Wait for work, respect the minimum sync period, sync, repeat."""
        env = self.env
        partial = self.dims.iptables_restore == "partial"
        while True:
            if not self.pending:
                self._wake = env.event()
                if self.version == "naive" and partial:
                    until = self.last_full_s + self.resync_period_s - env.now
                    yield self._wake | env.timeout(max(until, 0.0))
                else:
                    yield self._wake
            if self.version == "improved":              # one operation per change
                batch = [self.pending.pop(0)]
                start = env.now
                yield env.timeout(IPVS_PER_OP_S)
                self.syncs.append((start, env.now, 1))
            else:
                earliest = self.last_start_s + self.dims.min_sync_period_s
                if env.now < earliest:                  # BoundedFrequencyRunner.minInterval
                    yield env.timeout(earliest - env.now)
                batch = self.pending[:]
                self.pending.clear()
                full = self._full_due()
                changed = len({svc for *_, svc in batch})
                took = self.full_s if full else float(iptables_sync_s(
                    self.dims.services, self.dims.backends_per_service, "partial",
                    max(changed, 1)))
                start = self.last_start_s = env.now
                if full:
                    self.last_full_s, self.full_syncs = start, self.full_syncs + 1
                yield env.timeout(took)
                self.syncs.append((start, env.now, len(batch)))
            self.done.extend(Change(at, kind, step, env.now, svc)
                             for at, kind, step, svc in batch)


def simulate(dims: KubeProxyDimensions, version: Version | str = "naive", horizon_s: float = 40.0,
             rollout_at_s: float | None = 4.0, rollout_step_s: float = 2.0,
             seed: int = SEED, resync_period_s: float = FULL_RESYNC_PERIOD_S) -> SyncRun:
    """Run one node's proxier through a rolling update and background churn, event by event.

    Parameters
    ----------
    dims : KubeProxyDimensions
        The cluster, its churn and the iptables sync settings.
    version : Version or str
        ``"naive"`` (iptables, with ``dims.iptables_restore``) or ``"improved"`` (IPVS).
    horizon_s : float
        Changes arrive during this many seconds; those still pending are applied after it
        (the run drains).
    rollout_at_s : float or None
        When the rolling update of ``dims.backends_per_service`` backends starts (``None``:
        no rollout); one step (an add and a remove) every ``rollout_step_s`` seconds.
    seed : int
        Seed of the churn's arrival times and services.
    resync_period_s : float
        Seconds between full resyncs of a partial-restore proxier.

    Returns
    -------
    SyncRun
        Every change with its lag, and every kernel update.
    """
    version = side_of(version)
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be positive; got {horizon_s!r}")
    if not rollout_step_s > 0:
        raise ValueError(f"rollout_step_s must be positive; got {rollout_step_s!r}")
    if not resync_period_s > 0:
        raise ValueError(f"resync_period_s must be positive; got {resync_period_s!r}")
    rng = np.random.default_rng(seed)
    arrivals: list[tuple[float, str, int, int]] = []
    t = 0.0
    while True:
        t += float(rng.exponential(1 / dims.endpoint_changes_per_s))
        if t >= horizon_s:
            break
        arrivals.append((t, "churn", -1, int(rng.integers(1, max(dims.services, 2)))))
    if rollout_at_s is not None:
        for k in range(dims.backends_per_service):
            at = rollout_at_s + k * rollout_step_s
            if at < horizon_s:
                arrivals += [(at, "rollout", k, 0), (at, "rollout", k, 0)]  # add new, remove old
    arrivals.sort()

    env = simpy.Environment()
    proxier = Proxier(env, dims, version, resync_period_s)

    def source():
        for change in arrivals:
            yield env.timeout(change[0] - env.now)
            proxier.notify(change)

    env.process(source())
    env.run(until=horizon_s)
    while len(proxier.done) < len(arrivals):       # drain what is still queued or syncing
        env.run(until=env.now + max(proxier.full_s, 1e-3))
    done = sorted(proxier.done, key=lambda c: (c.t_s, c.applied_s))
    op_s = proxier.full_s if version == "naive" else IPVS_PER_OP_S
    return SyncRun(version, done, proxier.syncs, op_s, horizon_s, proxier.full_syncs)
