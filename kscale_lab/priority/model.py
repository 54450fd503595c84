"""Chapter 8, part 2 — a flood beside the node heartbeats: max-inflight pools vs APF.

Chapters 3 and 6 end in overloads — kubelets polling secrets, events flooding the apiserver —
and chapter 2's heartbeat is a request like any other. Here a **noisy client** (a service
account flooding Events with CREATEs, or polling with GETs) runs beside every node's
**Lease renewal** (an UPDATE every 10 s) and a **well-behaved controller** whose requests
are of the noisy client's kind (writes beside a flood of writes, reads beside a storm of
reads):

* **naive** — the max-inflight filter: 400 read-only and 200 mutating seats, 429 at once
  when the request's pool is full. The verb picks the pool, so an Event flood competes with
  every Lease renewal; a polling storm competes with every other read.
* **improved** — API Priority and Fairness (:mod:`kscale_lab.control_plane.flowcontrol`):
  the 600 seats shared among priority levels; kubelets' requests go to node-high (98 seats),
  service accounts' to workload-low (245), whatever their verb; within a level, fair queues
  with shuffle sharding.

At cluster scale the model is closed form (:mod:`.queueing`): Erlang B for the pools, fair
shares and Erlang C for the levels; :func:`~.simulate.simulate` runs the same clients event
by event through the shared control plane (toy scale), and the two must agree
(``tests/test_priority.py``).

Every request holds its seat for ``service_ms`` (illustrative: the apiserver's own defaults
are 2–10 ms, and a loaded apiserver and etcd take longer). A refused renewal is **not
retried** here: the kubelet's lease controller retries at once (up to five attempts,
recalled from ``component-helpers/apimachinery/lease/controller.go``, unverified), and an
attempt a few microseconds after a 429 finds the same full pool; client-go's own retries
after 429s are not modelled. The node lifecycle controller marks a node NotReady when its
Lease is older than the grace period (chapter 2): ``floor(grace / 10 s)`` refused renewals
in a row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kscale_lab.control_plane import ApiLoad
from kscale_lab.control_plane.flowcontrol import (
    DEFAULT_PRIORITY_LEVELS,
    nominal_concurrency_limits,
)
from kscale_lab.dimensions import (
    Dimensions,
    choice,
    dimension,
    require_grace_beyond,
    shared,
)
from kscale_lab.heartbeats import LEASE_BYTES
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.priority.queueing import (
    erlang_b,
    max_min_fair,
    renewal_latency_quantile,
    run_probability,
)

__all__ = ["EVENT_BYTES", "LEASE_RENEW_S", "LEVELS_AND_POOLS", "NOISY_CLIENTS", "Level",
           "PriorityDimensions", "PriorityModel", "PriorityOutcome", "api_load", "level_of",
           "levels", "seats_metric_name"]

#: The kubelet renews its Lease every 0.25 × 40 s (facts file).
LEASE_RENEW_S = 10.0
#: Bytes of one Event the flood creates: illustrative (the facts file gives no size).
EVENT_BYTES = 1000
#: Bytes the well-behaved controller's PATCHes store: illustrative.
WORKLOAD_BYTES = 2000
#: What the noisy client does: its verb, and what it is.
NOISY_CLIENTS = {"event-flood": "CREATE", "polling-storm": "GET"}
#: Which APF level each client's requests land in (through the flow schemas of
#: :data:`~kscale_lab.control_plane.flowcontrol.DEFAULT_FLOW_SCHEMAS`).
LEVEL_OF = {"lease": "node-high", "noisy": "workload-low", "workload": "workload-low"}


@dataclass(frozen=True)
class PriorityDimensions(Dimensions):
    """Nodes renewing Leases, a noisy client, a well-behaved one, and the server's seats."""

    nodes: int = shared("nodes", 5000, help="Each node's kubelet renews its Lease every 10 s")
    noisy_client: str = choice(
        "event-flood", choices=tuple(NOISY_CLIENTS), label="noisy client",
        help="A service account flooding Events (CREATE, a mutating request) or polling "
             "(GET, a read-only request)")
    noisy_requests_per_s: float = dimension(
        6000.0, lo=0.0, hi=20_000.0, step=100.0, unit="req/s", label="noisy requests",
        help="Requests per second of the noisy client (illustrative)")
    workload_requests_per_s: float = dimension(
        200.0, lo=0.0, hi=5000.0, step=10.0, unit="req/s", label="well-behaved requests",
        help="Requests per second of a well-behaved controller, of the noisy client's kind "
             "(writes beside a flood, reads beside a storm)")
    service_ms: float = dimension(
        50.0, lo=1.0, hi=500.0, step=1.0, unit="ms", label="seat time",
        help="How long every request holds its seat (illustrative: the lab apiserver's own "
             "defaults are 2–10 ms; a loaded apiserver takes longer)")
    max_requests_inflight: int = shared(
        "max_requests_inflight", 400,
        help="Before APF a pool of its own; with APF, part of the server's concurrency")
    max_mutating_requests_inflight: int = dimension(
        200, lo=1, hi=3000, unit="seats", label="max-mutating-requests-inflight",
        help="--max-mutating-requests-inflight: mutating seats before APF (200); with APF, "
             "part of the server's concurrency")
    grace_period_s: int = shared(
        "grace_period_s", 40,
        help="Here the heartbeat is the Lease renewal, every 10 s")
    horizon_s: int = dimension(
        3600, lo=60, hi=86_400, step=60, unit="s", label="time span",
        help="The time over which nodes marked NotReady are counted")

    def check(self) -> None:
        require_grace_beyond(self.grace_period_s, LEASE_RENEW_S, "Lease renew interval")

    @property
    def service_s(self) -> float:
        return self.service_ms / 1000

    @property
    def server_concurrency(self) -> int:
        return self.max_requests_inflight + self.max_mutating_requests_inflight

    @property
    def noisy_verb(self) -> str:
        return NOISY_CLIENTS[self.noisy_client]

    @property
    def workload_verb(self) -> str:
        return "PATCH" if self.noisy_verb == "CREATE" else "GET"

    @property
    def lease_requests_per_s(self) -> float:
        return self.nodes / LEASE_RENEW_S


