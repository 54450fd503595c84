"""client-go's ``EventCorrelator`` (``tools/record/events_cache.go``): the old API's client side.

Every core/v1 event a component records passes three stages, in this order (facts file):

1. **The aggregator** (:class:`EventAggregator`). Events that are equal but for their message
   share an *aggregate key* (source, involved object, type, reason). Once 10 distinct messages
   of one aggregate key have arrived within 600 s, the event is replaced by a *combined* one,
   ``"(combined from similar events): " + message``, written under the aggregate key, so that
   every later one updates that same object. The lab keeps, per aggregate key, the distinct
   messages seen in the last 600 s (how client-go times its window, from the first or the
   last similar event, is not in the facts file; for repeats less than 600 s / 9 apart, the
   lab's cases, the two readings agree).
2. **The logger** (:class:`EventLogger`), de-duplication: an event whose key (every field,
   message included — or the aggregate key) was seen before becomes a **PATCH** that
   increments ``count`` on the existing object; a new one becomes a **POST**. The count is
   recorded *before* the next stage, so a dropped PATCH's occurrence is still carried by the
   next PATCH that gets through.
3. **The spam filter** (:class:`EventSourceObjectSpamFilter`): a token bucket per source
   (component, host) and involved object — not per reason or type — with a burst of 25 and
   one token per 300 s. It runs *after* de-duplication, so count PATCHes spend tokens too;
   an event without a token is dropped (``Skip``).

Each stage keeps its state in an LRU cache of 4096 entries (:class:`LRUCache`), per
correlator. The lab gives each component instance one correlator: each kubelet, and one for
the replicaset controller (how many broadcasters kube-controller-manager really runs is not
in the facts file: unverified). A cache that is too small forgets: an aggregate record, a
count or a token bucket evicted is started afresh.

:meth:`EventCorrelator.EventCorrelate` returns an :class:`EventCorrelateResult`: the event to
write, whether it is a PATCH, or ``skip``.

>>> from kscale_lab.events.objects import WORKLOADS, example_occurrence
>>> w = WORKLOADS["crashloop"]
>>> c = EventCorrelator()
>>> backoff = example_occurrence(w, w.kinds[3])
>>> [c.EventCorrelate(backoff._replace(t_s=10.0 * i)).verb for i in range(3)]
['POST', 'PATCH', 'PATCH']
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

from kscale_lab.events.objects import COMBINED_PREFIX, Occurrence

__all__ = ["AGGREGATE_MAX_EVENTS", "AGGREGATE_WINDOW_S", "LRU_SIZE", "SPAM_BURST",
           "SPAM_QPS", "EventAggregator", "EventCorrelateResult", "EventCorrelator",
           "EventLogger", "EventSourceObjectSpamFilter", "LRUCache", "TokenBucket"]

LRU_SIZE = 4096                 # each of the three caches (events_cache.go)
AGGREGATE_MAX_EVENTS = 10       # distinct messages before events are combined
AGGREGATE_WINDOW_S = 600.0      # … within this long
SPAM_BURST = 25                 # the spam filter's token bucket: burst …
SPAM_QPS = 1 / 300              # … and one token per 300 s


class LRUCache:
    """A map of at most ``size`` entries that forgets the least recently used one.

    Reading (:meth:`get`) and writing (:meth:`add`) an entry both make it the most recent.

    >>> lru = LRUCache(2)
    >>> lru.add("a", 1); lru.add("b", 2); lru.get("a"); lru.add("c", 3)
    1
    >>> "b" in lru, lru.evictions
    (False, 1)
    """

    def __init__(self, size: int = LRU_SIZE) -> None:
        if not (isinstance(size, int) and size >= 1):
            raise ValueError(f"size must be an integer >= 1 entry; got {size!r}")
        self.size = size
        self.evictions = 0
        """Entries forgotten to make room."""
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self._items:
            return default
        self._items.move_to_end(key)
        return self._items[key]

    def add(self, key: Any, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
            self.evictions += 1

    def __contains__(self, key: Any) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


class TokenBucket:
    """A passive token bucket (client-go's ``TryAccept``): ``burst`` tokens at first, refilled
    at ``qps`` per second up to ``burst``; an event passes if a whole token is there.

    >>> b = TokenBucket(burst=2, qps=0.1, now_s=0.0)
    >>> [b.try_accept(t) for t in (0.0, 0.0, 0.0, 9.0, 10.0)]
    [True, True, False, False, True]
    """

    def __init__(self, burst: float, qps: float, now_s: float) -> None:
        self.burst, self.qps = burst, qps
        self.tokens = float(burst)
        self.last_s = now_s

    def try_accept(self, now_s: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now_s - self.last_s) * self.qps)
        self.last_s = now_s
        if self.tokens >= 1.0 - 1e-12:
            self.tokens -= 1.0
            return True
        return False


def aggregate_key(occ: Occurrence) -> tuple:
    """``EventAggregatorByReasonFunc``: every field but the message."""
    return (occ.component, occ.host, occ.regarding, occ.type, occ.reason)


def event_key(occ: Occurrence) -> tuple:
    """``getEventKey``: every field, the message included."""
    return (*aggregate_key(occ), occ.message)


def spam_key(occ: Occurrence) -> tuple:
    """``getSpamKey``: the source and the involved object only."""
    return (occ.component, occ.host, occ.regarding)


class EventAggregator:
    """Combine events that differ only in their message (``EventAggregator.EventAggregate``).

    Returns the event to pass on and the key the logger files it under: the event itself and
    its full key while fewer than ``max_events`` distinct messages arrived within
    ``window_s``; else a combined event and the aggregate key.
    """

    def __init__(self, size: int = LRU_SIZE, max_events: int = AGGREGATE_MAX_EVENTS,
                 window_s: float = AGGREGATE_WINDOW_S) -> None:
        self.cache = LRUCache(size)
        self.max_events, self.window_s = max_events, window_s
        self.combined = 0
        """Events replaced by a combined event."""

    def EventAggregate(self, occ: Occurrence) -> tuple[Occurrence, tuple]:  # noqa: N802
        key = aggregate_key(occ)
        seen: dict[str, float] = dict(self.cache.get(key) or {})
        seen = {m: t for m, t in seen.items() if occ.t_s - t <= self.window_s}
        seen[occ.message] = occ.t_s
        self.cache.add(key, seen)
        if len(seen) < self.max_events:
            return occ, event_key(occ)
        self.combined += 1
        return occ._replace(message=COMBINED_PREFIX + occ.message), ("combined", *key)


class EventLog(NamedTuple):
    """What the logger remembers of an event it has passed on."""

    count: int
    first_s: float
    name: str


class EventLogger:
    """De-duplication (``eventLogger.eventObserve``): a repeat of a known key is a PATCH with
    ``count + 1`` of the same object; a new key is a POST of a new one. The observation is
    recorded whatever happens next."""

    def __init__(self, size: int = LRU_SIZE) -> None:
        self.cache = LRUCache(size)
        self._names = 0

    def eventObserve(self, occ: Occurrence, key: tuple) -> tuple[EventLog, bool]:  # noqa: N802
        last: EventLog | None = self.cache.get(key)
        if last is not None:
            log = EventLog(last.count + 1, last.first_s, last.name)
        else:
            self._names += 1
            log = EventLog(1, occ.t_s, f"{occ.regarding.name}.{self._names:x}")
        self.cache.add(key, log)
        return log, last is not None


class EventSourceObjectSpamFilter:
    """One token bucket per source + involved object (``EventSourceObjectSpamFilter.Filter``):
    ``True`` means drop the event."""

    def __init__(self, size: int = LRU_SIZE, burst: float = SPAM_BURST,
                 qps: float = SPAM_QPS) -> None:
        self.cache = LRUCache(size)
        self.burst, self.qps = burst, qps

    def Filter(self, occ: Occurrence) -> bool:  # noqa: N802
        key = spam_key(occ)
        bucket: TokenBucket | None = self.cache.get(key)
        if bucket is None:
            bucket = TokenBucket(self.burst, self.qps, occ.t_s)
        self.cache.add(key, bucket)
        return not bucket.try_accept(occ.t_s)


class EventCorrelateResult(NamedTuple):
    """What to do with one event: write ``event`` (``patch``: as a PATCH of the object
    ``name`` to ``count``), or nothing (``skip``)."""

    event: Occurrence | None
    name: str
    count: int
    first_s: float
    patch: bool
    skip: bool

    @property
    def verb(self) -> str:
        return "SKIP" if self.skip else ("PATCH" if self.patch else "POST")


class EventCorrelator:
    """Aggregate → de-duplicate → spam-filter, in that order (``EventCorrelator.EventCorrelate``).

    Parameters
    ----------
    size : int
        Entries of each LRU cache (4096 in client-go).
    burst, qps : float
        The spam filter's token bucket: 25 and 1/300 per second.
    """

    def __init__(self, size: int = LRU_SIZE, burst: float = SPAM_BURST,
                 qps: float = SPAM_QPS) -> None:
        self.aggregator = EventAggregator(size)
        self.logger = EventLogger(size)
        self.spam_filter = EventSourceObjectSpamFilter(size, burst, qps)

    def EventCorrelate(self, occ: Occurrence) -> EventCorrelateResult:  # noqa: N802
        event, key = self.aggregator.EventAggregate(occ)
        log, repeat = self.logger.eventObserve(event, key)
        if self.spam_filter.Filter(event):
            return EventCorrelateResult(None, log.name, log.count, log.first_s, repeat, True)
        return EventCorrelateResult(event._replace(count=log.count), log.name, log.count,
                                    log.first_s, repeat, False)
