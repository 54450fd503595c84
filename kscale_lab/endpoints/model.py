"""Chapter 8, part 1 — one Endpoints object per Service vs EndpointSlices, at cluster scale.

Every kube-proxy (one per node) watches every Service's endpoints, because any pod on its
node may connect to any Service. So a change to one backend of one Service is sent to
**every node**:

* **naive** — the Service's one ``Endpoints`` object holds every backend; a change rewrites
  the whole object in etcd (one write of ``E(n)`` bytes for ``n`` backends) and the
  apiserver sends the whole object to every watching kube-proxy: ``nodes × E(n)`` bytes. A
  rolling update replaces each of the ``n`` backends once: ``n × nodes × E(n)`` — quadratic
  in the Service's size. And one object has to fit in one etcd request (1.5 MiB).
* **improved** — KEP-0752's EndpointSlices of at most ``max_endpoints_per_slice`` (100)
  endpoints: a change rewrites only the slice that holds the backend, ``S(k)`` bytes for a
  slice of ``k``, and sends that slice: ``nodes × S(k)``; a rolling update costs
  ``nodes × Σ k_i × S(k_i)`` over the slices — linear in the Service's size.

The number of etcd writes and of watch events per change is the same in both (one write;
one event per kube-proxy): the fix is in the **bytes**. ``E(n)`` and ``S(k)`` are measured
on real objects (:mod:`.objects`, :mod:`.sizes`). The event-by-event version of the same
mechanism, through the shared control plane, is :func:`~.controller.rolling_update`.

Not modelled: batching by the controllers' work queues (several changes to one Service in
quick succession may be written once), the other watchers of endpoints (DNS, ingress
controllers …), and how the real slice controller places endpoints as they churn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane import ApiLoad, reflector_load
from kscale_lab.control_plane.apiserver import COMPACTION_INTERVAL_S
from kscale_lab.dimensions import Dimensions, choice, dimension, shared
from kscale_lab.endpoints.sizes import ENCODINGS, object_sizes
from kscale_lab.model import Model, Outcome, Version, metric, side_of
from kscale_lab.units import MiB

__all__ = ["CURVE_BACKENDS", "DEFAULT_MAX_ENDPOINTS_PER_SLICE", "ETCD_MAX_REQUEST_BYTES",
           "EndpointsDimensions", "EndpointsModel", "EndpointsOutcome", "api_load",
           "per_change"]

#: etcd's maximum request size (facts file): one object must fit in one request.
ETCD_MAX_REQUEST_BYTES = int(1.5 * MiB)
#: ``--max-endpoints-per-slice`` default, and its maximum (KEP-0752).
DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100
MAX_ENDPOINTS_PER_SLICE = 1000
#: The backends per Service at which the figure's curves are drawn: past the sliders'
#: 2,000, to where one Endpoints object no longer fits in an etcd request.
CURVE_BACKENDS = np.unique(np.geomspace(1, 20_000, 90).round().astype(np.int64))


@dataclass(frozen=True)
class EndpointsDimensions(Dimensions):
    """A cluster of ``services`` identical Services watched by one kube-proxy per node."""

    backends_per_service: int = shared("backends_per_service", 250,
                                       help="Every Service in the lab has this many")
    nodes: int = shared("nodes", 5000, help="Each node's kube-proxy watches every Service's "
                                            "endpoints")
    max_endpoints_per_slice: int = dimension(
        DEFAULT_MAX_ENDPOINTS_PER_SLICE, lo=1, hi=MAX_ENDPOINTS_PER_SLICE, log=True,
        unit="endpoints", label="endpoints/slice",
        help="--max-endpoints-per-slice of the EndpointSlice controller (improved only): "
             "100 by default, at most 1,000")
    services: int = shared("services", 500, help="Services of this size (only the cluster's "
                                                 "totals depend on it)")
    endpoint_changes_per_s: float = shared(
        "endpoint_changes_per_s", 20.0,
        help="Illustrative: 20 is the SLOs' churn prerequisite of 20 pods/s, each taken as "
             "one change")
    encoding: str = choice(
        "protobuf-like", choices=ENCODINGS, label="encoding",
        help="How objects are measured: the lab's protobuf-like encoding (not Kubernetes' "
             ".proto files) or compact JSON")

    @property
    def slices_per_service(self) -> int:
        m = self.max_endpoints_per_slice
        return -(-self.backends_per_service // m)


@dataclass(frozen=True)
class EndpointsOutcome(Outcome):
    """What one backend change, and one rolling update, cost with one version."""

    object_bytes: int = metric(unit="B", help="The largest object holding the Service's "
                                              "endpoints")
    objects_per_service: int = metric(unit="objects", help="Objects holding one Service's "
                                                           "endpoints")
    etcd_writes_per_update: int = metric(unit="writes", help="etcd writes for one backend "
                                                             "change")
    etcd_bytes_per_update: float = metric(unit="B", help="Bytes written to etcd for one "
                                                         "backend change (average over "
                                                         "which backend changes)")
    watch_events_per_update: int = metric(unit="events", help="Watch events sent for one "
                                                              "backend change (one per "
                                                              "kube-proxy)")
    bytes_per_update: float = metric(unit="B", help="Bytes sent to all kube-proxies for one "
                                                    "backend change")
    bytes_per_rolling_update: float = metric(unit="B", help="Bytes sent to all kube-proxies "
                                                            "while every backend of the "
                                                            "Service is replaced once")
    backends_etcd_limit: int | None = metric(
        unit="endpoints", none="no limit",
        help="Most backends a Service can have before one of its objects exceeds etcd's "
             "1.5 MiB request limit")
    curve_backends: Any = field(default=None, repr=False)
    """:data:`CURVE_BACKENDS`, for the figure."""
    curve_bytes_per_update: Any = field(default=None, repr=False)
    curve_bytes_per_rolling_update: Any = field(default=None, repr=False)
    curve_object_bytes: Any = field(default=None, repr=False)


def per_change(backends: int | np.ndarray, version: Version | str, *,
               max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
               encoding: str = "protobuf-like") -> dict[str, Any]:
    """One Service's objects and what one change writes, for ``backends`` (vectorised).

    Returns a dict of ``object_bytes`` (the largest object), ``objects`` (how many),
    ``change_bytes`` (bytes one change rewrites, averaged over which backend changes: a
    backend in a slice of ``k`` rewrites ``S(k)``) and ``rolling_bytes`` (the bytes written
    while each backend is replaced once, ``Σ k_i S(k_i)``; ``n × E(n)`` for Endpoints).
    """
    n = np.asarray(backends, dtype=np.int64)
    sizes = object_sizes(encoding)
    if side_of(version) == "naive":
        whole = sizes.endpoints_bytes(n)
        out = {"object_bytes": whole, "objects": np.ones_like(n), "change_bytes": whole,
               "rolling_bytes": n * whole}
    else:
        m = max_endpoints_per_slice
        full, rest = n // m, n % m
        rest_bytes = np.where(rest > 0, sizes.slice_bytes(np.maximum(rest, 1)), 0)
        rolling = full * m * sizes.slice_bytes(m) + rest * rest_bytes
        out = {"object_bytes": np.where(full > 0, sizes.slice_bytes(m), rest_bytes),
               "objects": full + (rest > 0), "change_bytes": rolling / n,
               "rolling_bytes": rolling}
    return {k: (np.asarray(v).item() if np.ndim(v) == 0 else v) for k, v in out.items()}


def api_load(dims: EndpointsDimensions, version: Version | str) -> ApiLoad:
    """The endpoint controller's writes and the kube-proxies' watches, in closed form.

    Per second: one UPDATE per change (``endpoint_changes_per_s``) of the bytes it rewrites;
    one watch event per change per kube-proxy (every node's, selectivity 1, through
    :func:`~kscale_lab.control_plane.reflector_load`, which adds the reflectors' watch
    restarts). Held in etcd: every Service's objects, plus two compaction intervals of
    history (the apiserver compacts every 5 min to its previous tick). Pods, Services and
    the other watchers of endpoints are not this model's load.
    """
    c = per_change(dims.backends_per_service, version,
                   max_endpoints_per_slice=dims.max_endpoints_per_slice,
                   encoding=dims.encoding)
    rate = dims.endpoint_changes_per_s
    write_bytes_per_s = rate * c["change_bytes"]
    live = dims.services * (c["rolling_bytes"] / dims.backends_per_service
                            if side_of(version) == "naive" else _slices_bytes(dims))
    writes = ApiLoad({"UPDATE": rate}, etcd_write_bytes_per_s=write_bytes_per_s,
                     etcd_objects=dims.services * c["objects"],
                     etcd_bytes=live + 2 * COMPACTION_INTERVAL_S * write_bytes_per_s)
    watches = reflector_load(dims.nodes, rate, 1.0, object_bytes=c["change_bytes"])
    return writes + watches


def _slices_bytes(dims: EndpointsDimensions) -> int:
    """Bytes of all of one Service's slices."""
    sizes = object_sizes(dims.encoding)
    m, n = dims.max_endpoints_per_slice, dims.backends_per_service
    full, rest = divmod(n, m)
    return full * sizes.slice_bytes(m) + (sizes.slice_bytes(rest) if rest else 0)


