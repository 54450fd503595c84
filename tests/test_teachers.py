"""The teacher's notes per chapter (``book/teachers/KEY.md``): what each must hold.

Every registered chapter, the capstone included, has notes; each notes page
maps every question of the chapter's exercise set to an objective and names no question the
set does not have, references only figures its chapter defines, takes its time from the
chapter's own Time line, and times a 15-minute introduction without gaps.
"""

import re
from pathlib import Path

import pytest

from kscale_lab.chapters import CHAPTERS
from kscale_lab.exercises import questions

ROOT = Path(__file__).resolve().parent.parent
NOTES = [c for c in CHAPTERS if (ROOT / "book" / "teachers" / f"{c.key}.md").is_file()]
SECTIONS = ("## Objectives and the exercises that test them",
            "## Misconceptions, and how the lab dispels them",
            "## Discussion prompts",
            "## Presenter notes: a 15-minute introduction")


def notes(c) -> str:
    return (ROOT / "book" / "teachers" / f"{c.key}.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    start = text.index(heading) + len(heading)
    end = text.find("\n## ", start)
    return text[start:] if end < 0 else text[start:end]


def asked(c) -> set[str]:
    """The questions of the chapter's set, from its checks module."""
    return {name for name, _ in questions(c.exercises_module)}


def defined_labels(c) -> set[str]:
    """Every label the chapter defines: its own ``(label)=`` and its figures' names."""
    text = (ROOT / c.files["chapter"]).read_text(encoding="utf-8")
    return (set(re.findall(r"^\((\S+)\)=$", text, re.M))
            | set(re.findall(r"^\s*:?name: (\S+)$", text, re.M)))


@pytest.mark.parametrize("key", [c.key for c in CHAPTERS])
def test_every_chapter_has_notes_for_teachers(key):
    assert (ROOT / "book" / "teachers" / f"{key}.md").is_file()


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_notes_have_every_section(c):
    text = notes(c)
    positions = [text.find(h) for h in SECTIONS]
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_every_question_is_mapped_to_an_objective(c):
    table = section(notes(c), SECTIONS[0]).split("\n\n")[1]
    assert set(re.findall(r"\bq\d+\b", table)) == asked(c)


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_notes_name_no_question_the_set_does_not_have(c):
    assert set(re.findall(r"\bq\d+\b", notes(c))) <= asked(c)


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_notes_reference_the_chapter_and_only_its_figures(c):
    text = notes(c)
    refs = set(re.findall(r"\{ref\}`([^`<]+)`", text))
    labels = defined_labels(c)
    assert refs <= labels, f"not defined in {c.files['chapter']}: {sorted(refs - labels)}"
    assert any(not r.startswith("fig-") for r in refs), "no reference to the chapter itself"
    assert f"../../{c.files['lab'].removesuffix('.md')}" in text
    assert f"../../{c.files['solutions'].removesuffix('.md')}" in text


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_presenter_notes_use_the_chapters_figures(c):
    presenter = section(notes(c), SECTIONS[3])
    assert len(set(re.findall(r"\{ref\}`(fig-[^`]+)`", presenter))) >= 2


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_time_is_read_from_the_chapter_not_written_in_the_notes(c):
    text = notes(c)
    assert f'chapter_times(Path.cwd().parents[1])["{c.key}"]' in text
    assert "{glue:text}`time`" in text
    assert not re.search(r"about \d+ minutes for the chapter", text, re.I)


@pytest.mark.parametrize("c", NOTES, ids=lambda c: c.key)
def test_the_presenter_notes_fill_fifteen_minutes_without_gaps(c):
    spans = [(int(a), int(b)) for a, b in
             re.findall(r"^\*\*(\d+)–(\d+) min\.", section(notes(c), SECTIONS[3]), re.M)]
    assert spans and spans[0][0] == 0 and spans[-1][1] == 15
    assert all(a < b for a, b in spans)
    assert all(prev[1] == nxt[0] for prev, nxt in zip(spans, spans[1:]))


def test_the_table_of_contents_lists_every_notes_page():
    toc = (ROOT / "_toc.yml").read_text()
    for c in NOTES:
        assert f"- file: book/teachers/{c.key}\n" in toc
