"""Event by event: the endpoints controllers write, the apiserver fans out, kube-proxies watch.

A rolling update at toy scale, through the shared control plane
(:mod:`kscale_lab.control_plane`): a controller keeps a Service's endpoints in etcd through
the :class:`~kscale_lab.control_plane.ApiServer`, and every node's :class:`KubeProxy` — a
client-go :class:`~kscale_lab.control_plane.Reflector` — lists and watches them. Every
object is the real one (:mod:`.objects`), stored with its measured size, so the apiserver's
:class:`~kscale_lab.control_plane.ApiLoad` counts the real bytes of every watch event.

* :class:`EndpointsController` (naive) — one ``Endpoints`` object; every change rewrites it.
* :class:`EndpointSliceController` (improved) — slices of at most
  ``max_endpoints_per_slice``; a change rewrites the slice that holds the backend.

:func:`rolling_update` replaces every backend once and measures the bytes; the closed form
(:func:`~.model.per_change`) must give the same (``tests/test_endpoints.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import simpy

from kscale_lab.control_plane import ApiLoad, ApiServer, Reflector, Store, WatchEvent
from kscale_lab.endpoints.objects import (
    Backend,
    backends,
    endpoint_slice,
    endpoints_object,
    replacement,
)
from kscale_lab.endpoints.wire import json_bytes, protobuf_bytes
from kscale_lab.model import Version, side_of

__all__ = ["EndpointSliceController", "EndpointsController", "KubeProxy", "Received",
           "RollingUpdate", "Write", "rolling_update"]

SERVICE = "web"
ENDPOINTS_PREFIX = "/registry/services/endpoints/"
SLICES_PREFIX = "/registry/endpointslices/"
#: :func:`rolling_update` refuses more than this: it is the toy scale.
MAX_TOY_BACKENDS, MAX_TOY_NODES = 400, 200


def _size(obj: dict[str, Any], encoding: str) -> int:
    return protobuf_bytes(obj) if encoding == "protobuf-like" else json_bytes(obj)


@dataclass(frozen=True)
class Write:
    """One write a controller made: when, which object, how many bytes."""

    t_s: float
    key: str
    size_bytes: int


@dataclass(frozen=True)
class Received:
    """One watch event a kube-proxy received."""

    t_s: float
    node: int
    key: str
    size_bytes: int


class _Controller(ABC):
    """What both controllers share: the Service's backends, and writing through the API."""

    def __init__(self, env: simpy.Environment, api: ApiServer, members: list[Backend],
                 encoding: str) -> None:
        self.env, self.api, self.encoding = env, api, encoding
        self.members = list(members)
        self.writes: list[Write] = []

    def _write(self, verb: str, key: str, obj: dict[str, Any]) -> None:
        size = _size(obj, self.encoding)
        self.api.request(verb, key, size, value=obj)
        self.writes.append(Write(self.env.now, key, size))

    def replace(self, index: int, new: Backend) -> None:
        """Backend ``index`` is replaced by ``new`` (a rolling update's step)."""
        self.members[index] = new
        self._sync(index)

    @abstractmethod
    def _sync(self, index: int) -> None:
        """Write what changing backend ``index`` rewrites (one object, or one slice)."""


class EndpointsController(_Controller):
    """The endpoints controller: the Service's one ``Endpoints`` object, rewritten whole."""

    def __init__(self, env: simpy.Environment, api: ApiServer, members: list[Backend],
                 encoding: str = "protobuf-like") -> None:
        super().__init__(env, api, members, encoding)
        self.key = f"{ENDPOINTS_PREFIX}default/{SERVICE}"
        self._write("CREATE", self.key, endpoints_object(SERVICE, self.members))

    def _sync(self, index: int) -> None:
        self._write("UPDATE", self.key, endpoints_object(SERVICE, self.members))


