"""Real iptables beside the model: restore the lab's tables into a private network namespace.

Chapter 4's :class:`~kscale_lab.kube_proxy.IptablesProxier` renders the ``nat`` table that
kube-proxy writes as ``iptables-save`` text. This module hands that text to the real
``iptables-restore`` (Debian's ``iptables`` package, both back ends: ``legacy``, the kernel's
x_tables, and ``nft``, nf_tables) and times what kube-proxy would pay on this machine:

* :func:`round_trip` — restore a table, read it back with ``iptables-save``: the lab's rules
  are real rules if the kernel accepts them and lists the same chains and rules;
* :func:`measure` — at each cluster size, in a fresh namespace: one full
  ``iptables-restore`` of the whole table (what kube-proxy does on every sync before
  KEP-3453), one partial restore (``--noflush`` with ``KUBE-SERVICES`` and one changed
  service's chains, what KEP-3453 writes), and one ``iptables -A`` of a single rule into the
  loaded table.

Nothing here touches the host's tables. Every command runs inside ``unshare -n`` (a new,
empty network namespace, as root) or ``unshare -rn`` (a user namespace as well, for a user
without root where the kernel allows it), and ``XTABLES_LOCKFILE`` points at a private lock
file, so not even the host's xtables lock is taken. Inside the namespace a tiny Python timer
(:data:`_TIMER`, standard library only) runs the commands and times each with
``time.perf_counter`` — wall time, including starting the process, as kube-proxy pays it when
it runs ``iptables-restore``.

When the binaries, ``unshare`` or the privilege are missing, :func:`availability` says why in
one plain sentence and the other functions raise :class:`IptablesUnavailable` with it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BACKENDS", "IptablesUnavailable", "Sandbox", "Timing", "availability",
           "measure", "parse_save", "round_trip", "sandbox"]

#: The two back ends of Debian's ``iptables`` package: x_tables (``legacy``) and nf_tables.
BACKENDS = ("legacy", "nft")
#: Where Debian installs the binaries (often not on a non-root user's ``PATH``).
SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")
#: Seconds one namespace's commands may take before the run is abandoned.
COMMAND_TIMEOUT_S = 120.0

#: Runs inside the namespace: reads ``{"steps": [...]}`` on stdin, runs each step's argv
#: (stdin from a file if given), and prints one JSON list of ``{"rc", "s", "err", "out"}``.
_TIMER = r"""
import json, subprocess, sys, time
out = []
for step in json.load(sys.stdin)["steps"]:
    src = open(step["stdin"], "rb") if step.get("stdin") else subprocess.DEVNULL
    t = time.perf_counter()
    p = subprocess.run(step["argv"], stdin=src, capture_output=True)
    s = time.perf_counter() - t
    if step.get("stdin"):
        src.close()
    out.append({"rc": p.returncode, "s": s, "err": p.stderr.decode(errors="replace")[-400:],
                "out": p.stdout.decode(errors="replace") if step.get("capture") else ""})
    if p.returncode:
        break
json.dump(out, sys.stdout)
"""


class IptablesUnavailable(RuntimeError):
    """Real iptables cannot run here; the message is one plain sentence saying why."""


@dataclass(frozen=True)
class Sandbox:
    """How to run one back end's tools in a private network namespace on this machine.

    Attributes
    ----------
    backend : str
        ``"legacy"`` or ``"nft"``.
    prefix : tuple of str
        The command that enters a new namespace: ``unshare -n`` or ``unshare -rn``.
    tools : dict
        Absolute paths of the back end's ``iptables``, ``iptables-restore`` and
        ``iptables-save`` (keys ``"iptables"``, ``"restore"``, ``"save"``).
    """

    backend: str
    prefix: tuple[str, ...]
    tools: dict

    @property
    def privileged(self) -> bool:
        """True when the namespace is entered as root (``unshare -n``)."""
        return "-rn" not in self.prefix

    def run(self, steps: list[dict], timeout_s: float = COMMAND_TIMEOUT_S) -> list[dict]:
        """Run ``steps`` (each ``{"argv", "stdin"?, "capture"?}``) in ONE new namespace.

        Returns one ``{"rc", "s", "err", "out"}`` per step run (``s``: wall seconds); the run
        stops at the first step that fails. Raises :class:`IptablesUnavailable` if the
        namespace cannot start or the run takes longer than ``timeout_s``.
        """
        plan = json.dumps({"steps": steps})
        try:
            proc = subprocess.run([*self.prefix, sys.executable, "-I", "-c", _TIMER],
                                  input=plan, capture_output=True, text=True,
                                  timeout=timeout_s, env=_environment())
        except subprocess.TimeoutExpired:
            raise IptablesUnavailable(
                f"Real iptables ({self.backend}) took longer than {timeout_s:.0f} s in its "
                "private namespace, so the run was abandoned.") from None
        if proc.returncode != 0 or not proc.stdout.strip():
            raise IptablesUnavailable(
                f"Real iptables ({self.backend}) could not run in a private network namespace "
                f"here ({_first_line(proc.stderr) or 'no output'}).")
        return json.loads(proc.stdout)


@dataclass(frozen=True)
class Timing:
    """What one cluster size cost one back end on this machine (wall time, seconds).

    Attributes
    ----------
    backend : str
        ``"legacy"`` or ``"nft"``.
    services, backends_per_service : int
        The cluster (service ports, endpoints each) whose table was restored.
    rules : int
        Rules in the ``nat`` table after the full restore.
    full_restore_s : float
        One ``iptables-restore`` of the whole table into an empty namespace.
    partial_restore_s : float
        One ``iptables-restore --noflush`` of ``KUBE-SERVICES``, ``KUBE-NODEPORTS`` and one
        service's chains into the loaded table (median of the repeats).
    append_s : float
        One ``iptables -t nat -A`` of a single rule into the loaded table (median).
    """

    backend: str
    services: int
    backends_per_service: int
    rules: int
    full_restore_s: float
    partial_restore_s: float
    append_s: float


def _environment() -> dict:
    """The namespace's environment: a private xtables lock file, the sbin folders on PATH."""
    env = dict(os.environ)
    lock = Path(tempfile.gettempdir()) / f"kscale-xtables-{os.getuid()}.lock"
    env["XTABLES_LOCKFILE"] = str(lock)
    env["PATH"] = os.pathsep.join([env.get("PATH", ""), *SBIN])
    return env


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[0][:200] if lines else ""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


