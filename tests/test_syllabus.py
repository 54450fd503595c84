"""The syllabi: timed by the chapters' own estimates, covering every registered chapter.

Each chapter's minutes are read here a second way — the numbers of its "**Time.**" line,
found with a plain regular expression — and every invariant is checked against that reading
or against hand arithmetic, never against the syllabus module's own sums.
"""

import doctest
import re
from pathlib import Path

import pytest

from kscale_lab.chapters import CHAPTERS
from kscale_lab.syllabus import (
    CAPSTONE,
    CLASS_MAX_MIN,
    GROUPS,
    HOMEWORK_MAX_MIN,
    MODULE,
    PARTS,
    WORKSHOP,
    WORKSHOP_AFTER,
    WORKSHOP_MAX_MIN,
    WORKSHOP_START_MIN,
    Activity,
    ChapterTime,
    Groups,
    after_rows,
    chapter_times,
    group_parts,
    module_rows,
    parse_time,
    time_sentence,
    workshop_rows,
)

ROOT = Path(__file__).resolve().parent.parent
TIMES = chapter_times(ROOT)
KEYS = [c.key for c in CHAPTERS]


def time_line(key: str) -> dict[str, int]:
    """A chapter's minutes by part, from the numbers of its "**Time.**" line, in order."""
    chapter = next(c for c in CHAPTERS if c.key == key)
    text = (ROOT / chapter.files["chapter"]).read_text()
    line = next(line for line in text.splitlines() if line.startswith("**Time.**"))
    return dict(zip(PARTS, (int(n) for n in re.findall(r"\d+", line)), strict=True))


def minutes_of(activity: Activity) -> int:
    """An activity's minutes, from the Time lines (chapters) or its stated estimate."""
    if not activity.chapter:
        return activity.estimate_min
    line = time_line(activity.chapter)
    return sum(line[p] for p in activity.parts)


def clock(text: str) -> int:
    hours, minutes = map(int, text.split(":"))
    return 60 * hours + minutes


def blocks(plan):
    """The blocks of a plan whose chapters are registered (the capstone may not be yet)."""
    return [b for b in plan if b.available(TIMES)]


def test_the_modules_examples_run():
    import kscale_lab.syllabus

    assert doctest.testmod(kscale_lab.syllabus).failed == 0


# --- the chapters' own times --------------------------------------------------------------------

def test_a_time_sentence_is_read_across_line_breaks():
    text = "**Time.** About 45 minutes for the chapter,\n25 for the lab and 30 for the exercises."
    assert parse_time(text) == (45, 25, 30)


def test_a_chapter_without_a_time_sentence_is_named():
    with pytest.raises(ValueError, match="book/99-x.md has no"):
        parse_time("no time here", "book/99-x.md")


def test_chapter_1s_time_is_what_its_box_says():
    t = TIMES["envelope"]
    assert (t.chapter_min, t.lab_min, t.exercises_min) == (30, 20, 20)


@pytest.mark.parametrize("key", KEYS)
def test_every_chapters_minutes_are_its_time_line(key):
    t = TIMES[key]
    assert {p: t.part_min(p) for p in PARTS} == time_line(key)