@dataclass(frozen=True)
class Level:
    """One pool (naive) or priority level (improved) and what it does at these dimensions."""

    name: str
    seats: int
    offered: float
    """Seats the requests sent to it would hold (requests/s × seat time)."""
    in_use: float
    """Mean seats in use."""
    rejected_per_s: float


#: How a table shows a pool or level the version does not have.
_ABSENT = "no such pool or level"


def seats_metric_name(level: str) -> str:
    """The metric of a pool or level's seats in use: ``"node-high"`` →
    ``"seats_in_use_node_high"``."""
    return "seats_in_use_" + level.replace("-", "_")


@dataclass(frozen=True)
class PriorityOutcome(Outcome):
    """What the flood does to the Lease renewals (and to everyone else), in one version."""

    lease_renewal_p99_s: float | None = metric(
        unit="s", none="never (every renewal refused)",
        help="99th percentile of the time from a renewal's due time until the Lease is "
             "renewed (a refused renewal waits for the next, 10 s later)")
    lease_renewals_rejected_per_s: float = metric(unit="req/s",
                                                  help="Lease renewals refused with 429")
    nodes_not_ready: float = metric(
        unit="nodes", help="Nodes expected to be marked NotReady at least once within the "
                           "time span (their Lease unrenewed for longer than the grace period)")
    noisy_rejected_per_s: float = metric(unit="req/s", help="The noisy client's requests "
                                                            "refused with 429")
    workload_rejected_per_s: float = metric(unit="req/s", help="The well-behaved "
                                                               "controller's requests refused")
    lease_level_seats: int = metric(unit="seats", help="Seats of the pool or priority level "
                                                       "the Lease renewals use")
    lease_seats_in_use: float = metric(unit="seats", help="Mean seats held by Lease renewals")
    noisy_level_seats: int = metric(unit="seats", help="Seats of the pool or priority level "
                                                       "the noisy client uses")
    noisy_level_seats_in_use: float = metric(unit="seats", help="Mean seats in use in that "
                                                                "pool or level")
    # Mean seats in use in every pool (naive) and priority level (improved), one metric each
    # (metrics are scalars); a pool or level the version does not have is None.
    seats_in_use_read_only: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in the read-only pool "
                                         "(--max-requests-inflight)")
    seats_in_use_mutating: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in the mutating pool "
                                         "(--max-mutating-requests-inflight)")
    seats_in_use_leader_election: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's leader-election level")
    seats_in_use_node_high: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's node-high level (the "
                                         "kubelets' requests, the Lease renewals among them)")
    seats_in_use_system: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's system level")
    seats_in_use_workload_high: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's workload-high level")
    seats_in_use_workload_low: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's workload-low level "
                                         "(service accounts: the noisy client, the "
                                         "well-behaved one)")
    seats_in_use_global_default: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's global-default level")
    seats_in_use_catch_all: float | None = metric(
        unit="seats", none=_ABSENT, help="Mean seats in use in APF's catch-all level")
    levels: tuple[Level, ...] = field(default=(), repr=False)
    """Every pool (naive) or level (improved), for the figure."""

    @property
    def seats_in_use_by_level(self) -> dict[str, float]:
        """Pool or priority level name → mean seats in use, for this version's pools or
        levels only (the ``seats_in_use_<level>`` metrics, as one dict)."""
        return {lv.name: lv.in_use for lv in self.levels}


