"""One layer down: a watch from a compacted revision, in the lab's etcd and in a real one.

The apiserver's ``410 Gone`` has a twin in etcd. The apiserver compacts etcd's history every
5 minutes; a watch that asks etcd for a revision older than the last compaction is refused
("required revision has been compacted"), as a watch-cache resume older than the buffer is
refused with 410. :func:`compacted_watch` runs the same short sequence — a few writes to one
key, a compaction, a watch from before it and one from the compaction point — against the
lab's :class:`~kscale_lab.control_plane.Store` and against a real etcd
(:class:`~kscale_lab.real.etcd.RealEtcd`), and reports what each answered.

What etcd really sends differs in form: its watch stream carries no error text, only a
response with ``canceled`` set and the ``compact_revision`` from which a new watch could start
(checked by ``tests/test_real_etcd.py``); the message "required revision has been compacted"
is what a *read* at that revision answers (:data:`~kscale_lab.real.etcd.COMPACTED_MESSAGE`).
The lab's :class:`~kscale_lab.control_plane.Compacted` carries both the text and the
compacted revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kscale_lab.control_plane import Compacted, Store

__all__ = ["CompactedWatch", "compacted_watch", "raw_watch_responses"]

KEY = "/registry/pods/default/pod-a"


@dataclass(frozen=True)
class CompactedWatch:
    """What one store answered to the sequence of :func:`compacted_watch`."""

    store: str
    """``"lab Store"`` or ``"etcd <version>"``."""
    revisions: list[int]
    """The revisions of the writes."""
    compacted_to: int
    refused_start: int
    """The start revision of the refused watch (one before the compaction point)."""
    refused_error: str
    """The error's type and message as the client sees it."""
    refused_compact_revision: int | None
    """The compacted revision the refusal reported (``None`` if it reported none)."""
    replayed_from: int
    replayed_revisions: list[int]
    """What the watch from the compaction point replayed."""
    read_error: str | None = None
    """The answer to a read at the refused revision (real etcd only)."""
    raw: list | None = None
    """The refused watch's responses as etcd's gateway sent them (real etcd only)."""


def compacted_watch(etcd: Any | None = None, writes: int = 5,
                    compact_after: int = 3) -> CompactedWatch:
    """Write ``writes`` versions of one key, compact to the ``compact_after``-th write's
    revision, then watch from one revision before it (refused) and from it (replayed).

    Parameters
    ----------
    etcd : RealEtcd, optional
        A started :class:`~kscale_lab.real.etcd.RealEtcd`; without one the lab's
        :class:`~kscale_lab.control_plane.Store` answers.
    writes : int
        Versions written (at least 2).
    compact_after : int
        Which write's revision to compact to, from 2 to ``writes``.

    Returns
    -------
    CompactedWatch
    """
    if not (isinstance(writes, int) and writes >= 2):
        raise ValueError(f"writes must be an integer >= 2; got {writes!r}")
    if not (isinstance(compact_after, int) and 2 <= compact_after <= writes):
        raise ValueError(f"compact_after must be an integer from 2 to writes ({writes}); "
                         f"got {compact_after!r}")
    if etcd is None:
        return _lab(writes, compact_after)
    return _real(etcd, writes, compact_after)


def _lab(writes: int, compact_after: int) -> CompactedWatch:
    db = Store()
    revs = [db.put(KEY, 100, value=f"v{i}") for i in range(writes)]
    target = revs[compact_after - 1]
    db.compact(target)
    start = target - 1
    try:
        db.watch(KEY, from_revision=start - 1)        # the lab's from_revision = start - 1
        refused, compact_rev = "(not refused)", None
    except Compacted as err:
        refused = f"{type(err).__name__}: {err}"
        compact_rev = err.compacted_revision
    w = db.watch(KEY, from_revision=target - 1)
    replayed = [e.revision for e in w.drain()]
    return CompactedWatch("lab Store", revs, target, start, refused, compact_rev, target,
                          replayed)


def _real(etcd: Any, writes: int, compact_after: int) -> CompactedWatch:
    from kscale_lab.real.etcd import RealCompactedError

    revs = [etcd.put(KEY, f"v{i}") for i in range(writes)]
    target = revs[compact_after - 1]
    etcd.compact(target)
    start = target - 1
    try:
        etcd.watch(KEY, start, timeout_s=0.5)
        refused, compact_rev = "(not refused)", None
    except RealCompactedError as err:
        refused = f"{type(err).__name__}: {err}"
        compact_rev = err.compact_revision
    try:
        etcd.range(KEY, revision=start)
        read_error = "(not refused)"
    except RealCompactedError as err:
        read_error = f"{type(err).__name__}: {err}"
    replayed = [e.kv.mod_revision for e in etcd.watch(KEY, target, timeout_s=0.5)]
    return CompactedWatch(f"etcd {etcd.status().version}", revs, target, start, refused,
                          compact_rev, target, replayed, read_error,
                          raw_watch_responses(etcd, KEY, start))


def raw_watch_responses(etcd: Any, key: str, start_revision: int, *, limit: int = 3,
                        timeout_s: float = 0.5) -> list[dict]:
    """The first ``limit`` JSON objects etcd's gateway streams for a watch from
    ``start_revision`` (each a ``WatchResponse`` under ``"result"``), with the ``header``
    left out: exactly what etcd sends, without the helper's interpretation."""
    import base64
    import json
    import urllib.request

    body = {"create_request": {"key": base64.b64encode(key.encode()).decode(),
                               "start_revision": str(start_revision)}}
    req = urllib.request.Request(etcd.url + "/v3/watch", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    out: list[dict] = []
    decoder, buffer = json.JSONDecoder(), ""
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as stream:
            while len(out) < limit:
                chunk = stream.read1(65536)
                if not chunk:
                    break
                buffer += chunk.decode()
                while buffer.strip() and len(out) < limit:
                    try:
                        msg, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    buffer = buffer.lstrip()[end:]
                    result = dict(msg.get("result", msg))
                    result.pop("header", None)
                    out.append(result)
                if out and out[-1].get("canceled"):
                    break
    except TimeoutError:
        pass
    return out
