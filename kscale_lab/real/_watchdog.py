"""Run one etcd and stop it when the Python process that asked for it goes away.

Started by :class:`kscale_lab.real.etcd.RealEtcd` as ``python _watchdog.py WORKDIR LOG --
ETCD ARGS...`` in a new process group, with its standard input a pipe from that Python
process. The watchdog starts etcd (same process group), prints etcd's PID on one line, then
waits for whichever comes first:

* **end of file on standard input** — the parent closed the pipe (``RealEtcd.stop``) or died,
  even by ``SIGKILL``, which no ``finally``, finalizer or ``atexit`` hook survives. The
  watchdog stops etcd (``SIGTERM``, then ``SIGKILL`` after 5 s), removes ``WORKDIR`` (etcd's
  data and log) and exits;
* **etcd exiting by itself** (say it could not bind its port) — the watchdog exits with etcd's
  status and leaves ``WORKDIR`` for the parent to read the log.

``SIGTERM`` or ``SIGINT`` to the watchdog stop etcd too. Only the standard library is used, so
it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys

STOP_GRACE_S = 5.0


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def main(argv: list[str]) -> int:
    workdir, log_path, sep, *cmd = argv
    if sep != "--" or not cmd:
        print("usage: _watchdog.py WORKDIR LOG -- ETCD [ARGS...]", file=sys.stderr)
        return 2
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    stopping = False

    def on_signal(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(proc.pid, flush=True)
    parent_gone = False
    while not stopping:
        if proc.poll() is not None:                       # etcd exited by itself
            return proc.returncode
        try:
            ready, _, _ = select.select([sys.stdin], [], [], 0.1)
        except InterruptedError:                          # a signal arrived
            continue
        if ready and not os.read(sys.stdin.fileno(), 4096):
            parent_gone = True                            # EOF: stop() or the parent died
            break
    code = _stop(proc)
    if parent_gone or stopping:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
