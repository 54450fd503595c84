"""A site for students (no answer keys) and one for teachers, from the same sources.

The table-of-contents transformation is checked on the real ``_toc.yml``; the Sphinx side
(the toc swapped before sphinx-external-toc reads it, links redirected, a teacher's pages
removed from the output folder) on a small book of six Markdown pages, built twice with
warnings as errors — a few seconds, instead of the whole course.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import audience  # noqa: E402


def pages(toc: dict) -> list[str]:
    return audience._toc_files(toc)


@pytest.fixture
def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def test_the_student_toc_has_no_answer_keys(toc):
    student = pages(audience.student_toc(toc))
    assert not [p for p in student if p.endswith("-solutions") or p.startswith("book/teachers")]


def test_every_solutions_page_is_replaced_by_its_hand_out(toc):
    solutions = [p for p in pages(toc) if p.endswith("-solutions")]
    assert solutions
    student = pages(audience.student_toc(toc))
    for page in solutions:
        assert page.removesuffix("-solutions") in student
        assert (ROOT / f"{page.removesuffix('-solutions')}.md").is_file()


def test_everything_else_is_kept_in_order(toc):
    teacher = [p for p in pages(toc) if audience.student_page(p) == p]
    student = pages(audience.student_toc(toc))
    assert [p for p in student if p in teacher] == \
        [student[0], audience.PREREQUISITES, *[p for p in teacher[1:]
                                               if p != audience.PREREQUISITES]]


def test_the_prerequisites_come_first():
    toc = {"root": "intro", "parts": [
        {"caption": "Chapters", "chapters": [{"file": "book/01-x"}]},
        {"caption": "For teachers", "chapters": [
            {"file": "book/teachers/index", "sections": [{"file": "book/teachers/x"}]},
            {"file": "notebooks/00-prerequisites"}]}]}
    assert audience.student_toc(toc)["parts"] == [
        {"caption": "Before you start", "chapters": [{"file": "notebooks/00-prerequisites"}]},
        {"caption": "Chapters", "chapters": [{"file": "book/01-x"}]}]


@pytest.mark.parametrize("refdoc, target, goes_to", [
    ("book/01-envelope", "../exercises/01-envelope-solutions", ("doc", "exercises/01-envelope")),
    ("book/preface", "teachers/index", ("text", None)),
    ("book/preface", "/book/teachers/syllabi", ("text", None)),
    ("book/preface", "01-envelope", ("doc", "book/01-envelope")),
])
def test_links_are_redirected(refdoc, target, goes_to):
    assert audience.redirect(refdoc, target) == goes_to


@pytest.mark.parametrize("value, expected", [("", "teacher"), ("student", "student"),
                                             (" teacher ", "teacher")])
def test_the_audience_comes_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("KSCALE_AUDIENCE", value)
    assert audience.audience() == expected


def test_an_unknown_audience_is_refused(monkeypatch):
    monkeypatch.setenv("KSCALE_AUDIENCE", "students")
    with pytest.raises(ValueError, match="one of teacher, student; got 'students'"):
        audience.audience()


# --- a small book, built for each audience ---------------------------------------------------

BOOK = {
    "_toc.yml": """\
        format: jb-book
        root: index
        parts:
          - caption: Chapters
            chapters:
              - file: book/01-x
          - caption: Exercises
            chapters:
              - file: exercises/01-x-solutions
          - caption: For teachers
            chapters:
              - file: book/teachers/index
              - file: notebooks/00-prerequisites
        """,
    "index.md": "# Home\n\nStart with {doc}`book/01-x`; teachers see "
                "{doc}`the notes for teachers <book/teachers/index>`.\n",
    "book/01-x.md": "# Chapter\n\nThe answers: {doc}`../exercises/01-x-solutions`.\n",
    "exercises/01-x.md": "# Hand-out\n\nQuestion 1.\n",
    "exercises/01-x-solutions.md": "# Solutions\n\nThe answer is 42.\n",
    "book/teachers/index.md": "# For teachers\n\nAnswer keys.\n",
    "notebooks/00-prerequisites.md": "# Before you start\n\nChecks.\n",
    "conf.py": f"""\
        import sys
        sys.path.insert(0, {str(ROOT / 'scripts')!r})
        extensions = ["myst_parser", "sphinx_external_toc", "audience"]
        external_toc_path = "_toc.yml"
        external_toc_exclude_missing = True
        exclude_patterns = ["_build"]
        """,
}


def build(src: Path, monkeypatch, who: str) -> Path:
    from sphinx.cmd.build import build_main

    monkeypatch.setenv("KSCALE_AUDIENCE", who)
    out = src / "_build" / "html"
    code = build_main(["-q", "-W", "-b", "html", str(src), str(out),
                       "-d", str(src / "_build" / ".doctrees")])
    assert code == 0, f"{who} build failed"
    return out


@pytest.fixture
def book(tmp_path) -> Path:
    for name, text in BOOK.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_the_teachers_site_has_everything(book, monkeypatch):
    out = build(book, monkeypatch, "teacher")
    for page in ("book/01-x", "exercises/01-x-solutions", "book/teachers/index"):
        assert (out / f"{page}.html").is_file()
    assert "01-x-solutions.html" in (out / "book" / "01-x.html").read_text()


def test_the_students_site_has_no_answer_keys_even_after_a_teachers_build(book, monkeypatch):
    build(book, monkeypatch, "teacher")                      # leaves solutions in the folder
    out = build(book, monkeypatch, "student")
    assert not (out / "exercises" / "01-x-solutions.html").exists()
    assert not (out / "book" / "teachers" / "index.html").exists()
    assert not list(out.rglob("*01-x-solutions*"))
    assert "42" not in " ".join(p.read_text() for p in out.rglob("*.html"))
    chapter = (out / "book" / "01-x.html").read_text()
    assert 'href="../exercises/01-x.html"' in chapter           # the hand-out instead
    home = (out / "index.html").read_text()
    assert "the notes for teachers" in home                    # as plain text, no link
    assert not re.search(r'href="[^"]*teachers', home)
    assert (out / "notebooks" / "00-prerequisites.html").is_file()


def test_no_page_appears_twice_on_the_student_site(toc):
    student = pages(audience.student_toc(toc))
    assert len(student) == len(set(student))
