#!/usr/bin/env python3
"""Write ``_toc.yml`` from the chapter registry (``kscale_lab/chapters.py``).

One entry per chapter, in the registry's order, each with its lab and its exercises as
sections and the worked solutions behind the exercises, then the reference pages and the
teacher's part. ``tests/test_site.py`` checks that ``_toc.yml`` and the registry agree, so
after adding a chapter run ``python scripts/toc.py`` (or ``make toc``).

    python scripts/toc.py            write _toc.yml
    python scripts/toc.py --check    exit 1 if _toc.yml is not what the registry gives
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAD = """\
# Table of contents (Jupyter Book 1.x, sphinx-external-toc), written by scripts/toc.py from
# the chapter registry (kscale_lab/chapters.py): edit the registry or the lists in that script,
# then run `make toc`. Only files listed here are built (only_build_toc_files: true).
#
# Each chapter has its lab and its exercises as sections and the worked solutions behind the
# exercises, so "Next" runs chapter -> lab -> exercises -> next chapter (scripts/site_fixes.py
# steps over the solutions).
format: jb-book
root: book/preface
parts:
  - caption: Chapters
    chapters:
"""
REFERENCE = ("book/glossary", "book/diagrams", "book/reproducing-the-talk", "book/design")


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from kscale_lab.chapters import CHAPTERS

    out = [HEAD]
    for c in CHAPTERS:
        f = {k: v.removesuffix(".md") for k, v in c.files.items()}
        out.append(f"      - file: {f['chapter']}\n"
                   f"        sections:\n"
                   f"          - file: {f['lab']}\n"
                   f"          - file: {f['exercises']}\n"
                   f"            sections:\n"
                   f"              - file: {f['solutions']}\n")
    out.append("  - caption: Reference\n    chapters:\n")
    out += [f"      - file: {page}\n" for page in REFERENCE]
    # the syllabi, each chapter's notes for teachers (book/teachers/KEY.md) where written,
    # and the page on handing out and grading
    teachers = ["book/teachers/syllabi"]
    teachers += [f"book/teachers/{c.key}" for c in CHAPTERS
                 if (ROOT / f"book/teachers/{c.key}.md").exists()]
    teachers.append("book/teachers/grading")
    out.append("  - caption: For teachers\n    chapters:\n      - file: book/teachers/index\n")
    out.append("        sections:\n")
    out += [f"          - file: {page}\n" for page in teachers]
    out.append("      - file: notebooks/00-prerequisites\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = ap.parse_args(argv)
    text = render()
    path = ROOT / "_toc.yml"
    if args.check:
        if path.read_text() != text:
            print("_toc.yml is not what the registry gives: run `make toc`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
