"""Plans for a class: a one-day workshop and a six-week module, timed by the chapters.

Every chapter states its own time in its opening box — "**Time.** About 30 minutes for the
chapter, 20 for the lab and 20 for the exercises." — and :func:`chapter_times` reads those
numbers from the chapters themselves, so a syllabus can never disagree with them. The two
plans (:data:`WORKSHOP`, :data:`MODULE`) are data: which chapters and activities go in which
session. Activities that are not chapters (the prerequisites check, breaks, a wrap-up, a
project) carry the course authors' *estimates*, labelled as such.

:func:`workshop_rows` and :func:`module_rows` turn a plan and the times into table rows; the
teacher's pages of the book render them at build time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODULE", "WORKSHOP", "Activity", "ChapterTime", "chapter_times", "module_rows",
           "workshop_rows"]

_TIME = re.compile(r"\*\*Time\.\*\*\s+About\s+(\d+)\s+minutes\s+for\s+the\s+chapter,\s+"
                   r"(\d+)\s+for\s+the\s+lab\s+and\s+(\d+)\s+for\s+the\s+exercises")


@dataclass(frozen=True)
class ChapterTime:
    """A chapter's own time estimate, in minutes, for its three parts."""

    number: int
    key: str
    title: str
    chapter_min: int
    lab_min: int
    exercises_min: int

    @property
    def total_min(self) -> int:
        return self.chapter_min + self.lab_min + self.exercises_min


def parse_time(text: str, where: str = "the chapter") -> tuple[int, int, int]:
    """``(chapter, lab, exercises)`` minutes from a chapter's "**Time.**" sentence.

    >>> parse_time("**Time.** About 30 minutes for the chapter, 20 for the lab and 20 for "
    ...            "the exercises.")
    (30, 20, 20)
    """
    m = _TIME.search(" ".join(text.split()))
    if not m:
        raise ValueError(f"{where} has no '**Time.** About N minutes for the chapter, N for the "
                         "lab and N for the exercises' sentence")
    chapter, lab, exercises = (int(g) for g in m.groups())
    return chapter, lab, exercises


def chapter_times(root: Path) -> dict[str, ChapterTime]:
    """Every registered chapter's time, read from ``book/NN-KEY.md`` under ``root``."""
    from kscale_lab.chapters import CHAPTERS

    times = {}
    for c in CHAPTERS:
        path = Path(root) / c.files["chapter"]
        times[c.key] = ChapterTime(c.number, c.key, c.title,
                                   *parse_time(path.read_text(encoding="utf-8"), str(path)))
    return times


@dataclass(frozen=True)
class Activity:
    """One block of a session: a chapter's part(s), or something else with an estimate.

    ``chapter`` names a chapter (its key) and ``parts`` which of its parts ("chapter", "lab",
    "exercises"); otherwise ``what`` and ``estimate_min`` describe it.
    """

    what: str = ""
    chapter: str = ""
    parts: tuple[str, ...] = ("chapter", "lab", "exercises")
    estimate_min: int = 0
    break_: bool = False

    def minutes(self, times: dict[str, ChapterTime]) -> int:
        if not self.chapter:
            return self.estimate_min
        t = times[self.chapter]
        return sum({"chapter": t.chapter_min, "lab": t.lab_min,
                    "exercises": t.exercises_min}[p] for p in self.parts)

    def describe(self, times: dict[str, ChapterTime]) -> str:
        if not self.chapter:
            return self.what + ("" if self.break_ else " *(estimate)*")
        t = times[self.chapter]
        return f"{t.number}. {t.title}: " + ", ".join(self.parts)


#: The prerequisites notebook: set-up and background questions (an estimate).
PREREQUISITES = Activity("Set-up: the prerequisites notebook (notebooks/00-prerequisites)",
                         estimate_min=20)

#: A one-day workshop: every chapter, whole, with breaks.
WORKSHOP: tuple[Activity, ...] = (
    PREREQUISITES,
    Activity(chapter="envelope"),
    Activity("Break", estimate_min=15, break_=True),
    Activity(chapter="heartbeats"),
    Activity("Lunch", estimate_min=60, break_=True),
    Activity(chapter="kube-proxy"),
    Activity("Break", estimate_min=15, break_=True),
    Activity(chapter="scheduler"),
    Activity("Wrap-up: *Reproducing the talk*, questions", estimate_min=15),
)

#: A six-week module: one session a week in class, the exercises as homework.
MODULE: tuple[tuple[str, tuple[Activity, ...], tuple[Activity, ...]], ...] = (
    ("Scalability is more than a node count",
     (PREREQUISITES, Activity(chapter="envelope", parts=("chapter", "lab"))),
     (Activity(chapter="envelope", parts=("exercises",)),)),
    ("Heartbeats and etcd",
     (Activity(chapter="heartbeats", parts=("chapter", "lab")),),
     (Activity(chapter="heartbeats", parts=("exercises",)),)),
    ("Services at scale: kube-proxy",
     (Activity(chapter="kube-proxy", parts=("chapter", "lab")),),
     (Activity(chapter="kube-proxy", parts=("exercises",)),)),
    ("Scheduling throughput",
     (Activity(chapter="scheduler", parts=("chapter", "lab")),),
     (Activity(chapter="scheduler", parts=("exercises",)),)),
    ("Across chapters",
     (Activity("*Reproducing the talk*: every claim against the models; the synthesis "
               "questions reviewed", estimate_min=60),),
     (Activity("Project: pick a cluster you know, find which dimension binds first with "
               "the labs, and write it up (one page)", estimate_min=120),)),
    ("Projects",
     (Activity("Project presentations, five minutes each, and discussion", estimate_min=90),),
     ()),
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def workshop_rows(times: dict[str, ChapterTime], start_min: int = 9 * 60,
                  plan: tuple[Activity, ...] = WORKSHOP) -> list[dict[str, str]]:
    """The workshop as table rows: start–end clock times, what, and minutes."""
    rows, now = [], start_min
    for activity in plan:
        m = activity.minutes(times)
        rows.append({"time": f"{_clock(now)}–{_clock(now + m)}",
                     "session": activity.describe(times), "minutes": str(m)})
        now += m
    return rows


def module_rows(times: dict[str, ChapterTime], plan=MODULE) -> list[dict[str, str]]:
    """The six-week module as table rows: week, topic, in class, homework, minutes of each."""
    rows = []
    for week, (topic, in_class, homework) in enumerate(plan, start=1):
        rows.append({
            "week": str(week), "topic": topic,
            "in class": "; ".join(a.describe(times) for a in in_class),
            "class min": str(sum(a.minutes(times) for a in in_class)),
            "homework": "; ".join(a.describe(times) for a in homework) or "—",
            "homework min": str(sum(a.minutes(times) for a in homework)),
        })
    return rows


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Rows of strings as a Markdown (GFM) table."""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r[h] for h in head) + " |" for r in rows]
    return "\n".join(lines)
