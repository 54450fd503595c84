"""The book's structure follows the registry of chapters (no book build needed).

Adding a chapter is adding its record to ``kscale_lab/chapters.py`` and its four files; these
tests then say what else the book needs: the chapter's entry in ``_toc.yml`` (with its lab,
exercises and solutions), and one fewer "still being written" item in the preface.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from kscale_lab.chapters import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import site_fixes  # noqa: E402

#: The course design's plan: chapters 1 to 8 and the capstone (COURSE_DESIGN.md).
PLANNED_CHAPTERS = 9


def stem(path: str) -> str:
    return re.sub(r"\.(md|ipynb)$", "", path)


def chapter_entries() -> list[dict]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [e for part in toc.get("parts", []) for e in part.get("chapters", [])]
    return [e for e in entries if re.fullmatch(r"book/\d\d-.+", stem(e.get("file", "")))]


def test_toc_has_every_registered_chapter_in_order():
    assert [stem(e["file"]) for e in chapter_entries()] == [
        stem(c.files["chapter"]) for c in CHAPTERS]


def test_toc_puts_each_chapters_lab_and_exercises_under_it_and_solutions_behind_them():
    for c, entry in zip(CHAPTERS, chapter_entries()):
        expected = (f"  - file: {stem(c.files['chapter'])}\n    sections:\n"
                    f"      - file: {stem(c.files['lab'])}\n"
                    f"      - file: {stem(c.files['exercises'])}\n        sections:\n"
                    f"          - file: {stem(c.files['solutions'])}")
        sections = [stem(s["file"]) for s in entry.get("sections", [])]
        assert sections == [stem(c.files["lab"]), stem(c.files["exercises"])], (
            f"_toc.yml: chapter {c.number} should read\n{expected}")
        (exercises,) = [s for s in entry["sections"] if stem(s["file"]) == sections[1]]
        assert [stem(s["file"]) for s in exercises.get("sections", [])] == [
            stem(c.files["solutions"])], f"_toc.yml: chapter {c.number} should read\n{expected}"


def test_preface_lists_as_coming_exactly_the_chapters_not_yet_written():
    preface = (ROOT / "book" / "preface.md").read_text(encoding="utf-8")
    coming = (preface.split("Still being written", 1) + [""])[1].split("\n## ", 1)[0]
    items = re.findall(r"^- ", coming, re.MULTILINE)
    assert len(items) == PLANNED_CHAPTERS - len(CHAPTERS), (
        "book/preface.md: the 'Still being written' list should have one item per planned "
        f"chapter without a page ({PLANNED_CHAPTERS - len(CHAPTERS)}), not {len(items)}")


def test_blank_exercises_of_every_chapter_are_left_unexecuted():
    assert site_fixes.blank_exercises(ROOT) == sorted(c.files["exercises"] for c in CHAPTERS)


def test_next_skips_only_worked_solutions():
    for c in CHAPTERS:
        assert site_fixes.SOLUTIONS.fullmatch(stem(c.files["solutions"]))
        for part in ("chapter", "lab", "exercises"):
            assert not site_fixes.SOLUTIONS.fullmatch(stem(c.files[part]))


#: Cell tags that keep a code cell's source off the page (MyST-NB).
HIDING_TAGS = {"remove-cell", "remove-input", "hide-input"}


def visible_code_cells_calling_glue(page: Path) -> list[int]:
    """The indexes of ``page``'s code cells that a reader sees and that call ``glue(``."""
    import jupytext

    notebook = jupytext.read(page)
    return [i for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code"
            and not HIDING_TAGS & set(cell.metadata.get("tags", []))
            and re.search(r"\bglue\(", cell.source)]


def test_no_visible_code_cell_only_glues_numbers_into_the_text():
    # Code that only glues numbers into the text is hidden (COURSE_DESIGN.md): its glue()
    # calls belong in a remove-cell of their own, after the cell worth reading.
    offenders = {page.name: cells for page in sorted((ROOT / "book").glob("*.md"))
                 if (cells := visible_code_cells_calling_glue(page))}
    assert not offenders, f"move these cells' glue() calls into a remove-cell: {offenders}"


def test_the_glue_check_finds_a_visible_glue_call(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n"
                    "    format_name: myst\nkernelspec:\n  display_name: Python 3\n"
                    "  language: python\n  name: python3\n---\n\n"
                    "```{code-cell} ipython3\nx = 1\nglue('x', x, display=False)\n```\n\n"
                    "```{code-cell} ipython3\n:tags: [remove-cell]\nglue('y', 2)\n```\n",
                    encoding="utf-8")
    assert visible_code_cells_calling_glue(page) == [0]