class EndpointsModel(Model[EndpointsDimensions, EndpointsOutcome]):
    """Endpoints (naive) vs EndpointSlices (improved): the bytes of one backend change."""

    key = "endpoints"
    chapter = 8
    title = "EndpointSlices"
    dimensions = EndpointsDimensions
    versions = (Version("naive", "one Endpoints object"),
                Version("improved", "EndpointSlices"))
    figure_class = "kscale_lab.figures.endpoints:EndpointsFigure"

    def run(self, dims: EndpointsDimensions, version: Version) -> EndpointsOutcome:
        options = dict(max_endpoints_per_slice=dims.max_endpoints_per_slice,
                       encoding=dims.encoding)
        c = per_change(dims.backends_per_service, version, **options)
        curve = per_change(CURVE_BACKENDS, version, **options)
        watchers = dims.nodes
        if version.is_naive:
            limit = object_sizes(dims.encoding).max_backends_within(ETCD_MAX_REQUEST_BYTES)
        else:
            limit = None                      # a slice never holds more than 1,000
        return EndpointsOutcome(
            object_bytes=int(c["object_bytes"]), objects_per_service=int(c["objects"]),
            etcd_writes_per_update=1, etcd_bytes_per_update=float(c["change_bytes"]),
            watch_events_per_update=watchers,
            bytes_per_update=watchers * float(c["change_bytes"]),
            bytes_per_rolling_update=watchers * float(c["rolling_bytes"]),
            backends_etcd_limit=limit,
            curve_backends=CURVE_BACKENDS,
            curve_bytes_per_update=watchers * curve["change_bytes"],
            curve_bytes_per_rolling_update=watchers * curve["rolling_bytes"],
            curve_object_bytes=curve["object_bytes"],
            load=api_load(dims, version))
