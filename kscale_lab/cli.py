"""``kscale``: the course's command line.

    kscale list                       chapters and their dimensions (range, unit, default)
    kscale run CHAPTER [--DIM V ...]  naive vs improved as a table (or one JSON object with --json)
    kscale book                       build the website and serve it (same as ``make book``)
    kscale lab                        open the lab notebooks in JupyterLab (same as ``make lab``)

Dimension options take the dimension's name with ``-`` or ``_`` (``--images-per-node 50``).
Errors (unknown chapter, unknown dimension, bad value) exit with status 2 and one line on
standard error that names what was wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kscale_lab.dimensions import _fmt

USAGE = __doc__.split("\n\n")[1]


class UsageError(Exception):
    """A one-line error for the user; exit status 2."""


def _list() -> str:
    from kscale_lab.chapters import CHAPTERS

    lines = []
    for key, model in CHAPTERS.items():
        lines.append(f"{key}  (chapter {model.chapter}: {model.title})")
        for s in model.dimensions.specs():
            unit = f" {s.unit}" if s.unit else ""
            lines.append(f"  --{s.name.replace('_', '-'):<28} {_fmt(s.lo)} … {_fmt(s.hi)}{unit}"
                         f"  (default {_fmt(s.default)})  {s.help}")
    return "\n".join(lines)


def _parse_dims(model, args: list[str]) -> tuple[dict, bool]:
    changes: dict = {}
    as_json = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--json":
            as_json = True
            i += 1
            continue
        if not a.startswith("--"):
            raise UsageError(f"unexpected argument {a!r}; dimensions are given as --NAME VALUE")
        name, sep, value = a[2:].partition("=")
        if not sep:
            if i + 1 >= len(args):
                raise UsageError(f"--{name} needs a value")
            value = args[i + 1]
            i += 1
        i += 1
        key = name.replace("-", "_")
        try:
            spec = model.dimensions.spec(key)
        except ValueError:
            known = ", ".join("--" + s.name.replace("_", "-") for s in model.dimensions.specs())
            raise UsageError(
                f"unknown dimension --{name} for {model.key}; known: {known}") from None
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"{spec.name} must be a number; got {value!r}") from None
        if spec.integer and number.is_integer():
            number = int(number)
        changes[key] = number
    return changes, as_json


def _run(args: list[str]) -> str:
    from kscale_lab.chapters import get

    if not args or args[0].startswith("-"):
        raise UsageError("kscale run needs a chapter; see `kscale list`")
    try:
        model = get(args[0])
    except ValueError as err:
        raise UsageError(str(err)) from None
    if any(a in ("-h", "--help") for a in args[1:]):
        return f"kscale run {model.key} [--json] [--DIMENSION VALUE ...]\n\n" + _list_one(model)
    changes, as_json = _parse_dims(model, args[1:])
    try:
        comparison = model.compare(**changes)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if as_json:
        return json.dumps(comparison.as_dict())
    head = f"{model.title} — {model.naive_label} vs {model.improved_label}\n"
    dims = ", ".join(f"{k}={_fmt(v)}" for k, v in comparison.dimensions.as_dict().items())
    return head + dims + "\n\n" + comparison.table()


def _list_one(model) -> str:
    return "\n".join(line for line in _list().splitlines()
                     if line.startswith("  ") or line.startswith(model.key))


def repo_root() -> Path:
    """The course checkout this package was installed from (where the Makefile lives)."""
    here = Path(__file__).resolve().parent.parent
    if not (here / "Makefile").exists() or not (here / "_toc.yml").exists():
        raise UsageError("kscale book/lab need the course's source checkout "
                         "(install it with `pip install -e .` from the repository)")
    return here


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv or argv[0] in ("-h", "--help", "help"):
            print(USAGE, file=sys.stdout if argv else sys.stderr)
            return 0 if argv else 2
        cmd, rest = argv[0], argv[1:]
        if cmd == "list":
            print(_list())
        elif cmd == "run":
            print(_run(rest))
        elif cmd in ("book", "lab"):
            return subprocess.call(["make", cmd, *rest], cwd=repo_root())
        else:
            raise UsageError(f"unknown command {cmd!r}; commands: list, run, book, lab")
    except UsageError as err:
        print(f"kscale: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
