"""``kscale``: the course's command line.

    kscale list                       chapters and their dimensions (range, unit, default)
    kscale run CHAPTER [--DIM V ...]  naive vs improved as a table (one JSON object with --json)
    kscale run CHAPTER --help         that chapter's dimensions, as options
    kscale bottleneck [--DIM V ...]   which bottleneck bites first (kscale run capstone)
    kscale book                       build the website and serve it (same as ``make book``)
    kscale lab                        open the lab notebooks in JupyterLab (same as ``make lab``)
    kscale handout DEST [KEY ...]     copy the learner notebooks into DEST (never overwrites)

Dimension options take the dimension's name with ``-`` or ``_`` (``--images-per-node 50``,
``--bookmarks on``). Errors (unknown chapter, unknown dimension, bad value, values that
conflict) exit with status 2 and one line on standard error that names what was wrong, the
allowed range and the value given.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

USAGE = __doc__.split("\n\n")[1]

#: What a terminal that cannot show the course's typography gets instead.
_ASCII = str.maketrans({"…": "...", "—": "-", "–": "-", "−": "-", "×": "x", "≤": "<=",
                        "≥": ">=", "µ": "u", "→": "->", "÷": "/", "’": "'", "“": '"',
                        "”": '"', "≈": "~"})


class UsageError(Exception):
    """A one-line error for the user; exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line and exit status 2 (the README's promise)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _echo(text: str, stream: Any = None) -> None:
    """Print ``text``; on a terminal that cannot encode it, in plain ASCII instead."""
    stream = stream or sys.stdout
    try:
        print(text, file=stream)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        plain = text.translate(_ASCII).encode(encoding, errors="replace").decode(encoding)
        print(plain, file=stream)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _describe(spec: Any) -> str:
    from kscale_lab.dimensions import format_number

    if spec.numeric:
        unit = f" {spec.unit}" if spec.unit else ""
        allowed = f"{format_number(spec.lo)} … {format_number(spec.hi)}{unit}"
    else:
        allowed = spec.allowed()
    return f"{allowed}  (default {spec.format(spec.default)})  {spec.help}"


def _list() -> str:
    from kscale_lab.chapters import CHAPTERS

    lines = []
    for chapter in CHAPTERS:
        for model in chapter.models:
            lines.append(f"{model.key}  (chapter {chapter.number}: {model.title})")
            for s in model.dimensions.specs():
                lines.append(f"  {_option(s.name):<30} {_describe(s)}")
    return "\n".join(lines)


def _chapter_parser(model: Any) -> _Parser:
    """``kscale run KEY``'s options: that chapter's dimensions and nothing else."""
    p = _Parser(prog=f"kscale run {model.key}", add_help=True, allow_abbrev=False,
                description=f"{model.title}: {model.versions[0].label} vs "
                            f"{model.versions[1].label}, as a table or (--json) one object.")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    for s in model.dimensions.specs():
        names = [_option(s.name)]
        if "_" in s.name:
            names.append("--" + s.name)
        p.add_argument(*names, dest=s.name, metavar="V", type=_parser_for(s),
                       help=_describe(s).replace("%", "%%"))
    return p


def _parser_for(spec: Any):
    def parse(text: str) -> Any:
        try:
            return spec.parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    parse.__name__ = spec.name
    return parse


def _attach_dash_values(args: list[str], model: Any) -> list[str]:
    """``--nodes -inf`` → ``--nodes=-inf``: a value that starts with ``-`` stays a value.

    argparse takes a token that starts with ``-`` for an option unless it looks like a
    plain negative number (``-5``, not ``-inf`` or ``-1e3``), and then says only "expected
    one argument". Joining such a token to the dimension option before it lets the
    dimension refuse it with its own message (its range and the value given). A token that
    starts with ``--`` is left alone: it is the next option (``--nodes --json``).
    """
    options = {_option(s.name) for s in model.dimensions.specs()}
    options |= {"--" + s.name for s in model.dimensions.specs()}
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        following = args[i + 1] if i + 1 < len(args) else None
        if (token in options and following is not None and following.startswith("-")
                and not following.startswith("--")):
            out.append(f"{token}={following}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _run(args: list[str]) -> str:
    from kscale_lab.chapters import MODELS, get

    if not args or args[0] in ("-h", "--help"):
        keys = ", ".join(MODELS)
        text = ("usage: kscale run CHAPTER [--json] [--DIMENSION VALUE ...]\n\n"
                f"CHAPTER is one of: {keys}.\n`kscale run CHAPTER --help` lists its "
                "dimensions; `kscale list` lists every chapter's.")
        if not args:
            raise UsageError(f"kscale run needs a chapter, one of: {keys}")
        return text
    if args[0].startswith("-"):
        raise UsageError(f"kscale run needs a chapter first, one of: {', '.join(MODELS)}")
    try:
        model = get(args[0])
    except ValueError as err:
        raise UsageError(str(err)) from None
    parser = _chapter_parser(model)
    if any(a in ("-h", "--help") for a in args[1:]):
        return parser.format_help().rstrip()
    try:
        ns = parser.parse_args(_attach_dash_values(args[1:], model))
    except UsageError as err:
        message = str(err)
        if message.startswith("unrecognized arguments"):
            known = ", ".join(_option(s.name) for s in model.dimensions.specs())
            message = f"{message} for {model.key}; its options: --json, {known}"
        raise UsageError(message) from None
    changes = {s.name: getattr(ns, s.name) for s in model.dimensions.specs()
               if getattr(ns, s.name) is not None}
    try:
        comparison = model.compare(**changes)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if ns.json:
        return json.dumps(comparison.as_dict())
    head = f"{model.title} — {model.versions[0].label} vs {model.versions[1].label}\n"
    dims = ", ".join(f"{s.name}={s.format(getattr(comparison.dimensions, s.name))}"
                     for s in model.dimensions.specs())
    return head + dims + "\n\n" + comparison.table()


def _bottleneck(args: list[str]) -> str:
    """``kscale bottleneck …``: the same as ``kscale run capstone …`` (a cluster's dimensions
    and ``--version``; ``--json`` for one object)."""
    if any(a in ("-h", "--help") for a in args):
        from kscale_lab.chapters import get

        parser = _chapter_parser(get("capstone"))
        parser.prog = "kscale bottleneck"
        parser.description = ("Which bottleneck bites first for a cluster on a Kubernetes "
                              "release, and every chapter's headroom: the same as `kscale "
                              "run capstone`.")
        return parser.format_help().rstrip()
    return _run(["capstone", *args])


def repo_root() -> Path:
    """The course checkout this package was installed from (where the Makefile lives)."""
    here = Path(__file__).resolve().parent.parent
    if not (here / "Makefile").exists() or not (here / "_toc.yml").exists():
        raise UsageError("kscale book/lab need the course's source checkout "
                         "(install it with `pip install -e .` from the repository)")
    return here


#: What a learner gets besides each chapter's lab and exercises (key ``prerequisites``).
PREREQUISITES = "notebooks/00-prerequisites.ipynb"


def handout_files(keys: list[str]) -> list[str]:
    """The learner notebooks (``.ipynb``, relative to the checkout) for chapter ``keys``,
    ``"prerequisites"``, or everything when ``keys`` is empty; never a solutions notebook."""
    from kscale_lab.chapters import CHAPTERS

    known = {c.key: c for c in CHAPTERS}
    unknown = [k for k in keys if k not in known and k != "prerequisites"]
    if unknown:
        raise UsageError(f"unknown chapter {unknown[0]!r}; one of: prerequisites, "
                         f"{', '.join(known)}")
    files = [PREREQUISITES] if not keys or "prerequisites" in keys else []
    for chapter in CHAPTERS:
        if not keys or chapter.key in keys:
            files += [str(Path(chapter.files[part]).with_suffix(".ipynb"))
                      for part in ("lab", "exercises")]
    return files


def handout(dest: Path, keys: list[str], root: Path) -> tuple[list[str], list[str]]:
    """Copy the learner notebooks from the checkout ``root`` into ``dest`` (same sub-folders),
    never overwriting a file that exists there. Returns ``(copied, skipped)``."""
    copied, skipped = [], []
    for rel in handout_files(keys):
        source, target = root / rel, dest / rel
        if not source.is_file():
            raise UsageError(f"{rel} is missing from the checkout (run `make notebooks`)")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("xb") as out:          # "x": fails if it exists, no race
                out.write(source.read_bytes())
        except FileExistsError:
            skipped.append(rel)
        else:
            copied.append(rel)
    return copied, skipped


def _handout(args: list[str]) -> str:
    if not args or args[0] in ("-h", "--help"):
        text = ("usage: kscale handout DEST [KEY ...]\n\nCopy the learner notebooks (the "
                "prerequisites check, each chapter's lab and exercises; never the solutions) "
                "into DEST, in notebooks/ and exercises/. A file that exists in DEST is never "
                "overwritten: it is skipped and named. KEY limits the hand-out to "
                "'prerequisites' or chapters (e.g. envelope heartbeats).")
        if not args:
            raise UsageError("kscale handout needs a destination folder")
        return text
    dest = Path(args[0])
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} exists and is not a folder")
    copied, skipped = handout(dest, args[1:], repo_root())
    lines = [f"copied   {rel}" for rel in copied]
    lines += [f"skipped  {rel}  (exists in {dest}; not overwritten)" for rel in skipped]
    lines.append(f"{len(copied)} copied, {len(skipped)} skipped, into {dest}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`kscale list | head -1`): stop quietly, as Python's docs
        # advise, pointing stdout at /dev/null so the interpreter's final flush cannot fail
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv or argv[0] in ("-h", "--help", "help"):
            _echo(USAGE, sys.stdout if argv else sys.stderr)
            return 0 if argv else 2
        cmd, rest = argv[0], argv[1:]
        if cmd == "list":
            if rest and rest[0] in ("-h", "--help"):
                _echo("usage: kscale list\n\nEvery chapter's dimensions: option, range, unit, "
                      "default and meaning.")
                return 0
            if rest:
                raise UsageError(f"kscale list takes no arguments; got {' '.join(rest)!r}")
            _echo(_list())
        elif cmd == "run":
            _echo(_run(rest))
        elif cmd == "bottleneck":
            _echo(_bottleneck(rest))
        elif cmd == "handout":
            _echo(_handout(rest))
        elif cmd in ("book", "lab"):
            return subprocess.call(["make", cmd, *rest], cwd=repo_root())
        else:
            raise UsageError(f"unknown command {cmd!r}; commands: list, run, bottleneck, "
                             "book, lab, handout")
    except UsageError as err:
        _echo(f"kscale: error: {err}", sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
