"""Time a clean build of the book, as ``make build`` runs it, for one or more revisions.

Each revision is exported with ``git archive`` into a temporary folder (so the working tree,
its ``_build`` and its caches are never touched) and built there with this environment's
``jupyter-book build . -W -n --keep-going``, its package imported from the export
(``PYTHONPATH``). The site's third-party JavaScript (``site_assets/``) is linked from the
checkout, as ``make`` would have copied it. The timing is wall clock for the whole build:
every chapter, lab and worked solution executed, nothing from a cache.

Usage::

    python benchmarks/bench_book.py                  # HEAD
    python benchmarks/bench_book.py b7e1758 HEAD     # compare two revisions
    python benchmarks/bench_book.py HEAD --write     # also write benchmarks/RESULTS-book.md

A build's time grows with what it executes, so the table gives the pages executed beside it
and the time per executed page: the fair comparison between revisions whose books differ in
size.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def machine_line() -> str:
    """Where and when the figures were taken."""
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; load average {load} "
            "when the run started; one build per revision, wall clock.")


def export(rev: str, dest: Path) -> str:
    """Write revision ``rev`` of the repository into ``dest``; return its short hash."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                         check=True, capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    for shared in ("site_assets", "node_modules"):
        if (ROOT / shared).exists() and not (dest / shared).exists():
            (dest / shared).symlink_to(ROOT / shared)
    return sha


def build(rev: str) -> tuple[str, float, int, bool]:
    """Build revision ``rev`` from clean; return (hash, seconds, pages executed, warned)."""
    with tempfile.TemporaryDirectory(prefix="kscale-book-") as tmp:
        src = Path(tmp)
        sha = export(rev, src)
        env = {**os.environ, "PYTHONPATH": str(src)}
        env = {k: v for k, v in env.items() if not k.startswith("KSCALE_REPO")}
        start = time.perf_counter()
        done = subprocess.run([str(JUPYTER_BOOK), "build", ".", "-W", "-n", "--keep-going"],
                              cwd=src, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        executed = len(list((src / "_build" / "jupyter_execute").rglob("*.ipynb")))
        finished = (src / "_build" / "html" / "index.html").exists()
        if done.returncode != 0 and not (finished and "build finished with problems"
                                         in done.stdout):
            sys.exit(f"the book at {rev} ({sha}) did not build:\n{done.stdout[-3000:]}"
                     f"\n{done.stderr[-3000:]}")
        if done.returncode != 0:      # an old revision may warn under today's packages
            warnings = [line for line in done.stderr.splitlines() if "WARNING" in line
                        and "IPKernelApp" not in line]
            print(f"{rev} ({sha}) built with warnings under this environment's packages "
                  f"(-W turns them into a non-zero exit); the time still counts:",
                  *warnings[:5], sep="\n", file=sys.stderr)
        return sha, seconds, executed, done.returncode != 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD"], help="revisions to build")
    parser.add_argument("--write", action="store_true",
                        help="write the table to benchmarks/RESULTS-book.md")
    args = parser.parse_args(argv)
    rows = []
    for rev in args.revs:
        sha, seconds, executed, warned = build(rev)
        note = " (warned under today's packages)" if warned else ""
        per_page = f"{seconds / executed:.1f} s" if executed else "n/a"
        rows.append(f"| {rev} ({sha}){note} | {executed} | {seconds // 60:.0f} min "
                    f"{seconds % 60:.0f} s | {per_page} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "# Benchmark results: building the book",
        "",
        machine_line() + " Produced by `python benchmarks/bench_book.py "
        + " ".join(args.revs) + " --write`: each revision exported and built from clean "
        "(`jupyter-book build . -W -n --keep-going`, every page executed).",
        "",
        "| revision | pages executed | build | per executed page |",
        "|---|---|---|---|",
        *rows,
        "",
    ])
    if args.write:
        (ROOT / "benchmarks" / "RESULTS-book.md").write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
