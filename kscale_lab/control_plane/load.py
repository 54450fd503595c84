"""``ApiLoad``: the one currency in which every chapter reports the load it puts on the
control plane, so that chapter 9 can add chapters together and compare the sum with the
apiserver's and etcd's capacity.

Requests are counted by verb, as the apiserver's own ``apiserver_request_total{verb}``
counts them; etcd is measured in bytes written per second and in objects and bytes held;
watches in events and bytes sent per second and in streams open.

>>> a = ApiLoad({"GET": 10.0}, etcd_write_bytes_per_s=100.0)
>>> b = ApiLoad({"GET": 5.0, "PATCH": 1.0})
>>> (a + b).requests_per_s
16.0
>>> sum([a, b], ApiLoad()).requests_per_s_by_verb["GET"]
15.0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VERBS = ("GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE")
MUTATING_VERBS = ("CREATE", "UPDATE", "PATCH", "DELETE")

_SCALARS = ("rejected_per_s", "etcd_write_bytes_per_s", "etcd_objects", "etcd_bytes",
            "watch_events_per_s", "watch_bytes_per_s", "watches_open")


@dataclass(frozen=True)
class ApiLoad:
    """The load one client pattern puts on the apiserver and etcd, in steady state."""

    requests_per_s_by_verb: Mapping[str, float] = field(default_factory=dict)
    rejected_per_s: float = 0.0
    """Requests answered 429 (Too Many Requests)."""
    etcd_write_bytes_per_s: float = 0.0
    """Bytes of new revisions written to etcd."""
    etcd_objects: float = 0.0
    """Objects held in etcd (latest versions)."""
    etcd_bytes: float = 0.0
    """Bytes held in etcd: latest versions plus history not yet compacted."""
    watch_events_per_s: float = 0.0
    """Watch events sent to clients (bookmarks and init events included)."""
    watch_bytes_per_s: float = 0.0
    """Bytes of those watch events."""
    watches_open: float = 0.0
    """Long-running watch streams open."""

    def __post_init__(self) -> None:
        verbs = {}
        for verb, rate in dict(self.requests_per_s_by_verb).items():
            if verb not in VERBS:
                raise ValueError(f"requests_per_s_by_verb: unknown verb {verb!r}; "
                                 f"verbs: {', '.join(VERBS)}")
            verbs[verb] = _checked(f"requests_per_s_by_verb[{verb!r}]", rate)
        object.__setattr__(self, "requests_per_s_by_verb", verbs)
        for name in _SCALARS:
            object.__setattr__(self, name, _checked(name, getattr(self, name)))

    @property
    def requests_per_s(self) -> float:
        """All requests per second, every verb."""
        return float(sum(self.requests_per_s_by_verb.values()))

    def __add__(self, other: ApiLoad) -> ApiLoad:
        if not isinstance(other, ApiLoad):
            return NotImplemented
        mine, theirs = self.requests_per_s_by_verb, other.requests_per_s_by_verb
        verbs = {v: mine.get(v, 0.0) + theirs.get(v, 0.0) for v in VERBS
                 if v in mine or v in theirs}
        return ApiLoad(verbs, **{n: getattr(self, n) + getattr(other, n) for n in _SCALARS})

    def __radd__(self, other: Any) -> ApiLoad:
        if other == 0:                      # sum() starts from 0
            return self
        return self.__add__(other)

    def scaled(self, k: float) -> ApiLoad:
        """Every rate and amount multiplied by ``k`` (≥ 0)."""
        k = _checked("k", k)
        return ApiLoad({v: r * k for v, r in self.requests_per_s_by_verb.items()},
                       **{n: getattr(self, n) * k for n in _SCALARS})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``requests_per_s`` (total), every verb, and every other field."""
        out: dict[str, Any] = {"requests_per_s": self.requests_per_s,
                               "requests_per_s_by_verb": {v: float(self.requests_per_s_by_verb
                                                                   .get(v, 0.0)) for v in VERBS}}
        out.update({f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)
                    if f.name in _SCALARS})
        return out


def _checked(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number ≥ 0; got {value!r}") from None
    if math.isnan(v) or math.isinf(v) or v < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0; got {value!r}")
    return v + 0.0
