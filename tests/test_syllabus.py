"""The syllabi: timed by the chapters' own estimates, covering every chapter."""

import re
from pathlib import Path

import pytest

from kscale_lab.chapters import CHAPTERS
from kscale_lab.syllabus import (
    MODULE,
    WORKSHOP,
    chapter_times,
    markdown_table,
    module_rows,
    parse_time,
    workshop_rows,
)

ROOT = Path(__file__).resolve().parent.parent
TIMES = chapter_times(ROOT)


def minutes_in_time_line(key: str) -> int:
    """The sum of the numbers in a chapter's "**Time.**" line, read independently."""
    chapter = next(c for c in CHAPTERS if c.key == key)
    text = (ROOT / chapter.files["chapter"]).read_text()
    line = next(line for line in text.splitlines() if line.startswith("**Time.**"))
    return sum(int(n) for n in re.findall(r"\d+", line))


def test_a_time_sentence_is_read_across_line_breaks():
    text = "**Time.** About 45 minutes for the chapter,\n25 for the lab and 30 for the exercises."
    assert parse_time(text) == (45, 25, 30)


def test_a_chapter_without_a_time_sentence_is_named():
    with pytest.raises(ValueError, match="book/99-x.md has no"):
        parse_time("no time here", "book/99-x.md")


def test_chapter_1s_time_is_what_its_box_says():
    t = TIMES["envelope"]
    assert (t.chapter_min, t.lab_min, t.exercises_min) == (30, 20, 20)


@pytest.mark.parametrize("key", [c.key for c in CHAPTERS])
def test_every_chapter_is_in_the_workshop_whole(key):
    rows = workshop_rows(TIMES)
    mine = [r for r, a in zip(rows, WORKSHOP) if a.chapter == key]
    assert len(mine) == 1
    assert int(mine[0]["minutes"]) == minutes_in_time_line(key)


@pytest.mark.parametrize("key", [c.key for c in CHAPTERS])
def test_every_chapter_is_in_the_module_once_with_all_its_parts(key):
    parts = [p for _, in_class, homework in MODULE for a in (*in_class, *homework)
             if a.chapter == key for p in a.parts]
    assert sorted(parts) == ["chapter", "exercises", "lab"]


def test_the_workshop_clock_runs_without_gaps():
    rows = workshop_rows(TIMES, start_min=9 * 60)
    spans = [r["time"].split("–") for r in rows]
    assert spans[0][0] == "09:00"
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    end_h, end_m = map(int, spans[-1][1].split(":"))
    assert end_h * 60 + end_m - 9 * 60 == sum(int(r["minutes"]) for r in rows)


def test_module_weeks_add_up():
    rows = module_rows(TIMES)
    assert [r["week"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    week2 = rows[1]
    assert int(week2["class min"]) + int(week2["homework min"]) == \
        minutes_in_time_line("heartbeats")


def test_estimates_are_labelled_and_chapter_times_are_not():
    text = markdown_table(workshop_rows(TIMES))
    for row in text.splitlines()[2:]:
        is_chapter = bool(re.search(r"\| \d\. ", row))
        is_break = "Break" in row or "Lunch" in row
        assert ("*(estimate)*" in row) == (not is_chapter and not is_break), row