def level_of(dims: PriorityDimensions, client: str, version: Version | str) -> str:
    """The pool (naive) or APF priority level (improved) of ``client`` (``"lease"``,
    ``"noisy"``, ``"workload"``)."""
    if side_of(version) == "improved":
        return LEVEL_OF[client]
    verb = {"lease": "UPDATE", "noisy": dims.noisy_verb, "workload": dims.workload_verb}[client]
    return "read-only" if verb == "GET" else "mutating"


def _rates(dims: PriorityDimensions) -> dict[str, float]:
    return {"lease": dims.lease_requests_per_s, "noisy": dims.noisy_requests_per_s,
            "workload": dims.workload_requests_per_s}


def levels(dims: PriorityDimensions, version: Version | str
           ) -> tuple[tuple[Level, ...], dict[str, dict[str, Any]]]:
    """Every pool or level, and per client: its level, refusal probability, served rate."""
    side, s = side_of(version), dims.service_s
    rates = _rates(dims)
    if side == "naive":
        seats = {"read-only": dims.max_requests_inflight,
                 "mutating": dims.max_mutating_requests_inflight}
    else:
        seats = nominal_concurrency_limits(dims.server_concurrency)
    members: dict[str, list[str]] = {name: [] for name in seats}
    for client in rates:
        members[level_of(dims, client, side)].append(client)
    clients: dict[str, dict[str, Any]] = {}
    out = []
    for name, c in seats.items():
        names = members[name]
        offered = sum(rates[x] for x in names) * s
        if side == "naive":
            b = erlang_b(c, offered)
            served = {x: rates[x] * (1 - b) for x in names}
        elif name == "node-high":     # thousands of tiny flows: the level's share of them
            total = sum(rates[x] for x in names)
            frac = min(1.0, c / s / total) if total else 1.0
            served = {x: rates[x] * frac for x in names}
        else:                         # one flow per client, max-min fair
            alloc = max_min_fair([rates[x] for x in names], c / s)
            served = dict(zip(names, alloc))
        for x in names:
            refused = 1 - served[x] / rates[x] if rates[x] > 0 else 0.0
            clients[x] = {"level": name, "seats": c, "offered": offered,
                          "reject": max(0.0, refused), "served_per_s": served[x]}
        in_use = sum(served.values()) * s
        out.append(Level(name, c, offered, in_use,
                         sum(rates[x] - served[x] for x in names)))
    return tuple(out), clients


