"""The objects kube-proxy reads: one ``Endpoints`` per Service, or its ``EndpointSlice``\\ s.

A Service's *backends* are the ready pods its selector matches. Until EndpointSlices, the
endpoints controller kept them all in **one** ``core/v1`` ``Endpoints`` object named after
the Service: a list of *subsets*, each with ``addresses`` (``ip``, ``nodeName``,
``targetRef`` — the pod) and ``ports``. The **EndpointSlice** controller (KEP-0752) splits
them into ``discovery.k8s.io/v1`` ``EndpointSlice`` objects of at most
``--max-endpoints-per-slice`` endpoints (100 by default, at most 1,000), each endpoint with
``addresses``, ``conditions`` (``ready``, ``serving``, ``terminating``), ``targetRef``,
``nodeName`` and ``zone``; a slice names its Service in the label
``kubernetes.io/service-name`` and is owned by it.

Field names follow the Kubernetes API reference (checked against the models of the official
Python client, ``kubernetes`` 37.0.2, API release 1.37: ``V1Endpoints``, ``V1EndpointSubset``,
``V1EndpointAddress``, ``V1EndpointSlice``, ``V1Endpoint``, ``V1EndpointConditions``,
``V1ObjectReference``): an ``EndpointAddress`` has no zone, an ``Endpoint`` of a slice has
one. The *values* are a synthetic cluster's, chosen by the lab (illustrative): names and
addresses are **fixed-width** (``node-00042``, ``10.100.123.234``, pod names of a
Deployment's shape), so every endpoint of a Service serializes to the same number of bytes
and an object's size is exactly linear in its endpoints (:mod:`.sizes` relies on it). Both
objects get the same ``targetRef`` fields (kind, namespace, name, uid) so that they compare
fairly. Labels and annotations the controllers may add beyond these are left out.

>>> b = backends("web", 2)
>>> eps = endpoints_object("web", b)
>>> [a["ip"] for a in eps["subsets"][0]["addresses"]] == [x.ip for x in b]
True
>>> [s["metadata"]["name"] for s in endpoint_slices("web", backends("web", 5), 2)]
['web-00001', 'web-00002', 'web-00003']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Backend", "NAMESPACE", "PORT", "backends", "endpoint_slice", "endpoint_slices",
           "endpoints_object", "replacement", "slice_endpoint"]

#: The namespace of the lab's Services (illustrative).
NAMESPACE = "default"
#: The one port every lab Service exposes.
PORT = {"name": "http", "port": 8080, "protocol": "TCP"}
#: Zones the backends are spread over (illustrative names).
ZONES = ("zone-a", "zone-b", "zone-c")
#: Synthetic node names have five digits: the lab's clusters have at most 15,000 nodes.
NODE_DIGITS = 5
CREATED = "2019-05-21T09:00:00Z"
RESOURCE_VERSION = "123456789"
_ALPHABET = np.array(list("bcdfghjklmnpqrstvwxz2456789"))   # pod-name suffix characters
_HEX = np.array(list("0123456789abcdef"))


class Backend(NamedTuple):
    """One ready pod behind a Service: what an endpoint records about it."""

    pod: str
    uid: str
    ip: str
    node: str
    zone: str


def _uid(rng: np.random.Generator) -> str:
    h = "".join(_HEX[rng.integers(0, 16, 32)])
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _backend(service: str, rng: np.random.Generator, nodes: int) -> Backend:
    template = "".join(_ALPHABET[rng.integers(0, len(_ALPHABET), 10)])
    suffix = "".join(_ALPHABET[rng.integers(0, len(_ALPHABET), 5)])
    node = int(rng.integers(1, nodes + 1))
    o3, o4 = (int(x) for x in rng.integers(100, 255, 2))      # fixed width: 10.100.xxx.yyy
    return Backend(pod=f"{service}-{template}-{suffix}", uid=_uid(rng),
                   ip=f"10.100.{o3}.{o4}", node=f"node-{node:0{NODE_DIGITS}d}",
                   zone=ZONES[node % len(ZONES)])


def backends(service: str, n: int, *, nodes: int = 5000, seed: int = 0) -> list[Backend]:
    """``n`` seeded backends of ``service`` on a cluster of ``nodes`` nodes.

    Raises ``ValueError`` for a negative ``n`` or ``nodes`` outside 1 … 99,999.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"n must be a whole number of at least 0 backends; got {n!r}")
    if not 1 <= nodes < 10**NODE_DIGITS:
        raise ValueError(f"nodes must be from 1 to {10**NODE_DIGITS - 1:,}; got {nodes!r}")
    rng = np.random.default_rng(seed)
    return [_backend(service, rng, nodes) for _ in range(n)]


