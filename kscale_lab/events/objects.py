"""What an event is, in both APIs, and the workloads that produce them.

An *occurrence* (:class:`Occurrence`) is one thing a component wants to report: a kubelet
failing to create a pod's sandbox, a container restarting, a controller refused by a quota.
How it reaches the apiserver depends on the API:

* **core/v1** (the talk's "old" events): an ``Event`` with ``involvedObject``, ``source``
  (component, host), ``reason``, ``type``, ``message``, ``count`` and first/last timestamps;
  client-go's correlator (:mod:`~kscale_lab.events.correlator`) decides between a new object
  (POST) and a ``count`` PATCH, or drops it;
* **events.k8s.io/v1** (KEP-383, v1 in 1.19): ``regarding``, ``related``,
  ``reportingController``, ``reportingInstance``, ``action``, ``reason``, ``type``, ``note``
  and a ``series`` (``count``, ``lastObservedTime``). Events equal in the seven fields the
  talk's slide lists — everything but the note — are *isomorphic*
  (:meth:`Occurrence.isomorphic_key`) and share one object
  (:mod:`~kscale_lab.events.series`).

Object sizes are measured, not assumed: :func:`core_event` and :func:`events_v1_event` build
the object each API stores for an occurrence, and :func:`event_bytes` serializes it as
compact JSON (as chapter 2 measures its Lease). The encoding etcd really stores may be more
compact (unverified). Names, UIDs and times are typical values.

Workloads (:data:`WORKLOADS`) are the issue's: crash-looping pods, a failing sandbox creation
(the talk's ``FailedCreatePodSandBox`` example), an image-pull back-off, a deployment stuck on
a quota. Each says which events one *hot-looping object* emits per repeat, and whether their
messages repeat exactly or differ every time. The messages are illustrative, modelled on
kubelet and controller messages; what matters to the mechanism is only whether they repeat.
Pod churn (:data:`CHURN_EVENTS`) adds the one-shot events of a pod's start and of the pod it
replaces: six per pod, an illustrative set (the scheduler's ``Scheduled``, the kubelet's
``Pulling``, ``Pulled``, ``Created``, ``Started``, and ``Killing`` of the old pod).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["CHURN_EVENTS", "WORKLOADS", "EventKind", "Occurrence", "Workload", "core_event",
           "event_bytes", "events_v1_event", "kind_bytes"]

#: The time every example object carries (its value does not change a size).
_TIME = "2019-05-21T09:41:17Z"
_MICRO = "2019-05-21T09:41:17.123456Z"
#: Prefixed to the message of the old aggregator's combined event (client-go, facts file).
COMBINED_PREFIX = "(combined from similar events): "


class ObjectRef(NamedTuple):
    """An ``ObjectReference``: what an event is about (``involvedObject``/``regarding``)."""

    kind: str
    namespace: str
    name: str
    uid: str = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    api_version: str = "v1"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name,
                "uid": self.uid, "apiVersion": self.api_version}


class Occurrence(NamedTuple):
    """One event a component reports: the fields both APIs need.

    ``component``/``host`` are the old API's ``source`` and the new API's
    ``reportingController``/``reportingInstance``; ``regarding`` is the old
    ``involvedObject``; ``message`` is the old ``message`` and the new ``note``.
    """

    t_s: float
    component: str
    host: str
    regarding: ObjectRef
    related: ObjectRef | None
    action: str
    reason: str
    type: str
    message: str
    count: int = 1
    """Occurrences this record stands for (1: one occurrence)."""

    @property
    def source(self) -> tuple[str, str]:
        return (self.component, self.host)

    def isomorphic_key(self) -> tuple:
        """The fields that make two events isomorphic (KEP-383; the talk's slide): regarding,
        related, reporting controller and instance, action, reason and type — not the note."""
        return (self.regarding, self.related, self.component, self.host, self.action,
                self.reason, self.type)


@dataclass(frozen=True)
class EventKind:
    """One event a hot-looping object emits at every repeat."""

    reason: str
    type: str
    action: str
    message: str
    """The message; ``{n}`` in it is replaced by a number that changes every repeat."""

    @property
    def distinct(self) -> bool:
        """True if the message differs at every repeat (the aggregator's case)."""
        return "{n}" in self.message

    def text(self, n: int) -> str:
        return self.message.replace("{n}", f"{(n * 2654435761) % 16**8:08x}")


@dataclass(frozen=True)
class Workload:
    """What one hot-looping object does: who reports it, about what, and which events."""

    key: str
    title: str
    component: str
    per_node_source: bool
    """True if each node's kubelet reports it (one correlator per node); False if one
    controller reports it for the whole cluster (one correlator for every object)."""
    regarding_kind: str
    related_kind: str | None
    kinds: tuple[EventKind, ...]

    @property
    def events_per_repeat(self) -> int:
        return len(self.kinds)


WORKLOADS: dict[str, Workload] = {w.key: w for w in (
    Workload("sandbox", "failing sandbox creation (the talk's example)", "kubelet", True,
             "Pod", "DaemonSet",
             (EventKind("FailedCreatePodSandBox", "Warning", "FailedCreatePodSandBox",
                        "Failed to create pod sandbox: rpc error: code = Unknown desc = "
                        "failed to set up sandbox container {n} network for pod: "
                        "cannotAssignIP"),)),
    Workload("crashloop", "crash-looping pod (back-off restarts)", "kubelet", True, "Pod",
             None,
             (EventKind("Pulled", "Normal", "Pulling",
                        'Container image "registry.example/app:1.4" already present on '
                        "machine"),
              EventKind("Created", "Normal", "Creating", "Created container app"),
              EventKind("Started", "Normal", "Starting", "Started container app"),
              EventKind("BackOff", "Warning", "Restarting",
                        "Back-off restarting failed container"))),
    Workload("imagepull", "image pull back-off", "kubelet", True, "Pod", None,
             (EventKind("Pulling", "Normal", "Pulling",
                        'Pulling image "registry.example/app:1.5"'),
              EventKind("Failed", "Warning", "Pulling",
                        'Failed to pull image "registry.example/app:1.5": rpc error: code = '
                        "NotFound desc = manifest unknown"),
              EventKind("BackOff", "Normal", "Pulling",
                        'Back-off pulling image "registry.example/app:1.5"'))),
    Workload("quota", "deployment stuck on a quota", "replicaset-controller", False,
             "ReplicaSet", "Deployment",
             (EventKind("FailedCreate", "Warning", "Creating",
                        'Error creating: pods "web-7d4b9c5f8-{n}" is forbidden: exceeded '
                        "quota: compute-resources, requested: cpu=500m, used: cpu=20, "
                        "limited: cpu=20"),)),
)}

#: The one-shot events of pod churn: the scheduler's, then the kubelet's for the new pod and
#: the ``Killing`` of the pod it replaces. Each regards another pod: never repeated.
CHURN_EVENTS: tuple[tuple[str, EventKind], ...] = (
    ("default-scheduler", EventKind("Scheduled", "Normal", "Binding",
                                    "Successfully assigned default/web-{n} to node")),
    ("kubelet", EventKind("Pulling", "Normal", "Pulling", 'Pulling image "nginx:1.17"')),
    ("kubelet", EventKind("Pulled", "Normal", "Pulling",
                          'Successfully pulled image "nginx:1.17"')),
    ("kubelet", EventKind("Created", "Normal", "Creating", "Created container web")),
    ("kubelet", EventKind("Started", "Normal", "Starting", "Started container web")),
    ("kubelet", EventKind("Killing", "Normal", "Killing", "Stopping container web")),
)


def core_event(occ: Occurrence, *, count: int = 1, message: str | None = None) -> dict[str, Any]:
    """The core/v1 ``Event`` the old API stores for ``occ`` (``count`` as it stands)."""
    return {
        "kind": "Event", "apiVersion": "v1",
        "metadata": {"name": f"{occ.regarding.name}.15f0a1b2c3d4e5f6",
                     "namespace": occ.regarding.namespace,
                     "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64",
                     "resourceVersion": "123456789", "creationTimestamp": _TIME},
        "involvedObject": occ.regarding.as_dict(),
        "reason": occ.reason, "message": occ.message if message is None else message,
        "source": {"component": occ.component, "host": occ.host},
        "firstTimestamp": _TIME, "lastTimestamp": _TIME, "count": count, "type": occ.type,
        "eventTime": None, "reportingComponent": "", "reportingInstance": "",
    }


def events_v1_event(occ: Occurrence, *, series_count: int = 0) -> dict[str, Any]:
    """The events.k8s.io/v1 ``Event`` the new API stores (with a ``series`` once
    ``series_count`` ≥ 2)."""
    obj: dict[str, Any] = {
        "kind": "Event", "apiVersion": "events.k8s.io/v1",
        "metadata": {"name": f"{occ.regarding.name}.15f0a1b2c3d4e5f6",
                     "namespace": occ.regarding.namespace,
                     "uid": "0b7e2c1d-8f4a-4e6b-b3c9-7d1a5e2f8c64",
                     "resourceVersion": "123456789", "creationTimestamp": _TIME},
        "eventTime": _MICRO, "reportingController": occ.component,
        "reportingInstance": occ.host, "action": occ.action, "reason": occ.reason,
        "regarding": occ.regarding.as_dict(), "note": occ.message, "type": occ.type,
    }
    if occ.related is not None:
        obj["related"] = occ.related.as_dict()
    if series_count >= 2:
        obj["series"] = {"count": series_count, "lastObservedTime": _MICRO}
    return obj


def event_bytes(obj: dict[str, Any]) -> int:
    """The size of ``obj`` as compact JSON (UTF-8): the measure the lab uses for objects."""
    return len(json.dumps(obj, separators=(",", ":")).encode())


def example_occurrence(workload: Workload, kind: EventKind, n: int = 1) -> Occurrence:
    """An occurrence of ``kind`` for an object of ``workload`` (typical names)."""
    host = "node-0001" if workload.per_node_source else ""
    regarding = ObjectRef(workload.regarding_kind, "default", "web-7d4b9c5f8-x2x9q",
                          api_version="v1" if workload.regarding_kind == "Pod" else "apps/v1")
    related = (None if workload.related_kind is None else
               ObjectRef(workload.related_kind, "default", "web", api_version="apps/v1"))
    return Occurrence(0.0, workload.component, host, regarding, related, kind.action,
                      kind.reason, kind.type, kind.text(n))


def kind_bytes(workload: Workload, kind: EventKind, side: str) -> tuple[int, int]:
    """``(first write, later writes)``: bytes of the object each API stores for ``kind``.

    Old API: the Event with count 1, then with a two-digit count (a combined event's message
    carries the aggregator's prefix, counted by :func:`combined_bytes`). New API: the event,
    then with a ``series``.
    """
    occ = example_occurrence(workload, kind)
    if side == "naive":
        return event_bytes(core_event(occ)), event_bytes(core_event(occ, count=10))
    return event_bytes(events_v1_event(occ)), event_bytes(events_v1_event(occ, series_count=10))


def combined_bytes(workload: Workload, kind: EventKind) -> int:
    """Bytes of the old aggregator's combined event for ``kind`` (two-digit count)."""
    occ = example_occurrence(workload, kind)
    return event_bytes(core_event(occ, count=10, message=COMBINED_PREFIX + occ.message))


def churn_bytes(side: str) -> list[int]:
    """Bytes of each of :data:`CHURN_EVENTS` as the API of ``side`` stores it."""
    out = []
    for component, kind in CHURN_EVENTS:
        host = "" if component == "default-scheduler" else "node-0001"
        occ = Occurrence(0.0, component, host, ObjectRef("Pod", "default", "web-00001"), None,
                         kind.action, kind.reason, kind.type, kind.text(1))
        out.append(event_bytes(core_event(occ) if side == "naive" else events_v1_event(occ)))
    return out
