"""An apiserver whose updates renew an object's TTL, as the Event registry's do.

:class:`~kscale_lab.control_plane.ApiServer` gives an object an etcd lease when it is
created with ``ttl_s`` and keeps that lease on every later UPDATE or PATCH: the object dies
one TTL after its creation, however often it is written. Events live differently. The talk's
slide on event series says that the series heartbeat PATCH, sent while an event keeps
recurring, does *"Refresh event object TTL"*: a write of an Event sets its TTL again.

:class:`TTLApiServer` is the apiserver with that rule: an UPDATE or PATCH that carries
``ttl_s`` attaches the object to a lease from the :class:`~.apiserver.LeaseManager` (60 s
of reuse, at most 1,000 objects per lease, as for a create), so the object now expires
``ttl_s`` after this write. Without ``ttl_s`` it behaves as its base class.

That *every* write of an Event renews its TTL (the old API's count PATCHes too) is how the
lab reads the apiserver's Event storage, whose TTL function applies to updates as well; that
detail is recalled, not checked here (unverified). The slide confirms it for the series
heartbeat.

>>> import simpy
>>> from kscale_lab.control_plane.store import Store
>>> env = simpy.Environment()
>>> db = Store(env)
>>> api = TTLApiServer(env, db, compaction_interval_s=0)
>>> _ = api.request("CREATE", "/registry/events/default/e1", 600, ttl_s=100)
>>> env.run(until=90)
>>> _ = api.request("PATCH", "/registry/events/default/e1", 600, ttl_s=100)
>>> env.run(until=200)                  # created at 0, renewed at 90: alive at 200
>>> db.kv("/registry/events/default/e1") is not None
True
>>> env.run(until=400)                  # 90 + 100 + the lease's 60 s of reuse have passed
>>> db.kv("/registry/events/default/e1") is None
True
"""

from __future__ import annotations

from typing import Any

from kscale_lab.control_plane.apiserver import ApiServer
from kscale_lab.control_plane.errors import NotFound
from kscale_lab.control_plane.load import MUTATING_VERBS
from kscale_lab.control_plane.watch_cache import Selector

__all__ = ["TTLApiServer"]


class TTLApiServer(ApiServer):
    """:class:`~.apiserver.ApiServer` whose UPDATE/PATCH with ``ttl_s`` renews the TTL.

    Use :meth:`request` with ``ttl_s`` for both CREATE and PATCH (the verb methods of the
    base class do not take a TTL for updates). Everything else — pools, 429s, the compactor,
    the measured load — is the base class's.
    """

    def _apply(self, verb: str, key: str, size_bytes: int, value: Any,
               selector: Selector | None, ttl_s: float | None) -> tuple[Any, float]:
        if ttl_s is None or verb not in MUTATING_VERBS or verb in ("CREATE", "DELETE"):
            return super()._apply(verb, key, size_bytes, value, selector, ttl_s)
        if self.store.kv(key) is None:
            raise NotFound(key)
        lease = self.lease_manager.get_lease(ttl_s)
        kv = self.store.put_kv(key, size_bytes, value=value, lease=lease)
        self.meter.etcd_write_bytes += size_bytes
        self._observe()
        return kv, self.service_s[verb]