@functools.cache
def _probe(backend: str) -> Sandbox | str:
    """The working :class:`Sandbox` for ``backend``, or the sentence saying why there is none."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if not sys.platform.startswith("linux"):
        return ("Real iptables needs Linux (network namespaces and netfilter); this is "
                f"{sys.platform}, so the chapter's numbers come from the model alone.")
    tools = {t: _which(f"iptables-{backend}{t}") for t in ("", "-restore", "-save")}
    missing = [f"iptables-{backend}{t}" for t, path in tools.items() if path is None]
    if missing:
        return (f"Real iptables is not installed here ({missing[0]} was not found; on Debian "
                "or Ubuntu: apt-get install iptables), so the chapter's numbers come from the "
                "model alone.")
    unshare = _which("unshare")
    if unshare is None:
        return ("The unshare command (util-linux) was not found, so real iptables cannot run "
                "in a private network namespace here.")
    prefixes = [(unshare, "-n"), (unshare, "-rn")] if os.geteuid() == 0 else [(unshare, "-rn")]
    why = ""
    for prefix in prefixes:
        box = Sandbox(backend, prefix, {"iptables": tools[""], "restore": tools["-restore"],
                                        "save": tools["-save"]})
        try:
            done = box.run([{"argv": [box.tools["save"], "-t", "nat"], "capture": True}],
                           timeout_s=30)
        except IptablesUnavailable as err:
            why = str(err)
            continue
        if done and done[0]["rc"] == 0:
            return box
        why = (f"Real iptables ({backend}) did not work in a private network namespace here "
               f"({_first_line(done[0]['err']) if done else 'no output'}).")
    if os.geteuid() != 0:
        why += (" Without root it needs unprivileged user namespaces (unshare -rn); as root "
                "it needs only unshare -n.")
    return why


def availability(backend: str = "legacy") -> str | None:
    """``None`` if real iptables with ``backend`` runs here, else one sentence saying why not."""
    found = _probe(backend)
    return found if isinstance(found, str) else None


def sandbox(backend: str = "legacy") -> Sandbox:
    """The :class:`Sandbox` for ``backend``; raises :class:`IptablesUnavailable` if none."""
    found = _probe(backend)
    if isinstance(found, str):
        raise IptablesUnavailable(found)
    return found


def _write(directory: str, name: str, text: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def _private_dir() -> tempfile.TemporaryDirectory:
    d = tempfile.TemporaryDirectory(prefix="kscale-iptables-")
    os.chmod(d.name, 0o755)            # readable inside an unprivileged user namespace
    return d


def round_trip(save_text: str, backend: str = "legacy") -> str:
    """Restore ``save_text`` into a fresh private namespace and return ``iptables-save -t nat``.

    Parameters
    ----------
    save_text : str
        A table in ``iptables-save`` format (e.g. :meth:`IptablesProxier.save`).
    backend : str
        ``"legacy"`` or ``"nft"``.

    Returns
    -------
    str
        What the real ``iptables-save`` prints after the restore.

    Raises
    ------
    IptablesUnavailable
        When real iptables cannot run here.
    ValueError
        When the real ``iptables-restore`` refuses the text (its message is included).
    """
    box = sandbox(backend)
    with _private_dir() as tmp:
        path = _write(tmp, "table.txt", save_text)
        done = box.run([{"argv": [box.tools["restore"]], "stdin": path},
                        {"argv": [box.tools["save"], "-t", "nat"], "capture": True}])
    if done[0]["rc"] != 0:
        raise ValueError(f"iptables-{backend}-restore refused the table: "
                         f"{_first_line(done[0]['err'])}")
    return done[-1]["out"]


def parse_save(text: str, table: str = "nat") -> dict[str, list[str]]:
    """The chains of ``table`` in ``iptables-save`` text, each with its rules in order.

    Comments (``#``), counters and the ``COMMIT`` line are dropped, so the text the lab
    renders and the text the real ``iptables-save`` prints compare equal when they hold the
    same chains and rules.
    """
    chains: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            current = line[1:]
            continue
        if current != table or line == "COMMIT":
            continue
        if line.startswith(":"):
            chains.setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            chains.setdefault(line.split()[1], []).append(line)
    return chains


def measure(services: Sequence[int] = (100, 500, 1000, 2000), backends_per_service: int = 10,
            backends: Sequence[str] = BACKENDS, repeats: int = 3,
            budget_s: float = 30.0) -> list[Timing]:
    """Time a full restore, a partial restore and one ``iptables -A`` at each size.

    Sizes run from small to large, each in a fresh namespace per back end; once ``budget_s``
    of wall time is spent, the larger sizes that remain are skipped, so a slow machine stays
    bounded (a size already started finishes).

    Parameters
    ----------
    services : sequence of int
        Cluster sizes (service ports), each with ``backends_per_service`` endpoints; 1 to
        20,000.
    backends_per_service : int
        Endpoints per service port, 1 to 50.
    backends : sequence of str
        Back ends to measure, among :data:`BACKENDS`; those unavailable here are skipped
        (at least one must be available).
    repeats : int
        Partial restores and appends per size (the median is kept), 1 to 9.
    budget_s : float
        Wall-time budget in seconds for the whole measurement, 1 to 600.

    Returns
    -------
    list of Timing
        One per (size, back end) measured, sizes ascending.

    Raises
    ------
    IptablesUnavailable
        When no requested back end can run here.
    """
    from kscale_lab.kube_proxy import IptablesProxier, make_services

    sizes = sorted({int(s) for s in services})
    if not sizes or not 1 <= sizes[0] <= sizes[-1] <= 20_000:
        raise ValueError(f"services must be whole numbers from 1 to 20,000; got {list(services)}")
    if not 1 <= backends_per_service <= 50:
        raise ValueError("backends_per_service must be a whole number from 1 to 50; "
                         f"got {backends_per_service}")
    if not 1 <= repeats <= 9:
        raise ValueError(f"repeats must be a whole number from 1 to 9; got {repeats}")
    if not 1 <= budget_s <= 600:
        raise ValueError(f"budget_s must be a number from 1 to 600 s; got {budget_s}")
    found = [_probe(b) for b in backends]
    boxes = [f for f in found if isinstance(f, Sandbox)]
    if not boxes:
        raise IptablesUnavailable(next(f for f in found if isinstance(f, str)))
    start = time.perf_counter()
    out: list[Timing] = []
    with _private_dir() as tmp:
        for s in sizes:
            if time.perf_counter() - start > budget_s:
                break
            proxier = IptablesProxier(make_services(s, backends_per_service))
            middle = list(proxier.services)[s // 2]
            full = _write(tmp, "full.txt", proxier.save())
            partial = _write(tmp, "partial.txt", proxier.save_partial([middle]))
            for box in boxes:
                steps = [{"argv": [box.tools["restore"]], "stdin": full}]
                steps += [{"argv": [box.tools["restore"], "--noflush"], "stdin": partial}
                          for _ in range(repeats)]
                steps += [{"argv": [box.tools["iptables"], "-t", "nat", "-A", "KUBE-NODEPORTS",
                                    "-p", "tcp", "-m", "tcp", "--dport", str(30000 + k),
                                    "-j", "KUBE-MARK-MASQ"]} for k in range(repeats)]
                done = box.run(steps)
                failed = next((d for d in done if d["rc"] != 0), None)
                if failed is not None or len(done) != len(steps):
                    why = _first_line(failed["err"]) if failed else "stopped early"
                    raise IptablesUnavailable(f"Real iptables ({box.backend}) failed while "
                                              f"measuring {s:,} services ({why}).")
                out.append(Timing(
                    box.backend, s, backends_per_service, proxier.rules_total, done[0]["s"],
                    statistics.median(d["s"] for d in done[1:1 + repeats]),
                    statistics.median(d["s"] for d in done[1 + repeats:])))
    return out
