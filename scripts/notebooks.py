#!/usr/bin/env python3
"""Generate the lab and exercise notebooks (``.ipynb``) from their text sources (``.md``).

The course keeps every notebook in ``notebooks/`` and ``exercises/`` as MyST Markdown (read
by jupytext), which a reviewer can read in a diff. The ``.ipynb`` beside each source is
generated from it, deterministically: no outputs, no widget state, cell ids derived from the
cells' contents — the same source always gives the same bytes, so plain Jupyter, GitHub's
preview and Colab get a real notebook and ``git diff`` stays quiet.

    python scripts/notebooks.py            write every .ipynb from its .md (make notebooks)
    python scripts/notebooks.py --check    exit 1, listing them, if any .ipynb differs
    python scripts/notebooks.py FILE.md …  only these sources
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def sources(root: Path = ROOT) -> list[Path]:
    """Every notebook source: the ``.md`` files under :data:`FOLDERS`."""
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.md"))


def _cell_id(cell: nbformat.NotebookNode, seen: dict[str, int]) -> str:
    digest = hashlib.sha1((cell.cell_type + "\0" + cell.source).encode()).hexdigest()[:10]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def render(source: Path) -> str:
    """The ``.ipynb`` text generated from ``source``."""
    nb = jupytext.read(source, fmt="md:myst")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC,
                                      "language_info": {"name": "python"}})
    seen: dict[str, int] = {}
    for cell in nb.cells:
        cell.id = _cell_id(cell, seen)
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.metadata.items() if k in ("tags", "jupyter", "editable")})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nbformat.writes(nb, version=4) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any .ipynb differs from its source")
    parser.add_argument("files", nargs="*", type=Path, help="sources (default: all)")
    args = parser.parse_args(argv)
    drift = []
    for source in args.files or sources():
        target = source.with_suffix(".ipynb")
        text = render(source)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            drift.append(os.path.relpath(target, ROOT) if target.is_relative_to(ROOT)
                         else str(target))
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if drift:
        print("out of date (run `make notebooks`): " + ", ".join(drift), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