def replacement(old: Backend, seed: int) -> Backend:
    """The pod that replaces ``old`` in a rolling update: a new name, uid, IP and node, of
    the same widths (so the objects keep their size)."""
    service = old.pod.rsplit("-", 2)[0]
    return _backend(service, np.random.default_rng(seed), 10**NODE_DIGITS - 1)


def _target_ref(b: Backend) -> dict[str, str]:
    return {"kind": "Pod", "namespace": NAMESPACE, "name": b.pod, "uid": b.uid}


def endpoints_object(service: str, members: Sequence[Backend]) -> dict[str, Any]:
    """The ``core/v1`` ``Endpoints`` object of ``service``: every backend in one subset."""
    addresses = [{"ip": b.ip, "nodeName": b.node, "targetRef": _target_ref(b)}
                 for b in members]
    return {"kind": "Endpoints", "apiVersion": "v1",
            "metadata": {"name": service, "namespace": NAMESPACE,
                         "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64",
                         "resourceVersion": RESOURCE_VERSION, "creationTimestamp": CREATED},
            "subsets": [{"addresses": addresses, "ports": [dict(PORT)]}]}


def slice_endpoint(b: Backend) -> dict[str, Any]:
    """One endpoint of an ``EndpointSlice`` (ready, serving, not terminating)."""
    return {"addresses": [b.ip],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "targetRef": _target_ref(b), "nodeName": b.node, "zone": b.zone}


def endpoint_slice(service: str, index: int, members: Sequence[Backend]) -> dict[str, Any]:
    """The ``index``-th (from 1) ``discovery.k8s.io/v1`` ``EndpointSlice`` of ``service``.

    Real slices are named ``<service>-<5 random characters>`` (``generateName``); the lab
    numbers them, with the same width.
    """
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": f"{service}-{index:05d}", "generateName": f"{service}-",
                         "namespace": NAMESPACE, "uid": "6c1e9b7d-3b7d-4d8e-9a41-2c6f1e9b7d30",
                         "resourceVersion": RESOURCE_VERSION, "generation": 1,
                         "creationTimestamp": CREATED,
                         "labels": {"endpointslice.kubernetes.io/managed-by":
                                    "endpointslice-controller.k8s.io",
                                    "kubernetes.io/service-name": service},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                              "name": service,
                                              "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64",
                                              "controller": True,
                                              "blockOwnerDeletion": True}]},
            "addressType": "IPv4",
            "endpoints": [slice_endpoint(b) for b in members],
            "ports": [dict(PORT)]}


def endpoint_slices(service: str, members: Sequence[Backend],
                    max_endpoints_per_slice: int = 100) -> list[dict[str, Any]]:
    """``service``'s backends packed in order into slices of at most
    ``max_endpoints_per_slice`` (the controller's default 100): every slice full but the
    last. (How the real controller places endpoints as they churn — it may leave slices
    partly full rather than rewrite many — is not modelled.)"""
    if not 1 <= max_endpoints_per_slice <= 1000:
        raise ValueError(f"max_endpoints_per_slice must be from 1 to 1,000; got "
                         f"{max_endpoints_per_slice!r}")
    m = max_endpoints_per_slice
    return [endpoint_slice(service, i // m + 1, members[i:i + m])
            for i in range(0, len(members), m)]
