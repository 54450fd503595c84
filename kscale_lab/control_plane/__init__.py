"""The control plane every chapter's clients talk to: etcd ← apiserver ← clients.

Kubernetes' control plane is layered, and so is this model of it. Each layer is a small SimPy
class named after the thing it models, with real defaults from ``kubernetes-facts.md``.

**etcd** (:class:`Store`) keeps every object and, for a while, every *version* of it: each write
is a new revision, the old ones stay until the apiserver compacts them, and the database file
never shrinks below its high-water mark. A quota turns a growing history into a cluster-wide
outage (NOSPACE). etcd streams changes to *watches*, refuses a watch whose history is compacted,
can tell a watcher the current revision (progress notifications), and deletes the keys of an
expired *lease* (how Events get their TTL).

**The apiserver** (:class:`ApiServer`) stands between every client and etcd. Before API Priority
and Fairness it admitted requests through two in-flight pools (400 read-only, 200 mutating
seats) and answered 429 when one was full; it compacts etcd every 5 minutes; and it does not
pass watches through to etcd: per resource, a :class:`WatchCache` watches etcd once and fans the
events out to every client watch through that watch's filter, keeping a short buffer of recent
events to replay when a watch resumes (or a 410 when the buffer no longer reaches back far
enough). Each client reaches the apiserver over one :class:`Http2Connection`, whose stream
limit — and the Go client's behaviour when it is reached (:class:`GoClient`) — can stall every
request behind long-running watches.

**Clients** (:class:`RestClient`, :class:`Reflector`, :class:`CacheBasedManager`) are how
components keep up with objects: client-go's reflector LISTs and then WATCHes, resuming each
timed-out watch from the last version it saw and relisting on 410; the kubelet's TTL cache
GETs an object whenever its copy is older than the TTL.

Every request, byte and watch event is counted in one currency, :class:`ApiLoad`:
``ApiServer.load()`` measures it from a SimPy run, and closed-form functions
(:func:`polling_load`, :func:`reflector_load`, the watch-cache and HTTP/2 formulas) predict it at
cluster scale, where SimPy would be too slow. Chapters add their loads: ``sum(loads, ApiLoad())``.

Nothing here imports matplotlib or ipywidgets.
"""

from kscale_lab.control_plane.apiserver import ApiServer, InFlightPool, LeaseManager
from kscale_lab.control_plane.channel import Channel
from kscale_lab.control_plane.clients import (
    CacheBasedManager,
    Reflector,
    RestClient,
    polling_load,
    reflector_load,
)
from kscale_lab.control_plane.errors import (
    AlreadyExists,
    Compacted,
    Gone,
    LeaseNotFound,
    NoSpaceError,
    NotFound,
    StatusError,
    TooManyRequests,
    TooOldResourceVersion,
)
from kscale_lab.control_plane.http2 import GoClient, Http2Connection, blocks, tcp_connections_needed
from kscale_lab.control_plane.load import MUTATING_VERBS, VERBS, ApiLoad, LoadMeter
from kscale_lab.control_plane.store import Event, KeyValue, ProgressNotify, Store, Watch
from kscale_lab.control_plane.watch_cache import (
    CacheWatcher,
    WatchCache,
    WatchEvent,
    init_events_processed_per_resume,
    init_events_processed_with_bookmarks,
    relist_probability,
)

__all__ = [
    "MUTATING_VERBS", "VERBS", "AlreadyExists", "ApiLoad", "ApiServer", "CacheBasedManager",
    "CacheWatcher", "Channel", "Compacted", "Event", "GoClient", "Gone", "Http2Connection",
    "InFlightPool", "KeyValue", "LeaseManager", "LeaseNotFound", "LoadMeter", "NoSpaceError",
    "NotFound", "ProgressNotify", "Reflector", "RestClient", "StatusError", "Store",
    "TooManyRequests", "TooOldResourceVersion", "Watch", "WatchCache", "WatchEvent", "blocks",
    "init_events_processed_per_resume", "init_events_processed_with_bookmarks",
    "polling_load", "reflector_load", "relist_probability", "tcp_connections_needed",
]
