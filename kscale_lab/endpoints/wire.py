"""How many bytes an object takes on the wire: compact JSON, and a protobuf-like encoding.

Kubernetes serializes objects as JSON or as protobuf. The lab measures both for the objects
it builds:

* :func:`json_bytes` — compact JSON (no spaces), UTF-8: what ``kubectl get -o json`` shows,
  minus the indentation.
* :func:`protobuf_bytes` — a **protobuf-like** encoding written here: protobuf's wire format
  (varint tags and lengths, length-delimited strings and nested messages) applied to the
  same fields, with field numbers given in the order of :data:`MESSAGES`. It is *not*
  generated from Kubernetes' ``generated.proto`` files (they are not in this course), so its
  bytes are not the bytes kube-apiserver writes — it shows how much smaller the same
  information is once field names and punctuation are gone. Every present field is encoded
  (``false`` and ``0`` too, as proto2's optional fields are); timestamps become a message
  of whole seconds, as ``metav1.Time``'s protobuf form is (recalled, unverified); the
  apiserver's envelope around a stored object (its magic prefix and type metadata) is left
  out.

The protobuf wire format itself — a *tag* is ``field_number << 3 | wire_type`` as a varint,
wire type 0 a varint, wire type 2 a length-delimited field (a varint length, then the bytes);
a varint is 7 bits per byte, low bits first, the top bit set on every byte but the last — is
protobuf's public encoding (protobuf.dev, "Encoding").

>>> varint(1), varint(300)
(b'\\x01', b'\\xac\\x02')
>>> protobuf_bytes({"port": 8080, "protocol": "TCP", "name": "http"}, "EndpointPort")
14
>>> json_bytes({"port": 8080, "protocol": "TCP", "name": "http"})
44
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

__all__ = ["MESSAGES", "encode", "json_bytes", "protobuf_bytes", "varint", "varint_len"]

#: The messages the lab encodes: for each, its fields in field-number order (1, 2, …) and
#: each field's type. ``"string"``, ``"varint"`` (int or bool), ``"time"`` (RFC 3339 text
#: → seconds), ``"strings"`` (repeated string), ``"map"`` (map<string, string>), a message
#: name, or ``"[Message]"`` for a repeated message. The field names are the API's (as in the
#: Kubernetes API reference); the numbers are this module's, not Kubernetes'.
MESSAGES: dict[str, list[tuple[str, str]]] = {
    "ObjectMeta": [("name", "string"), ("generateName", "string"), ("namespace", "string"),
                   ("uid", "string"), ("resourceVersion", "string"), ("generation", "varint"),
                   ("creationTimestamp", "time"), ("labels", "map"), ("annotations", "map"),
                   ("ownerReferences", "[OwnerReference]")],
    "OwnerReference": [("apiVersion", "string"), ("kind", "string"), ("name", "string"),
                       ("uid", "string"), ("controller", "varint"),
                       ("blockOwnerDeletion", "varint")],
    "ObjectReference": [("kind", "string"), ("namespace", "string"), ("name", "string"),
                        ("uid", "string"), ("apiVersion", "string"),
                        ("resourceVersion", "string"), ("fieldPath", "string")],
    # core/v1 Endpoints
    "Endpoints": [("kind", "string"), ("apiVersion", "string"), ("metadata", "ObjectMeta"),
                  ("subsets", "[EndpointSubset]")],
    "EndpointSubset": [("addresses", "[EndpointAddress]"),
                       ("notReadyAddresses", "[EndpointAddress]"), ("ports", "[EndpointPort]")],
    "EndpointAddress": [("ip", "string"), ("hostname", "string"), ("nodeName", "string"),
                        ("targetRef", "ObjectReference")],
    "EndpointPort": [("name", "string"), ("port", "varint"), ("protocol", "string"),
                     ("appProtocol", "string")],
    # discovery.k8s.io/v1 EndpointSlice
    "EndpointSlice": [("kind", "string"), ("apiVersion", "string"), ("metadata", "ObjectMeta"),
                      ("addressType", "string"), ("endpoints", "[Endpoint]"),
                      ("ports", "[EndpointPort]")],
    "Endpoint": [("addresses", "strings"), ("conditions", "EndpointConditions"),
                 ("hostname", "string"), ("targetRef", "ObjectReference"),
                 ("nodeName", "string"), ("zone", "string")],
    "EndpointConditions": [("ready", "varint"), ("serving", "varint"),
                           ("terminating", "varint")],
    "Timestamp": [("seconds", "varint"), ("nanos", "varint")],
}

_VARINT, _LEN = 0, 2


def varint(value: int) -> bytes:
    """``value`` (an integer ≥ 0) as a protobuf varint."""
    if value < 0:
        raise ValueError(f"value must be an integer >= 0; got {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_len(value: int) -> int:
    """How many bytes :func:`varint` takes for ``value``: 1 below 128, 2 below 16,384 …"""
    n = 1
    while value >= 0x80:
        value >>= 7
        n += 1
    return n


def _tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def _delimited(number: int, payload: bytes) -> bytes:
    return _tag(number, _LEN) + varint(len(payload)) + payload


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def encode(obj: dict[str, Any], message: str) -> bytes:
    """``obj`` (a dict with the API's field names) encoded as the protobuf-like ``message``.

    Raises ``ValueError`` for a field the message does not have (so a misspelt field is
    never silently dropped) or an unknown message.
    """
    if message not in MESSAGES:
        raise ValueError(f"message must be one of {', '.join(MESSAGES)}; got {message!r}")
    fields = MESSAGES[message]
    known = {name for name, _ in fields}
    unknown = [k for k in obj if k not in known]
    if unknown:
        raise ValueError(f"field {unknown[0]!r} is not a field of {message}; fields: "
                         f"{', '.join(sorted(known))}")
    out = bytearray()
    for number, (name, kind) in enumerate(fields, start=1):
        if name not in obj or obj[name] is None:
            continue
        value = obj[name]
        if kind == "string":
            out += _delimited(number, str(value).encode())
        elif kind == "varint":
            out += _tag(number, _VARINT) + varint(int(value))
        elif kind == "time":
            out += _delimited(number, encode({"seconds": _seconds(value)}, "Timestamp"))
        elif kind == "strings":
            for item in value:
                out += _delimited(number, str(item).encode())
        elif kind == "map":
            for key, item in value.items():
                entry = _delimited(1, str(key).encode()) + _delimited(2, str(item).encode())
                out += _delimited(number, entry)
        elif kind.startswith("["):
            for item in value:
                out += _delimited(number, encode(item, kind[1:-1]))
        else:
            out += _delimited(number, encode(value, kind))
    return bytes(out)


def protobuf_bytes(obj: dict[str, Any], message: str | None = None) -> int:
    """The size of ``obj`` in the protobuf-like encoding; ``message`` defaults to
    ``obj["kind"]``."""
    return len(encode(obj, message or obj["kind"]))


def json_bytes(obj: Any) -> int:
    """The size of ``obj`` as compact JSON, UTF-8 (the measure chapter 2 uses for a Lease)."""
    return len(json.dumps(obj, separators=(",", ":")).encode())
