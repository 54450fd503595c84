"""Chapter 8, part 1 — EndpointSlices: what one backend change costs every kube-proxy.

The talk's "Peep into the future" begins with a **new Endpoints API**. Until EndpointSlices
(KEP-0752: alpha 1.16, beta 1.17, read by kube-proxy from 1.19, GA 1.21), a Service's
backends lived in one ``Endpoints`` object, rewritten and re-sent to every node's kube-proxy
whenever any backend changed.

* :mod:`~kscale_lab.endpoints.objects` — the real objects (``Endpoints``, ``EndpointSlice``)
  of a synthetic Service, with the fields Kubernetes stores;
* :mod:`~kscale_lab.endpoints.wire` — their size as compact JSON and in a small,
  documented protobuf-like encoding;
* :mod:`~kscale_lab.endpoints.sizes` — those sizes for any number of backends, exactly;
* :mod:`~kscale_lab.endpoints.controller` — SimPy: the endpoints and EndpointSlice
  controllers writing through the shared control plane while kube-proxies watch;
* :mod:`~kscale_lab.endpoints.model` — the closed form at cluster scale,
  :class:`EndpointsModel` (``kscale run endpoints``);
* :mod:`~kscale_lab.endpoints.releases` — which release has which fix (EndpointSlices, and
  API Priority and Fairness, the chapter's second part, :mod:`kscale_lab.priority`).
"""

from kscale_lab.endpoints.model import (
    CURVE_BACKENDS,
    DEFAULT_MAX_ENDPOINTS_PER_SLICE,
    ETCD_MAX_REQUEST_BYTES,
    MAX_ENDPOINTS_PER_SLICE,
    EndpointsDimensions,
    EndpointsModel,
    EndpointsOutcome,
    api_load,
    per_change,
)
from kscale_lab.endpoints.objects import (
    Backend,
    backends,
    endpoint_slice,
    endpoint_slices,
    endpoints_object,
    replacement,
    slice_endpoint,
)
from kscale_lab.endpoints.releases import (
    apf_on_by_default,
    kube_proxy_reads_endpoint_slices,
    side_in,
)
from kscale_lab.endpoints.sizes import ENCODINGS, ObjectSizes, object_sizes
from kscale_lab.endpoints.wire import json_bytes, protobuf_bytes

__all__ = [
    "CURVE_BACKENDS", "DEFAULT_MAX_ENDPOINTS_PER_SLICE", "ENCODINGS", "ETCD_MAX_REQUEST_BYTES",
    "MAX_ENDPOINTS_PER_SLICE", "Backend", "EndpointsDimensions", "EndpointsModel",
    "EndpointsOutcome", "ObjectSizes", "apf_on_by_default", "api_load", "backends",
    "endpoint_slice", "endpoint_slices", "endpoints_object", "json_bytes",
    "kube_proxy_reads_endpoint_slices", "object_sizes", "per_change", "protobuf_bytes",
    "replacement", "side_in", "slice_endpoint",
]
