"""API Priority and Fairness: priority levels, flow schemas, fair queues with shuffle sharding.

Before APF, kube-apiserver admitted requests through two in-flight pools (400 read-only, 200
mutating seats; :class:`~.apiserver.InFlightPool`) and answered 429 at once when one was full:
no notion of *whose* request it was, so a flood of low-value requests could take every seat a
node's heartbeat needed. API Priority and Fairness (KEP-1040: alpha 1.18, beta and on by
default from 1.20, GA 1.29; ``apiserver/pkg/util/flowcontrol``) replaces them:

1. **Classification.** Each request is matched to a :class:`FlowSchema` (the matching one
   with the numerically lowest ``matchingPrecedence``), which names a **priority level** and
   how to tell *flows* apart (``ByUser`` or ``ByNamespace``): a flow is (schema,
   distinguisher), e.g. one node's kubelet.
2. **Seats per level.** The server's concurrency limit — ``--max-requests-inflight`` plus
   ``--max-mutating-requests-inflight``, 400 + 200 = 600 seats — is divided among the
   levels in proportion to their nominal concurrency shares:
   ``NominalCL(i) = ceil(ServerCL × NCS(i) / Σ NCS)`` (:func:`nominal_concurrency_limits`).
   The default levels' shares: leader-election 10, node-high 40, system 30, workload-high 40,
   workload-low 100, global-default 20, catch-all 5 (facts file; the exempt level has none).
   Reads and writes share a level's seats: the verb no longer picks the pool.
3. **Fair queuing with shuffle sharding** (``fairqueuing/queueset``). A request that finds
   its level's seats busy waits in one of the level's queues. Its flow is hashed and the
   hash deals a *hand* of ``handSize`` queues out of ``queues`` (:func:`deal_hand`); the
   request joins the shortest queue of its hand, or is rejected (429) if that queue already
   holds ``queueLengthLimit`` requests. A freed seat goes to the next non-empty queue in
   turn, so a heavy flow fills only the queues of its hand and cannot starve the flows whose
   hands hold other queues.

The facts file gives the shares and the seat formula, and "e.g. 128 queues, hand size 6";
the API reference (``V1QueuingConfiguration``, as in the official Python client, API release
1.37) says ``queueLengthLimit`` defaults to 50, that ``handSize`` "is used to shuffle the
list of queues and deal a hand", and that the request is put into one of the shortest queues
of its hand. **Chosen here, unverified:** every level uses 128 queues, hand size 6 and
queue length 50; the default flow schemas (:data:`DEFAULT_FLOW_SCHEMAS`) are reduced to the
ones this course needs, with their precedences chosen; the hand is dealt from a SHA-256 of
the flow (kube-apiserver uses its own hash); a freed seat goes to the next non-empty queue
round-robin, which is fair queuing when requests cost the same (the real queueset orders
queues by virtual finish times estimated from service times); a request waits in its queue
without a deadline. Not modelled: the exempt level, seat borrowing between levels
(``lendablePercent``, ``borrowingLimitPercent`` in the API reference), requests that take
several seats (LISTs, WATCH starts), and levels that reject rather than queue.

>>> nominal_concurrency_limits(600)["node-high"], nominal_concurrency_limits(600)["workload-low"]
(98, 245)
>>> deal_hand(flow_hash("system-nodes", "system:node:node-1"), 128, 6)
[37, 127, 54, 47, 3, 28]
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from kscale_lab.control_plane.apiserver import ApiServer
from kscale_lab.control_plane.errors import TooManyRequests

__all__ = ["DEFAULT_FLOW_SCHEMAS", "DEFAULT_PRIORITY_LEVELS", "ApfServer", "FlowSchema",
           "PriorityLevel", "QueueSet", "deal_hand", "flow_hash", "hand_overlap_probability",
           "nominal_concurrency_limits"]

#: Queues per level, hand size, queue length: the facts file's example (128, 6) and the API
#: reference's default queue length (50), used for every level here (unverified per level).
QUEUES, HAND_SIZE, QUEUE_LENGTH_LIMIT = 128, 6, 50


@dataclass(frozen=True)
class PriorityLevel:
    """A ``PriorityLevelConfiguration`` of type Limited, with a Queue limit response."""

    name: str
    nominal_concurrency_shares: int
    queues: int = QUEUES
    hand_size: int = HAND_SIZE
    queue_length_limit: int = QUEUE_LENGTH_LIMIT

    def __post_init__(self) -> None:
        if not (isinstance(self.nominal_concurrency_shares, int)
                and self.nominal_concurrency_shares >= 0):
            raise ValueError(f"nominal_concurrency_shares of {self.name} must be an integer "
                             f">= 0; got {self.nominal_concurrency_shares!r}")
        if not (isinstance(self.queues, int) and self.queues >= 1):
            raise ValueError(f"queues of {self.name} must be an integer >= 1; "
                             f"got {self.queues!r}")
        if not (isinstance(self.hand_size, int) and 1 <= self.hand_size <= self.queues):
            raise ValueError(f"hand_size of {self.name} must be from 1 to queues "
                             f"({self.queues}); got {self.hand_size!r}")
        if not (isinstance(self.queue_length_limit, int) and self.queue_length_limit >= 1):
            raise ValueError(f"queue_length_limit of {self.name} must be an integer >= 1; "
                             f"got {self.queue_length_limit!r}")


#: KEP-1040's default priority levels and nominal shares (facts file), in that order.
DEFAULT_PRIORITY_LEVELS: tuple[PriorityLevel, ...] = tuple(
    PriorityLevel(name, shares) for name, shares in (
        ("leader-election", 10), ("node-high", 40), ("system", 30), ("workload-high", 40),
        ("workload-low", 100), ("global-default", 20), ("catch-all", 5)))


@dataclass(frozen=True)
class FlowSchema:
    """Which requests go to which priority level, and how their flows are told apart.

    A request matches if its user is in ``users`` or one of its groups is in ``groups``
    (``"*"`` in ``groups`` matches everyone). ``distinguisher`` is ``"ByUser"``,
    ``"ByNamespace"`` or ``None`` (one flow for the whole schema).
    """

    name: str
    priority_level: str
    matching_precedence: int
    groups: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    distinguisher: str | None = "ByUser"

    def __post_init__(self) -> None:
        if not 1 <= self.matching_precedence <= 10_000:
            raise ValueError(f"matching_precedence of {self.name} must be from 1 to 10,000; "
                             f"got {self.matching_precedence!r}")
        if self.distinguisher not in ("ByUser", "ByNamespace", None):
            raise ValueError(f"distinguisher of {self.name} must be 'ByUser', 'ByNamespace' "
                             f"or None; got {self.distinguisher!r}")

    def matches(self, user: str, groups: Iterable[str]) -> bool:
        return user in self.users or "*" in self.groups or bool(self.groups & set(groups))


#: The flow schemas this course uses (names after kube-apiserver's defaults; which requests
#: each matches and the precedences are the course's choice, unverified): kubelets (group
#: ``system:nodes``) → node-high; service accounts → workload-low; any other authenticated
#: user → global-default; everything else → catch-all.
DEFAULT_FLOW_SCHEMAS: tuple[FlowSchema, ...] = (
    FlowSchema("system-nodes", "node-high", 500, groups=frozenset({"system:nodes"})),
    FlowSchema("service-accounts", "workload-low", 9000,
               groups=frozenset({"system:serviceaccounts"})),
    FlowSchema("global-default", "global-default", 9900,
               groups=frozenset({"system:authenticated"})),
    FlowSchema("catch-all", "catch-all", 10_000, groups=frozenset({"*"})),
)


def nominal_concurrency_limits(server_concurrency: int = 600,
                               levels: Iterable[PriorityLevel] = DEFAULT_PRIORITY_LEVELS
                               ) -> dict[str, int]:
    """Seats of each level: ``ceil(server_concurrency × share / sum of shares)``.

    Because each level rounds up, the seats add up to a little more than the server's
    concurrency (602 of 600 with the defaults).
    """
    levels = list(levels)
    if not (isinstance(server_concurrency, int) and server_concurrency >= 1):
        raise ValueError(f"server_concurrency must be an integer >= 1 seat; "
                         f"got {server_concurrency!r}")
    total = sum(lv.nominal_concurrency_shares for lv in levels)
    if total <= 0:
        raise ValueError(f"levels must have shares adding up to more than 0; got {total}")
    return {lv.name: math.ceil(server_concurrency * lv.nominal_concurrency_shares / total)
            for lv in levels}


def flow_hash(schema: str, distinguisher: str) -> int:
    """A 64-bit hash of a flow (schema name, distinguisher), the same in every process."""
    digest = hashlib.sha256(f"{schema}\0{distinguisher}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def deal_hand(hash_value: int, queues: int, hand_size: int) -> list[int]:
    """Shuffle sharding: the ``hand_size`` distinct queues (of ``queues``) a flow may use.

    The hash is read as a mixed-radix number: its remainder modulo ``queues`` picks the first
    card, the quotient's remainder modulo ``queues - 1`` the second among those left, and so
    on — every hand equally likely for a uniform hash. (The idea of ``shufflesharding``'s
    dealer; its exact arithmetic is not reproduced.)
    """
    if not 1 <= hand_size <= queues:
        raise ValueError(f"hand_size must be from 1 to queues ({queues}); got {hand_size}")
    deck = list(range(queues))
    hand = []
    for i in range(hand_size):
        hash_value, pick = divmod(hash_value, queues - i)
        hand.append(deck.pop(pick))
    return hand


def hand_overlap_probability(queues: int, hand_size: int, covered: int) -> float:
    """Chance that a random hand of ``hand_size`` queues lies wholly inside ``covered``
    queues (those a set of heavy flows keeps full): ``C(covered, h) / C(queues, h)``.

    Such a flow shares every queue it may use with a heavy flow; any other flow has at least
    one queue of its own.

    >>> hand_overlap_probability(128, 6, 6) == 1 / math.comb(128, 6)
    True
    """
    if not 0 <= covered <= queues:
        raise ValueError(f"covered must be from 0 to queues ({queues}); got {covered}")
    return math.comb(covered, hand_size) / math.comb(queues, hand_size)


@dataclass
class _Request:
    verb: str
    key: str
    size_bytes: int
    value: Any
    flow: int
    arrived_s: float
    done: simpy.Event
    started_s: float | None = None


@dataclass
class QueueSet:
    """One priority level's seats and fair queues (``fairqueuing/queueset``), in SimPy.

    ``execute(request)`` is called when a request gets its seat; it returns the seconds it
    will hold it. Counters: ``dispatched``, ``rejected``, ``peak_executing``, and
    :meth:`seat_seconds` (the integral of seats in use over time).
    """

    env: simpy.Environment
    level: PriorityLevel
    seats: int
    execute: Any
    queues: list[deque] = field(init=False)
    executing: int = field(init=False, default=0)
    dispatched: int = field(init=False, default=0)
    rejected: int = field(init=False, default=0)
    peak_executing: int = field(init=False, default=0)
    _next: int = field(init=False, default=0)
    _waiting: int = field(init=False, default=0)
    _busy_s: float = field(init=False, default=0.0)
    _since_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if not (isinstance(self.seats, int) and self.seats >= 1):
            raise ValueError(f"seats of {self.level.name} must be an integer >= 1; "
                             f"got {self.seats!r}")
        self.queues = [deque() for _ in range(self.level.queues)]
        self._hands: dict[int, list[int]] = {}

    @property
    def waiting(self) -> int:
        """Requests waiting in the queues now."""
        return self._waiting

    def hand(self, flow: int) -> list[int]:
        hand = self._hands.get(flow)
        if hand is None:
            hand = self._hands[flow] = deal_hand(flow, self.level.queues, self.level.hand_size)
        return hand

    def _account(self) -> None:
        now = self.env.now
        self._busy_s += self.executing * (now - self._since_s)
        self._since_s = now

    def seat_seconds(self) -> float:
        """Seat-seconds used since the start (divide by time for the mean seats in use)."""
        self._account()
        return self._busy_s

    def start_request(self, request: _Request) -> bool:
        """Admit ``request`` (``queueSet.StartRequest``): run it now, queue it, or refuse it
        (``False``: the shortest queue of its hand is full)."""
        if self.executing < self.seats and not self.waiting:
            self._run(request)
            return True
        hand = self.hand(request.flow)
        queue = min(hand, key=lambda q: len(self.queues[q]))
        if len(self.queues[queue]) >= self.level.queue_length_limit:
            self.rejected += 1
            return False
        self.queues[queue].append(request)
        self._waiting += 1
        self._dispatch()
        return True

    def _run(self, request: _Request) -> None:
        self._account()
        self.executing += 1
        self.dispatched += 1
        self.peak_executing = max(self.peak_executing, self.executing)
        request.started_s = self.env.now
        hold_s = self.execute(request)
        self.env.timeout(hold_s).callbacks.append(lambda _ev: self._finish(request))

    def _finish(self, request: _Request) -> None:
        self._account()
        self.executing -= 1
        request.done.succeed(request)
        self._dispatch()

    def _dispatch(self) -> None:
        """Give free seats to the queues in turn (round-robin over non-empty queues)."""
        n = len(self.queues)
        while self.executing < self.seats and self._waiting:
            for step in range(n):
                q = (self._next + step) % n
                if self.queues[q]:
                    self._next = (q + 1) % n
                    self._waiting -= 1
                    self._run(self.queues[q].popleft())
                    break


class ApfServer:
    """An apiserver front with API Priority and Fairness, composed over an :class:`ApiServer`.

    The :class:`ApiServer` underneath must have no in-flight limits of its own
    (``max_requests_inflight=0, max_mutating_requests_inflight=0``): APF replaces them. A
    request is classified (:meth:`classify`), admitted by its level's :class:`QueueSet`, and
    applied by the ApiServer when it gets a seat, holding the seat for the verb's service
    time. :meth:`request` returns an event that fires with the finished request (its
    ``started_s``, the store's answer in ``value``) or raises
    :class:`~.errors.TooManyRequests` at once when the request is refused. Rejected requests
    are counted in the ApiServer's meter, as the max-inflight filter's are.

    Parameters
    ----------
    env : simpy.Environment
    api : ApiServer
        Without in-flight limits.
    server_concurrency : int
        The seats to share out: ``--max-requests-inflight`` + ``--max-mutating-requests-
        inflight`` (600 by default).
    levels, flow_schemas
        The configuration (defaults: :data:`DEFAULT_PRIORITY_LEVELS`,
        :data:`DEFAULT_FLOW_SCHEMAS`).

    >>> from kscale_lab.control_plane.store import Store
    >>> env = simpy.Environment()
    >>> apf = ApfServer(env, ApiServer(env, Store(env), max_requests_inflight=0,
    ...                                max_mutating_requests_inflight=0))
    >>> done = apf.request("CREATE", "/registry/leases/kube-node-lease/node-1", 300,
    ...                    user="system:node:node-1", groups=("system:nodes",))
    >>> env.run(until=1); done.value.started_s, apf.levels["node-high"].dispatched
    (0, 1)
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, *,
                 server_concurrency: int = 600,
                 levels: Iterable[PriorityLevel] = DEFAULT_PRIORITY_LEVELS,
                 flow_schemas: Iterable[FlowSchema] = DEFAULT_FLOW_SCHEMAS) -> None:
        if api.readonly.capacity or api.mutating.capacity:
            raise ValueError("api must have no in-flight limits of its own "
                             "(max_requests_inflight=0, max_mutating_requests_inflight=0): "
                             f"got {api.readonly.capacity} and {api.mutating.capacity}")
        self.env, self.api = env, api
        levels = list(levels)
        self.seats: Mapping[str, int] = nominal_concurrency_limits(server_concurrency, levels)
        self.levels = {lv.name: QueueSet(env, lv, self.seats[lv.name], self._execute)
                       for lv in levels}
        self.flow_schemas = sorted(flow_schemas, key=lambda fs: fs.matching_precedence)
        for fs in self.flow_schemas:
            if fs.priority_level not in self.levels:
                raise ValueError(f"flow schema {fs.name} names priority level "
                                 f"{fs.priority_level!r}, which is not configured")

    def classify(self, user: str, groups: Iterable[str] = (),
                 namespace: str = "") -> tuple[FlowSchema, int]:
        """The matching flow schema (lowest precedence first) and the request's flow hash."""
        groups = tuple(groups)
        for fs in self.flow_schemas:
            if fs.matches(user, groups):
                who = {"ByUser": user, "ByNamespace": namespace, None: ""}[fs.distinguisher]
                return fs, flow_hash(fs.name, who)
        raise ValueError(f"no flow schema matches user {user!r} with groups {groups!r}")

    def request(self, verb: str, key: str, size_bytes: int = 0, value: Any = None, *,
                user: str, groups: Iterable[str] = (), namespace: str = "") -> simpy.Event:
        schema, flow = self.classify(user, groups, namespace)
        done = self.env.event()
        req = _Request(verb, key, size_bytes, value, flow, self.env.now, done)
        if not self.levels[schema.priority_level].start_request(req):
            self.api.meter.request(verb)
            self.api.meter.rejected += 1
            raise TooManyRequests(f"too many requests (priority level "
                                  f"{schema.priority_level}: queue full)")
        return done

    def _execute(self, req: _Request) -> float:
        try:
            req.value = self.api.request(req.verb, req.key, req.size_bytes, req.value)
        except Exception as err:            # NotFound, NoSpace …: the request fails fast
            req.value = err
            return 0.0
        return self.api.service_s[req.verb]