@pytest.mark.parametrize("key", KEYS)
def test_the_teachers_time_sentence_quotes_the_time_line(key):
    numbers = [int(n) for n in re.findall(r"\d+", time_sentence(TIMES[key]))]
    line = time_line(key)
    total = sum(line.values())
    assert numbers[:3] == [line[p] for p in PARTS]
    assert numbers[3:] == ([total // 60, total % 60] if total % 60 else [total // 60])


# --- the one-day workshop ----------------------------------------------------------------------

def test_the_workshop_fits_in_a_day_breaks_included():
    rows = workshop_rows(TIMES)
    end = clock(rows[-1]["time"].split("–")[1])
    assert clock(rows[0]["time"].split("–")[0]) == WORKSHOP_START_MIN == 9 * 60
    assert end - WORKSHOP_START_MIN <= WORKSHOP_MAX_MIN == 8 * 60 + 30
    assert end <= clock("17:30")


def test_the_workshop_clock_runs_without_gaps():
    rows = workshop_rows(TIMES, start_min=9 * 60)
    spans = [r["time"].split("–") for r in rows]
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert clock(spans[-1][1]) - 9 * 60 == sum(int(r["minutes"]) for r in rows)


def test_the_workshop_has_a_lunch_and_a_break_in_each_half_day():
    rows = workshop_rows(TIMES)
    pauses = [clock(r["time"].split("–")[0]) for r in rows
              if r["session"] in ("Break", "Lunch")]
    lunch = next(clock(r["time"].split("–")[0]) for r in rows if r["session"] == "Lunch")
    assert clock("11:30") <= lunch <= clock("13:30")
    assert any(p < lunch for p in pauses if p != lunch)
    assert any(p > lunch for p in pauses)


def test_every_chapter_block_of_the_workshop_lasts_its_time_line():
    """A chapter's block lasts what its Time line gives its parts; a round of groups lasts
    as long as its longest track."""
    rows = workshop_rows(TIMES)
    for row, block in zip(rows, blocks(WORKSHOP), strict=True):
        if isinstance(block, Groups):
            tracks = [sum(minutes_of(a) for a in acts if a.available(TIMES))
                      for _, acts in block.tracks]
            assert int(row["minutes"]) == max(tracks)
            for (group, _acts), m in zip(block.tracks, tracks):
                assert f"**{group}**" in row["session"] and f"({m} min)" in row["session"]
        else:
            assert int(row["minutes"]) == minutes_of(block)


@pytest.mark.parametrize("key", KEYS)
def test_every_chapter_is_in_the_workshop_day(key):
    day = {cp[0] for g in GROUPS for cp in group_parts(g, TIMES, plans=(WORKSHOP,))}
    assert key in day


@pytest.mark.parametrize("group", GROUPS)
def test_a_learner_does_each_part_of_their_chapters_once_and_every_part_of_them(group):
    mine = group_parts(group, TIMES)
    assert len(mine) == len(set(mine)), f"{group}: a part twice"
    for key in {k for k, _ in mine}:
        assert sorted(p for k, p in mine if k == key) == sorted(PARTS), (group, key)


@pytest.mark.parametrize("key", KEYS)
def test_every_part_of_every_chapter_is_done_by_some_group(key):
    done = {cp for g in GROUPS for cp in group_parts(g, TIMES)}
    assert {(key, p) for p in PARTS} <= done


def test_each_group_follows_a_pair_of_chapters_besides_the_shared_ones():
    shared = {"envelope", "heartbeats", CAPSTONE}
    pairs = [{k for k, _ in group_parts(g, TIMES)} - shared for g in GROUPS]
    assert [len(p) for p in pairs] == [2, 2, 2]
    assert set.union(*pairs) == set(KEYS) - shared        # chapters 3–8, one group each


def test_a_chapter_not_yet_registered_is_left_out_and_timed_once_it_is():
    without = {k: t for k, t in TIMES.items() if k != CAPSTONE}
    assert not any("9. Capstone" in r["session"] for r in workshop_rows(without))
    capstone = ChapterTime(9, CAPSTONE, "Capstone", 40, 35, 45)
    rows = workshop_rows({**without, CAPSTONE: capstone})
    assert rows[-1]["session"] == "9. Capstone: lab" and rows[-1]["minutes"] == "35"
    after = after_rows({**without, CAPSTONE: capstone})
    assert after[-1] == {"homework": "9. Capstone: chapter, exercises", "minutes": "85"}


def test_after_the_day_each_group_has_its_own_exercises():
    first = after_rows(TIMES)[0]
    for group, keys in zip(GROUPS, (("secrets", "watch"), ("kube-proxy", "endpoints"),
                                    ("scheduler", "events"))):
        m = sum(time_line(k)["exercises"] for k in keys)
        assert f"**{group}**: " in first["homework"] and f"({m} min)" in first["homework"]


# --- the six-week module -----------------------------------------------------------------------

@pytest.mark.parametrize("key", KEYS)
def test_every_chapter_is_in_the_module_once_with_all_its_parts(key):
    parts = [p for _, in_class, homework in MODULE for a in (*in_class, *homework)
             if a.chapter == key for p in a.parts]
    assert sorted(parts) == sorted(PARTS)


def test_the_plans_name_only_registered_chapters_and_the_capstone():
    named = {a.chapter for _, in_class, homework in MODULE for a in (*in_class, *homework)}
    named |= {a.chapter for plan in (WORKSHOP, WORKSHOP_AFTER) for b in plan
              for a in ((b,) if isinstance(b, Activity) else
                        [a for _, acts in b.tracks for a in acts])}
    assert named - {""} <= set(KEYS) | {CAPSTONE}


def test_the_module_has_six_weeks_and_a_capstone_week():
    rows = module_rows(TIMES)
    assert [r["week"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert any(a.chapter == CAPSTONE for a in MODULE[4][1])


@pytest.mark.parametrize("week", range(1, len(MODULE) + 1))
def test_a_weeks_class_fits_a_three_hour_slot_and_its_homework_three_hours(week):
    _, in_class, homework = MODULE[week - 1]
    row = module_rows(TIMES)[week - 1]
    class_min = sum(minutes_of(a) for a in in_class if a.available(TIMES))
    home_min = sum(minutes_of(a) for a in homework if a.available(TIMES))
    assert (int(row["class min"]), int(row["homework min"])) == (class_min, home_min)
    assert class_min + 15 <= 3 * 60 and CLASS_MAX_MIN + 15 == 3 * 60
    assert home_min <= HOMEWORK_MAX_MIN == 3 * 60


def test_module_week_2_is_chapter_3_and_4_split_between_class_and_homework():
    week2 = module_rows(TIMES)[1]
    s, k = time_line("secrets"), time_line("kube-proxy")
    assert int(week2["class min"]) == s["chapter"] + s["lab"] + k["chapter"] + k["lab"]
    assert int(week2["homework min"]) == s["exercises"] + k["exercises"]


# --- what the tables say -------------------------------------------------------------------------

def test_estimates_are_labelled_and_chapter_times_are_not():
    for row, block in zip(workshop_rows(TIMES), blocks(WORKSHOP), strict=True):
        estimate = isinstance(block, Activity) and not block.chapter and not block.break_
        assert ("*(estimate)*" in row["session"]) == estimate, row
    for _, in_class, homework in MODULE:
        for a in (*in_class, *homework):
            if a.available(TIMES):
                assert ("*(estimate)*" in a.describe(TIMES)) == (not a.chapter), a
