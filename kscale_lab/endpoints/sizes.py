"""Exact sizes of a Service's Endpoints object and of its EndpointSlices, for any size.

Building and serializing a 2,000-endpoint object on every slider move would be slow, and
needless: the lab's backends are fixed-width (:mod:`.objects`), so every endpoint of a
Service serializes to the same bytes, and an object's size is a few **measured** pieces put
together by the rules of each encoding:

* compact JSON — the object with one endpoint, plus ``(n - 1) × (endpoint + 1)`` (a comma
  between list items);
* protobuf-like — a repeated field adds ``tag + varint(length) + length`` per item; the
  Endpoints object nests its addresses in a subset, whose own length prefix grows from 1 to
  2, 3, 4 bytes as the subset passes 127 B, 16 KiB, 2 MiB (:func:`~.wire.varint_len`).

``tests/test_endpoints.py`` checks these formulas against building and serializing the real
objects, for many sizes.

>>> from kscale_lab.endpoints.objects import backends, endpoints_object
>>> from kscale_lab.endpoints.wire import json_bytes
>>> s = object_sizes("json")
>>> s.endpoints_bytes(3) == json_bytes(endpoints_object("web", backends("web", 3)))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from kscale_lab.endpoints.objects import (
    PORT,
    backends,
    endpoint_slice,
    endpoints_object,
    slice_endpoint,
)
from kscale_lab.endpoints.wire import encode, json_bytes, varint_len

__all__ = ["ENCODINGS", "ObjectSizes", "object_sizes"]

#: The encodings the lab measures (``"protobuf-like"`` is :mod:`.wire`'s, not Kubernetes').
ENCODINGS = ("protobuf-like", "json")
SERVICE = "web"


@dataclass(frozen=True)
class ObjectSizes:
    """Measured pieces of one encoding, and the sizes they add up to (bytes)."""

    encoding: str
    endpoints_one: int
    """The Endpoints object with one backend (JSON)."""
    address_bytes: int
    """One ``EndpointAddress`` (JSON: the item; protobuf-like: the item with its tag and length)."""
    endpoints_outer: int
    """Protobuf-like: the Endpoints object without its subset."""
    subset_ports: int
    """Protobuf-like: the subset holding only its ports."""
    slice_one: int
    """The EndpointSlice with one endpoint (JSON)."""
    slice_empty: int
    """Protobuf-like: the EndpointSlice with no endpoints."""
    endpoint_bytes: int
    """One slice ``Endpoint`` (JSON: the item; protobuf-like: with its tag and length)."""

    def endpoints_bytes(self, n: int | np.ndarray) -> int | np.ndarray:
        """The ``Endpoints`` object of a Service with ``n`` ≥ 1 backends."""
        n = np.asarray(n, dtype=np.int64)
        if np.any(n < 1):
            raise ValueError(f"n must be at least 1 backend; got {n.min()}")
        if self.encoding == "json":
            out = self.endpoints_one + (n - 1) * (self.address_bytes + 1)
        else:
            subset = self.subset_ports + n * self.address_bytes
            out = self.endpoints_outer + 1 + _varint_len(subset) + subset
        return int(out) if out.ndim == 0 else out

    def slice_bytes(self, k: int | np.ndarray) -> int | np.ndarray:
        """An ``EndpointSlice`` holding ``k`` ≥ 1 endpoints."""
        k = np.asarray(k, dtype=np.int64)
        if np.any(k < 1):
            raise ValueError(f"k must be at least 1 endpoint; got {k.min()}")
        if self.encoding == "json":
            out = self.slice_one + (k - 1) * (self.endpoint_bytes + 1)
        else:
            out = self.slice_empty + k * self.endpoint_bytes
        return int(out) if out.ndim == 0 else out

    def max_backends_within(self, limit_bytes: int) -> int:
        """The most backends whose Endpoints object is at most ``limit_bytes``."""
        lo, hi = 0, 1
        while self.endpoints_bytes(hi) <= limit_bytes:
            lo, hi = hi, hi * 2
        while hi - lo > 1:                 # endpoints_bytes(lo) <= limit < endpoints_bytes(hi)
            mid = (lo + hi) // 2
            if self.endpoints_bytes(mid) <= limit_bytes:
                lo = mid
            else:
                hi = mid
        return lo


def _varint_len(values: np.ndarray) -> np.ndarray:
    return np.vectorize(varint_len, otypes=[np.int64])(values) if values.ndim else \
        np.asarray(varint_len(int(values)))


def _delimited(payload_bytes: int) -> int:
    return 1 + varint_len(payload_bytes) + payload_bytes


@cache
def object_sizes(encoding: str) -> ObjectSizes:
    """The measured pieces for ``encoding`` (``"protobuf-like"`` or ``"json"``), cached."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(map(repr, ENCODINGS))}; "
                         f"got {encoding!r}")
    one = backends(SERVICE, 1)
    eps = endpoints_object(SERVICE, one)
    sl = endpoint_slice(SERVICE, 1, one)
    address = eps["subsets"][0]["addresses"][0]
    if encoding == "json":
        return ObjectSizes(encoding, json_bytes(eps), json_bytes(address), 0, 0,
                           json_bytes(sl), 0, json_bytes(slice_endpoint(one[0])))
    outer = dict(eps, subsets=[])
    return ObjectSizes(
        encoding, 0, _delimited(len(encode(address, "EndpointAddress"))),
        len(encode(outer, "Endpoints")),
        len(encode({"ports": [dict(PORT)]}, "EndpointSubset")), 0,
        len(encode(dict(sl, endpoints=[]), "EndpointSlice")),
        _delimited(len(encode(slice_endpoint(one[0]), "Endpoint"))))
