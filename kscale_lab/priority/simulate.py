"""Event by event: Lease renewals, a noisy client and a well-behaved one, through the
shared control plane — behind the max-inflight pools, or behind API Priority and Fairness.

* naive: the :class:`~kscale_lab.control_plane.ApiServer` itself, with its two
  :class:`~kscale_lab.control_plane.InFlightPool`\\ s (429 at once when full);
* improved: an :class:`~kscale_lab.control_plane.flowcontrol.ApfServer` in front of an
  ApiServer without pools.

Every client sends real requests to a real (small) store: each node's :class:`LeaseRenewer`
UPDATEs its Lease every 10 s from a seeded phase; the :class:`PoissonClient`\\ s send at
random (Poisson) times. Toy scale — tens to hundreds of nodes, tens of seats — where the
closed form of :mod:`.model` must agree (``tests/test_priority.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from kscale_lab.control_plane import ApiLoad, ApiServer, Store, TooManyRequests
from kscale_lab.control_plane.flowcontrol import ApfServer
from kscale_lab.heartbeats import LEASE_BYTES
from kscale_lab.model import Version, side_of
from kscale_lab.priority.model import (
    EVENT_BYTES,
    LEASE_RENEW_S,
    WORKLOAD_BYTES,
    PriorityDimensions,
)

__all__ = ["LeaseRenewer", "MaxInFlightFront", "PoissonClient", "PrioritySimulation",
           "Renewal", "simulate"]

SEED = 1040
#: :func:`simulate` refuses more: it is the toy scale (event by event, every request).
MAX_TOY_REQUESTS = 400_000
SAMPLE_S = 0.25                          # how often the seats in use are sampled


class MaxInFlightFront:
    """The pre-APF apiserver as the clients see it: :meth:`request` raises 429 at once when
    the request's pool is full, or returns an event that fires when it is done."""

    def __init__(self, env: simpy.Environment, api: ApiServer) -> None:
        self.env, self.api = env, api

    def request(self, verb: str, key: str, size_bytes: int = 0, value: Any = None, *,
                user: str, groups: tuple[str, ...] = ()) -> simpy.Event:
        result = self.api.request(verb, key, size_bytes, value)       # may raise 429
        return self.env.timeout(self.api.service_s[verb], result)


@dataclass(frozen=True)
class Renewal:
    """One Lease renewal: when it was due, whether it was accepted, when it finished."""

    node: int
    due_s: float
    accepted: bool
    done_s: float | None


class LeaseRenewer:
    """A kubelet's node lease controller (``controller.Run`` → ``sync`` every renew interval):
    one UPDATE of its Lease, as ``system:node:<name>`` in group ``system:nodes``; a 429 is
    recorded and not retried (see :mod:`.model`)."""

    def __init__(self, env: simpy.Environment, front: Any, node: int, phase_s: float,
                 record: list[Renewal]) -> None:
        self.env, self.front, self.node = env, front, node
        self.key = f"/registry/leases/kube-node-lease/node-{node}"
        self.user = f"system:node:node-{node}"
        self.record = record
        self.process = env.process(self.run(phase_s))

    def run(self, phase_s: float) -> Iterator[simpy.Event]:
        yield self.env.timeout(phase_s)
        while True:
            self.sync()
            yield self.env.timeout(LEASE_RENEW_S)

    def sync(self) -> None:
        due = self.env.now
        try:
            done = self.front.request("UPDATE", self.key, LEASE_BYTES, due, user=self.user,
                                      groups=("system:nodes", "system:authenticated"))
        except TooManyRequests:
            self.record.append(Renewal(self.node, due, False, None))
            return
        done.callbacks.append(lambda _ev: self.record.append(
            Renewal(self.node, due, True, self.env.now)))