def api_load(dims: PriorityDimensions, version: Version | str) -> ApiLoad:
    """The requests of the three clients (arrived, refused) and what the accepted writes
    store. Objects held are not counted: the Leases are chapter 2's, and how long the
    flood's Events stay (their 1 h TTL) is chapter 6's."""
    _, clients = levels(dims, version)
    rates = _rates(dims)
    verbs = {"lease": "UPDATE", "noisy": dims.noisy_verb, "workload": dims.workload_verb}
    sizes = {"UPDATE": LEASE_BYTES, "CREATE": EVENT_BYTES, "PATCH": WORKLOAD_BYTES, "GET": 0}
    by_verb: dict[str, float] = {}
    for x, verb in verbs.items():
        by_verb[verb] = by_verb.get(verb, 0.0) + rates[x]
    return ApiLoad(by_verb,
                   rejected_per_s=sum(rates[x] - c["served_per_s"] for x, c in clients.items()),
                   etcd_write_bytes_per_s=sum(c["served_per_s"] * sizes[verbs[x]]
                                              for x, c in clients.items()))


class PriorityModel(Model[PriorityDimensions, PriorityOutcome]):
    """Max-inflight pools (naive) vs API Priority and Fairness (improved), beside a flood."""

    key = "priority"
    chapter = 8
    title = "API Priority and Fairness"
    dimensions = PriorityDimensions
    versions = (Version("naive", "max-inflight pools"),
                Version("improved", "API Priority and Fairness"))
    figure_class = "kscale_lab.figures.priority:PriorityFigure"

    def run(self, dims: PriorityDimensions, version: Version) -> PriorityOutcome:
        lv, clients = levels(dims, version)
        lease, noisy = clients["lease"], clients["noisy"]
        p = lease["reject"]
        p99 = renewal_latency_quantile(0.99, p, LEASE_RENEW_S, dims.service_s,
                                       lease["seats"], lease["offered"],
                                       queued=not version.is_naive)
        run = math.floor(dims.grace_period_s / LEASE_RENEW_S)
        renewals = int(dims.horizon_s // LEASE_RENEW_S)
        not_ready = dims.nodes * run_probability(renewals, run, p) if p > 1e-12 else 0.0
        rates = _rates(dims)
        by_name = {x.name: x for x in lv}
        seats_in_use = {seats_metric_name(name): None for name in LEVELS_AND_POOLS}
        seats_in_use.update({seats_metric_name(x.name): x.in_use for x in lv})
        return PriorityOutcome(
            lease_renewal_p99_s=p99,
            lease_renewals_rejected_per_s=rates["lease"] * p,
            nodes_not_ready=not_ready,
            noisy_rejected_per_s=rates["noisy"] * noisy["reject"],
            workload_rejected_per_s=rates["workload"] * clients["workload"]["reject"],
            lease_level_seats=lease["seats"],
            lease_seats_in_use=lease["served_per_s"] * dims.service_s,
            noisy_level_seats=noisy["seats"],
            noisy_level_seats_in_use=by_name[noisy["level"]].in_use,
            **seats_in_use, levels=lv, load=api_load(dims, version))


#: The default levels' names, in order (for figures that lay out every level).
LEVEL_NAMES = tuple(lv.name for lv in DEFAULT_PRIORITY_LEVELS)
#: The max-inflight filter's two pools, then APF's levels: every ``seats_in_use_<name>``.
LEVELS_AND_POOLS = ("read-only", "mutating", *LEVEL_NAMES)
