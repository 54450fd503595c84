"""Chapter 6 — Events overload: client-go's old correlator vs events.k8s.io series.

* :mod:`~kscale_lab.events.objects` — occurrences, both APIs' Event objects (sizes measured),
  the workloads;
* :mod:`~kscale_lab.events.correlator` — the old API's ``EventCorrelator``: aggregator,
  logger, spam filter, LRU caches;
* :mod:`~kscale_lab.events.series` — the new API's isomorphic events and series;
* :mod:`~kscale_lab.events.simulation` — SimPy: broadcasters, sinks and tickers writing
  through the control plane's apiserver into an events etcd with TTLs;
* :mod:`~kscale_lab.events.model` — the cluster-scale closed forms and :class:`EventsModel`.
"""

from kscale_lab.events.correlator import (
    EventAggregator,
    EventCorrelateResult,
    EventCorrelator,
    EventLogger,
    EventSourceObjectSpamFilter,
    LRUCache,
    TokenBucket,
)
from kscale_lab.events.model import (
    THRESHOLD_EVENTS,
    EventsDimensions,
    EventsModel,
    EventsOutcome,
    improved_counts,
    lru_forgets,
    naive_object,
)
from kscale_lab.events.objects import (
    CHURN_EVENTS,
    WORKLOADS,
    Occurrence,
    core_event,
    event_bytes,
    events_v1_event,
)
from kscale_lab.events.series import EventSeriesCache
from kscale_lab.events.simulation import EventBroadcaster, Simulation, get_events, simulate

__all__ = [
    "CHURN_EVENTS", "THRESHOLD_EVENTS", "WORKLOADS", "EventAggregator", "EventBroadcaster",
    "EventCorrelateResult", "EventCorrelator", "EventLogger", "EventSeriesCache",
    "EventSourceObjectSpamFilter", "EventsDimensions", "EventsModel", "EventsOutcome",
    "LRUCache", "Occurrence", "Simulation", "TokenBucket", "core_event", "event_bytes",
    "events_v1_event", "get_events", "improved_counts", "lru_forgets", "naive_object",
    "simulate",
]