class PoissonClient:
    """A client sending ``rate_per_s`` requests at random times (exponential gaps), as one
    service account; ``make(i)`` gives the i-th request's ``(verb, key, size_bytes)``."""

    def __init__(self, env: simpy.Environment, front: Any, name: str, rate_per_s: float,
                 make: Callable[[int], tuple[str, str, int]], rng: np.random.Generator) -> None:
        self.env, self.front, self.name = env, front, name
        self.rate_per_s, self.make, self.rng = rate_per_s, make, rng
        self.sent = self.rejected = 0
        if rate_per_s > 0:
            self.process = env.process(self.run())

    def run(self) -> Iterator[simpy.Event]:
        while True:
            yield self.env.timeout(self.rng.exponential(1 / self.rate_per_s))
            verb, key, size = self.make(self.sent)
            self.sent += 1
            try:
                self.front.request(verb, key, size, user=f"system:serviceaccount:{self.name}",
                                   groups=("system:serviceaccounts", "system:authenticated"))
            except TooManyRequests:
                self.rejected += 1


@dataclass(frozen=True)
class PrioritySimulation:
    """What :func:`simulate` measured."""

    version: str
    dims: PriorityDimensions
    horizon_s: float
    renewals: list[Renewal]
    noisy_sent: int
    noisy_rejected: int
    workload_sent: int
    workload_rejected: int
    seats: dict[str, int]
    """Seats of each pool (naive) or level (improved)."""
    seat_samples: dict[str, np.ndarray]
    """Seats in use, sampled every :data:`SAMPLE_S` seconds, per pool or level."""
    waiting_samples: dict[str, np.ndarray]
    """Requests waiting in each level's queues (improved; zeros for the pools)."""
    sample_t_s: np.ndarray
    load: ApiLoad = field(default_factory=ApiLoad)

    def per_s(self, count: int) -> float:
        return count / self.horizon_s

    @property
    def lease_rejected_per_s(self) -> float:
        return self.per_s(sum(1 for r in self.renewals if not r.accepted))

    def renewal_latencies_s(self) -> np.ndarray:
        """For each renewal: from its due time until the Lease was next renewed (by it, or a
        later accepted renewal of the same node); renewals never followed by one are left
        out."""
        out = []
        by_node: dict[int, list[Renewal]] = {}
        for r in self.renewals:
            by_node.setdefault(r.node, []).append(r)
        for rs in by_node.values():
            rs.sort(key=lambda r: r.due_s)
            next_done = None
            for r in reversed(rs):
                if r.accepted:
                    next_done = r.done_s
                if next_done is not None:
                    out.append(next_done - r.due_s)
        return np.array(out)

    def nodes_not_ready(self, grace_period_s: float) -> int:
        """Nodes with ``floor(grace / 10 s)`` or more refused renewals in a row."""
        run = int(grace_period_s // LEASE_RENEW_S)
        by_node: dict[int, list[Renewal]] = {}
        for r in self.renewals:
            by_node.setdefault(r.node, []).append(r)
        count = 0
        for rs in by_node.values():
            rs.sort(key=lambda r: r.due_s)
            streak = best = 0
            for r in rs:
                streak = 0 if r.accepted else streak + 1
                best = max(best, streak)
            count += best >= run
        return count


def simulate(dims: PriorityDimensions, version: Version | str = "naive", *,
             horizon_s: float | None = None, seed: int = SEED) -> PrioritySimulation:
    """Run the three clients against the pools (naive) or APF (improved) with SimPy.

    Parameters
    ----------
    dims : PriorityDimensions
        At toy scale: at most :data:`MAX_TOY_REQUESTS` requests over the run.
    version : Version or str
        ``"naive"`` or ``"improved"``.
    horizon_s : float, optional
        Simulated seconds (default ``dims.horizon_s``); renewals due in the last renew
        interval are still recorded.
    seed : int
        Seeds the kubelets' phases and the Poisson clients.

    Returns
    -------
    PrioritySimulation
        Every renewal, the clients' counts, seat use sampled over time, the measured load.
    """
    side = side_of(version)
    horizon = float(dims.horizon_s if horizon_s is None else horizon_s)
    if not horizon > 0:
        raise ValueError(f"horizon_s must be > 0 s; got {horizon_s!r}")
    total = (dims.lease_requests_per_s + dims.noisy_requests_per_s
             + dims.workload_requests_per_s) * horizon
    if total > MAX_TOY_REQUESTS:
        raise ValueError(f"simulate() runs every request: the clients would send about "
                         f"{total:,.0f} requests, more than {MAX_TOY_REQUESTS:,}; use fewer "
                         f"nodes or requests/s, or a shorter horizon_s (PriorityModel covers "
                         f"any size)")
    env = simpy.Environment()
    store = Store(env)
    s = dims.service_s
    times = dict(get_s=s, create_s=s, update_s=s, delete_s=s, list_s=s, list_per_object_s=0.0,
                 compaction_interval_s=0)
    for node in range(dims.nodes):
        store.put(f"/registry/leases/kube-node-lease/node-{node}", LEASE_BYTES, value=0.0)
    for i in range(10):
        store.put(f"/registry/deployments/apps/app-{i}", WORKLOAD_BYTES)
        store.put(f"/registry/configmaps/tenant/cm-{i}", WORKLOAD_BYTES)
    if side == "naive":
        api = ApiServer(env, store, max_requests_inflight=dims.max_requests_inflight,
                        max_mutating_requests_inflight=dims.max_mutating_requests_inflight,
                        **times)
        front: Any = MaxInFlightFront(env, api)
        pools = {"read-only": api.readonly, "mutating": api.mutating}
        seats = {name: pool.capacity for name, pool in pools.items()}
    else:
        api = ApiServer(env, store, max_requests_inflight=0, max_mutating_requests_inflight=0,
                        **times)
        front = ApfServer(env, api, server_concurrency=dims.server_concurrency)
        seats = dict(front.seats)
    rng = np.random.default_rng(seed)
    renewals: list[Renewal] = []
    phases = rng.uniform(0, LEASE_RENEW_S, dims.nodes)
    for node in range(dims.nodes):
        LeaseRenewer(env, front, node, float(phases[node]), renewals)
    noisy_verb = dims.noisy_verb
    if noisy_verb == "CREATE":
        def noisy(i: int) -> tuple[str, str, int]:
            return "CREATE", f"/registry/events/tenant/flood-{i}", EVENT_BYTES

        def work(i: int) -> tuple[str, str, int]:
            return "PATCH", f"/registry/deployments/apps/app-{i % 10}", WORKLOAD_BYTES
    else:
        def noisy(i: int) -> tuple[str, str, int]:
            return "GET", f"/registry/configmaps/tenant/cm-{i % 10}", 0

        def work(i: int) -> tuple[str, str, int]:
            return "GET", f"/registry/deployments/apps/app-{i % 10}", 0
    flood = PoissonClient(env, front, "tenant:noisy", dims.noisy_requests_per_s, noisy,
                          np.random.default_rng(seed + 1))
    workload = PoissonClient(env, front, "apps:controller", dims.workload_requests_per_s, work,
                             np.random.default_rng(seed + 2))
    samples: dict[str, list[int]] = {name: [] for name in seats}
    waiting: dict[str, list[int]] = {name: [] for name in seats}
    sample_t: list[float] = []

    def sampler() -> Iterator[simpy.Event]:
        while True:
            sample_t.append(env.now)
            for name in seats:
                if side == "naive":
                    samples[name].append(pools[name].count)
                    waiting[name].append(0)
                else:
                    samples[name].append(front.levels[name].executing)
                    waiting[name].append(front.levels[name].waiting)
            yield env.timeout(SAMPLE_S)

    env.process(sampler())
    env.run(until=horizon)
    return PrioritySimulation(
        side, dims, horizon, renewals, flood.sent, flood.rejected, workload.sent,
        workload.rejected, seats, {k: np.array(v) for k, v in samples.items()},
        {k: np.array(v) for k, v in waiting.items()}, np.array(sample_t), api.load(horizon))
