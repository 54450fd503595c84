"""The events.k8s.io client side (client-go ``tools/events``): isomorphic events as a *series*.

KEP-383's new Event API (v1 in 1.19) replaces the old correlator with a simpler rule, and the
talk's slide draws it as a timeline:

* **t0 — an event seen for the first time**: POST a new Event object and remember it in the
  client-side cache, keyed by its *isomorphic* fields (regarding, related, reporting
  controller and instance, action, reason, type — everything but the note);
* **t1 — an isomorphic event**: start a series: PATCH the object with ``series.count`` 2;
* **t2, t3 … — more isomorphic events**: only update the client-side cache (count and
  ``lastObservedTime``); nothing is sent;
* **tK — every 30 min**: PATCH every open series with its current count (a heartbeat, which
  also refreshes the Event's TTL);
* **tN — no isomorphic event for 6 min**: a final PATCH closes the series and the cache
  forgets it (checked every 6 min). The next isomorphic event starts again at t0.

There is no spam filter and no aggregation by message (facts file).
:class:`EventSeriesCache` is that logic, without time of its own: a caller (the SimPy
broadcaster in :mod:`~kscale_lab.events.simulation`) calls :meth:`~EventSeriesCache.record`
for each event and :meth:`~EventSeriesCache.finish_series` / :meth:`~EventSeriesCache.heartbeat`
on its tickers. Two rules of the lab, not in the facts file: a single event that never became
a series is forgotten at the 6-minute check without a PATCH; when both tickers fire at the
same moment (every 30 min), series are closed before the heartbeat. The tickers count from the
component's start (t = 0 in the lab's runs).

>>> from kscale_lab.events.objects import WORKLOADS, example_occurrence
>>> w = WORKLOADS["sandbox"]
>>> cache = EventSeriesCache()
>>> occ = example_occurrence(w, w.kinds[0])
>>> [cache.record(occ._replace(t_s=20.0 * i, message=f"try {i}"))[0] for i in range(4)]
['POST', 'PATCH', 'CACHE', 'CACHE']
>>> [e.count for e in cache.heartbeat(1800.0)], [e.count for e in cache.finish_series(2000.0)]
([4], [4])
"""

from __future__ import annotations

from dataclasses import dataclass

from kscale_lab.events.objects import Occurrence

__all__ = ["FINISH_CHECK_S", "HEARTBEAT_S", "SERIES_CLOSE_S", "EventSeriesCache",
           "SeriesEntry"]

HEARTBEAT_S = 1800.0        # every open series is PATCHed every 30 min
SERIES_CLOSE_S = 360.0      # a series with no repeat for 6 min is closed …
FINISH_CHECK_S = 360.0      # … checked every 6 min


@dataclass
class SeriesEntry:
    """One isomorphic event in the client-side cache."""

    name: str
    first: Occurrence
    count: int
    last_observed_s: float

    @property
    def is_series(self) -> bool:
        return self.count >= 2


class EventSeriesCache:
    """The new API's client-side cache of isomorphic events (one per reporting instance)."""

    def __init__(self) -> None:
        self.entries: dict[tuple, SeriesEntry] = {}
        self._names = 0

    def record(self, occ: Occurrence) -> tuple[str, SeriesEntry]:
        """``("POST" | "PATCH" | "CACHE", entry)`` for a new event ``occ``."""
        key = occ.isomorphic_key()
        entry = self.entries.get(key)
        if entry is None:
            self._names += 1
            entry = SeriesEntry(f"{occ.regarding.name}.{self._names:x}", occ, 1, occ.t_s)
            self.entries[key] = entry
            return "POST", entry
        entry.count += 1
        entry.last_observed_s = occ.t_s
        return ("PATCH" if entry.count == 2 else "CACHE"), entry

    def heartbeat(self, now_s: float) -> list[SeriesEntry]:
        """The open series to PATCH with their current count (every 30 min)."""
        return [e for e in self.entries.values() if e.is_series]

    def finish_series(self, now_s: float, close_s: float = SERIES_CLOSE_S) -> list[SeriesEntry]:
        """Forget every entry with no repeat for ``close_s``; return the series among them
        (each gets a final PATCH)."""
        done = [k for k, e in self.entries.items() if now_s - e.last_observed_s > close_s]
        closed = [self.entries.pop(k) for k in done]
        return [e for e in closed if e.is_series]