class EndpointSliceController(_Controller):
    """The EndpointSlice controller: slices of at most ``max_endpoints_per_slice``; a change
    rewrites only the slice that holds the changed backend."""

    def __init__(self, env: simpy.Environment, api: ApiServer, members: list[Backend],
                 encoding: str = "protobuf-like", max_endpoints_per_slice: int = 100) -> None:
        super().__init__(env, api, members, encoding)
        self.max_endpoints_per_slice = m = max_endpoints_per_slice
        self.keys = []
        for i in range(0, len(self.members), m):
            self.keys.append(f"{SLICES_PREFIX}default/{SERVICE}-{i // m + 1:05d}")
            self._write("CREATE", self.keys[-1], self._slice(i // m))

    def _slice(self, s: int) -> dict[str, Any]:
        m = self.max_endpoints_per_slice
        return endpoint_slice(SERVICE, s + 1, self.members[s * m:(s + 1) * m])

    def _sync(self, index: int) -> None:
        s = index // self.max_endpoints_per_slice
        self._write("UPDATE", self.keys[s], self._slice(s))


class KubeProxy(Reflector):
    """One node's kube-proxy: a reflector over every Service's endpoints.

    It records every event it receives; :meth:`endpoint_ips` is the set of backend IPs it
    would program (chapter 4's rules), joined from the Endpoints object or from all the
    Service's slices.
    """

    def __init__(self, env: simpy.Environment, api: ApiServer, prefix: str, node: int,
                 seed: int) -> None:
        self.node = node
        self.received: list[Received] = []
        super().__init__(env, api, prefix, seed=seed, name=f"kube-proxy-{node}")

    def _handle(self, event: WatchEvent) -> None:
        self.received.append(Received(self.env.now, self.node, event.key, event.size_bytes))
        super()._handle(event)

    def endpoint_ips(self) -> set[str]:
        ips: set[str] = set()
        for obj in self.items.values():
            if obj["kind"] == "Endpoints":
                ips.update(a["ip"] for s in obj["subsets"] for a in s["addresses"])
            else:
                ips.update(e["addresses"][0] for e in obj["endpoints"])
        return ips


@dataclass(frozen=True)
class RollingUpdate:
    """What :func:`rolling_update` saw."""

    version: str
    writes: list[Write]
    """The controller's writes (its CREATEs first, then one UPDATE per replaced backend)."""
    received: list[Received]
    """Every watch event every kube-proxy received during the update."""
    load: ApiLoad
    """The apiserver's measured load over the update (after the kube-proxies' first LIST)."""
    watch_bytes: float
    """Bytes of all watch events sent during the update."""
    etcd_write_bytes: float
    """Bytes the controller's UPDATEs wrote to etcd."""
    kube_proxies_agree: bool
    """Whether every kube-proxy ends with exactly the Service's new backends."""
    duration_s: float


def rolling_update(backends_per_service: int = 12, nodes: int = 4,
                   version: Version | str = "naive", *, max_endpoints_per_slice: int = 4,
                   encoding: str = "protobuf-like", interval_s: float = 1.0,
                   seed: int = 8) -> RollingUpdate:
    """Replace every backend of one Service once, one every ``interval_s``, with SimPy.

    Parameters
    ----------
    backends_per_service : int
        The Service's backends (1 … 400: toy scale).
    nodes : int
        Nodes, each with a kube-proxy watching the endpoints (1 … 200).
    version : Version or str
        ``"naive"`` (one Endpoints object) or ``"improved"`` (EndpointSlices).
    max_endpoints_per_slice : int
        The slice controller's limit (improved only).
    encoding : str
        ``"protobuf-like"`` or ``"json"``: how the stored objects are measured.
    interval_s : float
        Seconds between two replacements (> 0).
    seed : int
        Seeds the backends, their replacements and the reflectors.

    Returns
    -------
    RollingUpdate
        Every write and every event received, with times; the measured load; and whether
        all kube-proxies end up with the new backends.
    """
    side = side_of(version)
    if not 1 <= backends_per_service <= MAX_TOY_BACKENDS:
        raise ValueError(f"backends_per_service must be from 1 to {MAX_TOY_BACKENDS} for the "
                         f"event-by-event run; got {backends_per_service!r}")
    if not 1 <= nodes <= MAX_TOY_NODES:
        raise ValueError(f"nodes must be from 1 to {MAX_TOY_NODES} for the event-by-event run; "
                         f"got {nodes!r}")
    if not interval_s > 0:
        raise ValueError(f"interval_s must be > 0 s; got {interval_s!r}")
    env = simpy.Environment()
    api = ApiServer(env, Store(env), compaction_interval_s=0, seed=seed)
    members = backends(SERVICE, backends_per_service, seed=seed)
    if side == "naive":
        controller: _Controller = EndpointsController(env, api, members, encoding)
        prefix = ENDPOINTS_PREFIX
    else:
        controller = EndpointSliceController(env, api, members, encoding,
                                             max_endpoints_per_slice)
        prefix = SLICES_PREFIX
    proxies = [KubeProxy(env, api, prefix, node, seed=seed * 1000 + node)
               for node in range(nodes)]
    start_s = 1.0                       # the kube-proxies have listed and are watching
    env.run(until=start_s)
    api.reset_load()
    first_update = len(controller.writes)

    def update() -> Iterator[simpy.Event]:
        for i in range(backends_per_service):
            controller.replace(i, replacement(controller.members[i], seed * 100_000 + i))
            yield env.timeout(interval_s)

    env.process(update())
    duration = backends_per_service * interval_s
    env.run(until=start_s + duration)
    load = api.load()
    received = sorted((r for p in proxies for r in p.received), key=lambda r: (r.t_s, r.node))
    expected = {b.ip for b in controller.members}
    return RollingUpdate(side, controller.writes, received, load,
                         load.watch_bytes_per_s * duration,
                         sum(w.size_bytes for w in controller.writes[first_update:]),
                         all(p.endpoint_ips() == expected for p in proxies), duration)
