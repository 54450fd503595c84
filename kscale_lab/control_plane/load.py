"""The one load currency: :class:`ApiLoad`, what a client pattern costs the control plane.

Every chapter about a client pattern (heartbeats, secret polling, events, watch restarts,
EndpointSlices) reports its cost as an :class:`ApiLoad`, whether *measured* from a SimPy run
(:meth:`LoadMeter.load`, through :meth:`~kscale_lab.control_plane.ApiServer.load`) or
*predicted* by a closed form at cluster scale. Because they share one record, the capstone can
add them up: ``sum(loads, ApiLoad())``.

Two kinds of field:

* **rates** (per second): requests by verb, 429s, bytes written to etcd, watch events and
  their bytes. Adding two loads adds their rates.
* **levels**: objects and bytes held in etcd, watch streams open. ``etcd_objects`` and
  ``etcd_bytes`` are the *most held at once* — for ``etcd_bytes`` that is just before a
  compaction tick, when up to two compaction intervals of history are held, and it is what
  the quota must accommodate. Adding the peaks of two clients is right because one compactor
  serves the whole store: their peaks fall on the same ticks. ``watches_open`` is a time
  average (a gauge such as ``apiserver_registered_watchers`` averaged over the run).

A request the apiserver rejects with 429 still arrived: it is counted in
``requests_per_s_by_verb`` and, in addition, in ``rejected_per_s``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import simpy

#: The verbs of the Kubernetes API, as the apiserver's metrics spell them.
VERBS = ("GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE")
#: Verbs that take a seat in ``--max-mutating-requests-inflight``; the others are read-only
#: (``WithMaxInFlightLimit`` treats get, list and watch as non-mutating).
MUTATING_VERBS = frozenset({"CREATE", "UPDATE", "PATCH", "DELETE"})

_SCALARS = ("rejected_per_s", "etcd_write_bytes_per_s", "etcd_objects", "etcd_bytes",
            "watch_events_per_s", "watch_bytes_per_s", "watches_open")


class _VerbRates(Mapping):
    """Requests/s by verb, read-only, with every verb present (picklable, unlike a
    ``mappingproxy``)."""

    __slots__ = ("_rates",)

    def __init__(self, rates: dict[str, float]) -> None:
        self._rates = rates

    def __getitem__(self, verb: str) -> float:
        return self._rates[verb]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rates)

    def __len__(self) -> int:
        return len(self._rates)

    def __hash__(self) -> int:
        return hash(tuple(self._rates.items()))

    def __repr__(self) -> str:
        return repr(self._rates)


def _check(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}") from None
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return x


@dataclass(frozen=True)
class ApiLoad:
    """What a client pattern costs the apiserver and etcd, per second (rates) and held (levels).

    >>> kubelets = ApiLoad({"PATCH": 500.0}, etcd_write_bytes_per_s=1e7)
    >>> leases = ApiLoad({"UPDATE": 500.0}, etcd_write_bytes_per_s=1.5e5)
    >>> total = sum([kubelets, leases], ApiLoad())
    >>> total.requests_per_s, total.requests_per_s_by_verb["GET"]
    (1000.0, 0.0)
    >>> total.scaled(2).etcd_write_bytes_per_s
    20300000.0
    """

    requests_per_s_by_verb: Mapping[str, float] = field(default_factory=dict)
    """Requests per second that reached the apiserver, by verb (answered or rejected)."""
    rejected_per_s: float = 0.0
    """Requests per second answered ``429 Too Many Requests``."""
    etcd_write_bytes_per_s: float = 0.0
    """Bytes of new revisions written to etcd per second."""
    etcd_objects: float = 0.0
    """Objects held in etcd (latest versions); the most held at once."""
    etcd_bytes: float = 0.0
    """Bytes held in etcd: latest versions plus uncompacted history; the most held at once."""
    watch_events_per_s: float = 0.0
    """Watch events sent to clients per second (including bookmarks and init events)."""
    watch_bytes_per_s: float = 0.0
    """Bytes of those watch events per second."""
    watches_open: float = 0.0
    """Long-running watch streams open (time average)."""

    def __post_init__(self) -> None:
        by_verb = self.requests_per_s_by_verb
        if not isinstance(by_verb, Mapping):
            raise ValueError(f"requests_per_s_by_verb must be a mapping of verb to requests/s; "
                             f"got {by_verb!r}")
        unknown = [v for v in by_verb if v not in VERBS]
        if unknown:
            raise ValueError(f"requests_per_s_by_verb keys must be among {', '.join(VERBS)}; "
                             f"got {unknown[0]!r}")
        clean = {v: _check(f"requests_per_s_by_verb[{v!r}]", by_verb.get(v, 0.0)) for v in VERBS}
        object.__setattr__(self, "requests_per_s_by_verb", _VerbRates(clean))
        for name in _SCALARS:
            object.__setattr__(self, name, _check(name, getattr(self, name)))

    @property
    def requests_per_s(self) -> float:
        """Requests per second over every verb."""
        return float(sum(self.requests_per_s_by_verb.values()))

    def __add__(self, other: ApiLoad) -> ApiLoad:
        if not isinstance(other, ApiLoad):
            return NotImplemented
        by_verb = {v: self.requests_per_s_by_verb[v] + other.requests_per_s_by_verb[v]
                   for v in VERBS}
        return ApiLoad(by_verb, **{n: getattr(self, n) + getattr(other, n) for n in _SCALARS})

    def __radd__(self, other: Any) -> ApiLoad:
        if isinstance(other, int) and other == 0:         # sum() without a start value
            return self
        return NotImplemented

    def scaled(self, k: float) -> ApiLoad:
        """Every field times ``k`` (e.g. one node's load times the number of nodes)."""
        k = _check("k", k)
        return ApiLoad({v: r * k for v, r in self.requests_per_s_by_verb.items()},
                       **{n: getattr(self, n) * k for n in _SCALARS})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, ``requests_per_s_by_verb`` with all verbs, and the total."""
        out: dict[str, Any] = {"requests_per_s_by_verb": dict(self.requests_per_s_by_verb),
                               "requests_per_s": self.requests_per_s}
        out.update({f.name: getattr(self, f.name) for f in fields(self)
                    if f.name != "requests_per_s_by_verb"})
        return out


class LoadMeter:
    """Counters from which a SimPy run's measured :class:`ApiLoad` is computed.

    The apiserver counts each request it receives (:meth:`request`), each 429, the bytes it
    writes to etcd, and each watch event it sends; it reports the store's levels after every
    write (:meth:`observe_store`) and each watch stream opening and closing. :meth:`load`
    divides the counts by the time since the meter started (or was :meth:`reset`, e.g. after
    a warm-up).

    >>> env = simpy.Environment()
    >>> meter = LoadMeter(env)
    >>> for _ in range(30):
    ...     meter.request("GET")
    >>> env.run(until=10)
    >>> meter.load().requests_per_s_by_verb["GET"]
    3.0
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.watches_open = 0
        """Watch streams open now."""
        self.reset()

    def reset(self) -> None:
        """Start counting afresh from now (open watches stay open; levels restart from now)."""
        self.start_s = self.env.now
        self.requests = dict.fromkeys(VERBS, 0)
        self.rejected = 0
        self.etcd_write_bytes = 0.0
        self.watch_events = 0
        self.watch_bytes = 0.0
        self.peak_etcd_objects = 0
        self.peak_etcd_bytes = 0
        self._open_s = 0.0                  # integral of watches_open over time
        self._open_since_s = self.env.now

    def request(self, verb: str) -> None:
        self.requests[verb] += 1

    def observe_store(self, objects: int, in_use_bytes: int) -> None:
        if objects > self.peak_etcd_objects:
            self.peak_etcd_objects = objects
        if in_use_bytes > self.peak_etcd_bytes:
            self.peak_etcd_bytes = in_use_bytes

    def watch_event(self, size_bytes: float) -> None:
        self.watch_events += 1
        self.watch_bytes += size_bytes

    def _integrate(self) -> None:
        now = self.env.now
        self._open_s += self.watches_open * (now - self._open_since_s)
        self._open_since_s = now

    def watch_opened(self) -> None:
        self._integrate()
        self.watches_open += 1

    def watch_closed(self) -> None:
        self._integrate()
        self.watches_open -= 1

    def load(self, duration_s: float | None = None) -> ApiLoad:
        """The measured load since the meter started, over ``duration_s`` (default: elapsed)."""
        self._integrate()
        elapsed = self.env.now - self.start_s
        duration = elapsed if duration_s is None else duration_s
        if not duration > 0:
            raise ValueError(f"duration_s must be > 0 s (run the simulation first); "
                             f"got {duration}")
        return ApiLoad({v: n / duration for v, n in self.requests.items()},
                       rejected_per_s=self.rejected / duration,
                       etcd_write_bytes_per_s=self.etcd_write_bytes / duration,
                       etcd_objects=self.peak_etcd_objects,
                       etcd_bytes=self.peak_etcd_bytes,
                       watch_events_per_s=self.watch_events / duration,
                       watch_bytes_per_s=self.watch_bytes / duration,
                       watches_open=self._open_s / elapsed if elapsed > 0 else 0.0)
