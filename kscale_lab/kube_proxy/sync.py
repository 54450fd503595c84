"""Chapter 4 at toy scale: endpoint changes arriving while the proxier syncs (SimPy).

A rolling update replaces the backends of one service one by one: every ``rollout_step_s`` a
new pod becomes ready (its endpoint is added) and an old one is removed. Meanwhile the rest of
the cluster changes endpoints at ``endpoint_changes_per_s`` (Poisson). One node's proxier must
apply all of it:

* **iptables** has no incremental API. When a change arrives and the proxier is idle, it
  starts a sync: it takes every pending change, regenerates the whole table and restores it,
  which takes :func:`~kscale_lab.kube_proxy.model.iptables_sync_s` of the *whole* cluster.
  Changes that arrive meanwhile wait for the next sync. At 10,000 services a sync takes
  seconds, so the rule table lags the cluster by seconds.
* **IPVS** applies each change on its own, one netlink operation each.

:func:`simulate` records, for every change, when it happened and when the kernel had it.
Over a long run its mean lag agrees with the closed forms of
:mod:`~kscale_lab.kube_proxy.model` (``tests/test_kube_proxy.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from kscale_lab.kube_proxy.cluster import SEED
from kscale_lab.kube_proxy.model import (
    IPVS_PER_OP_S,
    KubeProxyDimensions,
    iptables_sync_s,
)
from kscale_lab.model import Version, side_of


@dataclass(frozen=True)
class Change:
    """One endpoint change: ``kind`` is ``"rollout"`` or ``"churn"``; ``step`` numbers the
    rollout's steps (the n-th new backend), -1 for churn."""

    t_s: float
    kind: str
    step: int
    applied_s: float

    @property
    def lag_s(self) -> float:
        return self.applied_s - self.t_s


@dataclass(frozen=True)
class SyncRun:
    """What :func:`simulate` saw."""

    version: str
    changes: list[Change]
    syncs: list[tuple[float, float, int]]      # (start, end, changes applied)
    op_s: float                                # one sync (iptables) or one operation (IPVS)
    horizon_s: float

    def mean_lag_s(self, kind: str | None = None) -> float:
        lags = [c.lag_s for c in self.changes if kind is None or c.kind == kind]
        return float(np.mean(lags)) if lags else float("nan")

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


def simulate(dims: KubeProxyDimensions, version: Version | str = "naive", horizon_s: float = 40.0,
             rollout_at_s: float | None = 4.0, rollout_step_s: float = 2.0,
             seed: int = SEED) -> SyncRun:
    """Run one node's proxier through a rolling update and background churn, event by event.

    The rolling update replaces ``dims.backends_per_service`` backends, one every
    ``rollout_step_s`` from ``rollout_at_s`` (``None``: no rollout), each step an add and a
    remove. Changes still pending at ``horizon_s`` are applied after it (the run drains)."""
    version = side_of(version)
    if not horizon_s > 0:
        raise ValueError(f"horizon_s must be positive; got {horizon_s!r}")
    if not rollout_step_s > 0:
        raise ValueError(f"rollout_step_s must be positive; got {rollout_step_s!r}")
    rng = np.random.default_rng(seed)
    arrivals: list[tuple[float, str, int]] = []
    t = 0.0
    while True:
        t += float(rng.exponential(1 / dims.endpoint_changes_per_s))
        if t >= horizon_s:
            break
        arrivals.append((t, "churn", -1))
    if rollout_at_s is not None:
        for k in range(dims.backends_per_service):
            at = rollout_at_s + k * rollout_step_s
            if at < horizon_s:
                arrivals += [(at, "rollout", k), (at, "rollout", k)]   # add new, remove old
    arrivals.sort()
    op_s = (float(iptables_sync_s(dims.services, dims.backends_per_service))
            if version == "naive" else IPVS_PER_OP_S)

    env = simpy.Environment()
    pending: list[tuple[float, str, int]] = []
    done: list[Change] = []
    syncs: list[tuple[float, float, int]] = []
    wake: dict[str, simpy.Event] = {"event": env.event()}

    def source():
        for at, kind, step in arrivals:
            yield env.timeout(at - env.now)
            pending.append((at, kind, step))
            if not wake["event"].triggered:
                wake["event"].succeed()

    def proxier():
        while True:
            if not pending:
                wake["event"] = env.event()
                yield wake["event"]
            if version == "naive":                  # one sync applies everything pending
                batch = pending[:]
                pending.clear()
                start = env.now
                yield env.timeout(op_s)
                syncs.append((start, env.now, len(batch)))
            else:                                   # one operation per change
                batch = [pending.pop(0)]
                start = env.now
                yield env.timeout(op_s)
                syncs.append((start, env.now, 1))
            done.extend(Change(at, kind, step, env.now) for at, kind, step in batch)

    env.process(source())
    env.process(proxier())
    env.run(until=horizon_s)
    while pending or len(done) < len(arrivals):     # drain what is still queued or syncing
        env.run(until=env.now + max(op_s, 1e-3))
    done.sort(key=lambda c: (c.t_s, c.applied_s))
    return SyncRun(version, done, syncs, op_s, horizon_s)
