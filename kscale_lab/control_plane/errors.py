"""The errors of the control plane, from etcd's up to the HTTP statuses clients see.

etcd answers with its own errors (:class:`NoSpaceError`, :class:`Compacted`,
:class:`LeaseNotFound`); the apiserver answers with an HTTP status (:class:`StatusError`, as
client-go's ``apierrors.StatusError``): 429 when its in-flight pool is full, 410 when a watch
asks for history that is gone, 404 and 409 for missing and existing objects.
"""

from __future__ import annotations


class NoSpaceError(RuntimeError):
    """``etcdserver: mvcc: database space exceeded`` — the NOSPACE alarm is raised."""


class Compacted(RuntimeError):
    """A watch asked etcd for revisions that compaction has already dropped.

    etcd's message, checked against etcd 3.5.1: after ``compact 4`` a watch from revision 4
    replays, from revision 3 it is cancelled with this error. The apiserver turns it into
    ``410 Gone``.
    """

    def __init__(self, start_revision: int, compacted_revision: int) -> None:
        super().__init__("etcdserver: mvcc: required revision has been compacted")
        self.start_revision = start_revision
        self.compacted_revision = compacted_revision


class LeaseNotFound(KeyError):
    """``etcdserver: requested lease not found``."""


class StatusError(Exception):
    """An HTTP error status from the apiserver (client-go's ``apierrors.StatusError``)."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code} {self.reason}: {message}")
        self.message = message


class TooManyRequests(StatusError):
    """429: the request's in-flight pool was full (``WithMaxInFlightLimit``; no queueing)."""

    code = 429
    reason = "TooManyRequests"


class Gone(StatusError):
    """410: the requested resourceVersion is older than the history the server still holds."""

    code = 410
    reason = "Gone"


class TooOldResourceVersion(Gone):
    """410 from the watch cache: ``too old resource version: <asked> (<oldest - 1>)``."""

    def __init__(self, resource_version: int, oldest_allowed: int) -> None:
        super().__init__(f"too old resource version: {resource_version} ({oldest_allowed})")
        self.resource_version = resource_version
        self.oldest_allowed = oldest_allowed


class NotFound(StatusError):
    code = 404
    reason = "NotFound"


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"
