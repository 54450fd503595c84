"""Plans for a class: a one-day workshop and a six-week module, timed by the chapters.

Every chapter states its own time in its opening box — "**Time.** About 30 minutes for the
chapter, 20 for the lab and 20 for the exercises." — and :func:`chapter_times` reads those
numbers from the chapters themselves, so a syllabus can never disagree with them. The two
plans (:data:`WORKSHOP`, :data:`MODULE`) are data: which chapters and activities go in which
session. Activities that are not chapters (the prerequisites check, breaks, a report-back, a
project) carry the course authors' *estimates*, labelled as such.

A day cannot hold the whole course: the chapters' own estimates add up to more than twelve
hours. The workshop therefore takes chapters 1 and 2 whole, together; then splits the class
into three groups, each of which follows a *pair* of related chapters (chapter and lab) in
two rounds (:class:`Groups`: a round lasts as long as its longest track); the groups teach
each other what they found, and the day closes with the capstone's lab. The exercises of a
group's chapters, and the capstone's chapter and exercises, are the homework after the day
(:data:`WORKSHOP_AFTER`). The module has room for every part of every chapter, in class or
as homework.

A plan may name a chapter that is not registered yet (the capstone, :data:`CAPSTONE`, while
it is being written): its activities are left out of the rows until it is registered, and
then timed by its own "**Time.**" line like every other chapter.

:func:`workshop_rows`, :func:`after_rows` and :func:`module_rows` turn the plans and the times
into table rows; the teacher's pages of the book render them at build time.

>>> times = {"envelope": ChapterTime(1, "envelope", "Scalability is multi-dimensional",
...                                  30, 20, 20)}
>>> Activity(chapter="envelope", parts=("chapter", "lab")).minutes(times)
50
>>> Activity(chapter="capstone").available(times)
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CAPSTONE", "CLASS_MAX_MIN", "HOMEWORK_MAX_MIN", "MODULE", "PARTS", "WORKSHOP",
           "WORKSHOP_AFTER", "WORKSHOP_MAX_MIN", "WORKSHOP_START_MIN", "Activity",
           "ChapterTime", "Groups", "after_rows", "chapter_times", "group_parts",
           "markdown_table", "module_rows", "parse_time", "time_sentence", "workshop_rows"]

#: A chapter's three parts, in the order a learner meets them.
PARTS = ("chapter", "lab", "exercises")
#: The key of chapter 9, the capstone: the one chapter the plans may name before it is
#: registered (it is being written beside them).
CAPSTONE = "capstone"

#: The workshop starts at 09:00 …
WORKSHOP_START_MIN = 9 * 60
#: … and, breaks included, lasts at most 8 h 30 min (until 17:30): a day a class can take.
WORKSHOP_MAX_MIN = 8 * 60 + 30
#: A week's session of the module fits a three-hour slot: at most 165 minutes of work and a
#: 15-minute break (the break is not in the plan).
CLASS_MAX_MIN = 165
#: A week's homework in the module: at most three hours.
HOMEWORK_MAX_MIN = 180

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

    def part_min(self, part: str) -> int:
        """Minutes of one part: ``"chapter"``, ``"lab"`` or ``"exercises"``."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}; got {part!r}")
        return {"chapter": self.chapter_min, "lab": self.lab_min,
                "exercises": self.exercises_min}[part]

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
    """Every registered chapter's time, read from its own "**Time.**" line.

    Parameters
    ----------
    root
        The course's repository (the folder that holds ``book/``).

    Returns
    -------
    dict
        :class:`ChapterTime` by chapter key, for every chapter of
        :data:`kscale_lab.chapters.CHAPTERS`; a chapter without the sentence raises
        ``ValueError`` naming its file.
    """
    from kscale_lab.chapters import CHAPTERS

    times = {}
    for c in CHAPTERS:
        path = Path(root) / c.files["chapter"]
        times[c.key] = ChapterTime(c.number, c.key, c.title,
                                   *parse_time(path.read_text(encoding="utf-8"), str(path)))
    return times


def time_sentence(t: ChapterTime) -> str:
    """The chapter's time as the teacher's notes quote it.

    >>> time_sentence(ChapterTime(3, "secrets", "Kubelet secrets", 50, 25, 35))
    'about 50 minutes for the chapter, 25 for the lab and 35 for the exercises (1 h 50 min in all)'
    """
    return (f"about {t.chapter_min} minutes for the chapter, {t.lab_min} for the lab and "
            f"{t.exercises_min} for the exercises ({_duration(t.total_min)} in all)")


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


@dataclass(frozen=True)
class Activity:
    """One block of a session: a chapter's part(s), or something else with an estimate.

    ``chapter`` names a chapter (its key) and ``parts`` which of its parts ("chapter", "lab",
    "exercises"); otherwise ``what`` and ``estimate_min`` describe it.
    """

    what: str = ""
    chapter: str = ""
    parts: tuple[str, ...] = PARTS
    estimate_min: int = 0
    break_: bool = False

    def available(self, times: dict[str, ChapterTime]) -> bool:
        """Whether the activity can be timed: not a chapter, or a registered one."""
        return not self.chapter or self.chapter in times

    def minutes(self, times: dict[str, ChapterTime]) -> int:
        if not self.chapter:
            return self.estimate_min
        t = times[self.chapter]
        return sum(t.part_min(p) for p in self.parts)

    def describe(self, times: dict[str, ChapterTime]) -> str:
        if not self.chapter:
            return self.what + ("" if self.break_ else " *(estimate)*")
        t = times[self.chapter]
        return f"{t.number}. {t.title}: " + ", ".join(self.parts)

    def chapter_parts(self) -> list[tuple[str, str]]:
        """``(chapter, part)`` for each part this activity covers (none if not a chapter)."""
        return [(self.chapter, p) for p in self.parts] if self.chapter else []


@dataclass(frozen=True)
class Groups:
    """The class split into groups that work at once, each through its own activities.

    ``tracks`` are ``(group, activities)``; the block lasts as long as the longest track, and
    a group that finishes early starts on its exercises.
    """

    what: str
    tracks: tuple[tuple[str, tuple[Activity, ...]], ...]

    def available(self, times: dict[str, ChapterTime]) -> bool:
        return any(a.available(times) for _, acts in self.tracks for a in acts)

    def track_minutes(self, times: dict[str, ChapterTime]) -> dict[str, int]:
        """Minutes of each group's track (its available activities)."""
        return {group: sum(a.minutes(times) for a in acts if a.available(times))
                for group, acts in self.tracks}

    def minutes(self, times: dict[str, ChapterTime]) -> int:
        return max(self.track_minutes(times).values())

    def describe(self, times: dict[str, ChapterTime]) -> str:
        spans = self.track_minutes(times)
        tracks = "; ".join(
            f"**{group}**: " + " + ".join(a.describe(times) for a in acts if a.available(times))
            + f" ({spans[group]} min)" for group, acts in self.tracks)
        return f"{self.what} — {tracks}"

    def chapter_parts(self, group: str) -> list[tuple[str, str]]:
        return [cp for g, acts in self.tracks if g == group for a in acts
                for cp in a.chapter_parts()]


Block = Activity | Groups

#: The three groups of the workshop, each following a pair of related chapters.
GROUP_WATCHES = "A, watches"
GROUP_SERVICES = "B, Services"
GROUP_CHURN = "C, pod churn"
GROUPS = (GROUP_WATCHES, GROUP_SERVICES, GROUP_CHURN)

#: The prerequisites notebook: set-up and background questions (an estimate).
PREREQUISITES = Activity("Set-up: the prerequisites notebook (notebooks/00-prerequisites); "
                         "fix what it found", estimate_min=20)

#: A one-day workshop (09:00 – at most 17:30): chapters 1 and 2 whole; chapters 3–8 in three
#: groups, each a pair of related chapters (chapter and lab) over two rounds; the groups
#: report back; the capstone's lab closes the day.
WORKSHOP: tuple[Block, ...] = (
    PREREQUISITES,
    Activity(chapter="envelope"),
    Activity("Break", estimate_min=15, break_=True),
    Activity(chapter="heartbeats"),
    Activity("Lunch", estimate_min=45, break_=True),
    Groups("Three groups at once, round 1", (
        (GROUP_WATCHES, (Activity(chapter="secrets", parts=("chapter", "lab")),)),
        (GROUP_SERVICES, (Activity(chapter="kube-proxy", parts=("chapter", "lab")),)),
        (GROUP_CHURN, (Activity(chapter="scheduler", parts=("chapter", "lab")),)),
    )),
    Activity("Break", estimate_min=15, break_=True),
    Groups("Three groups at once, round 2", (
        (GROUP_WATCHES, (Activity(chapter="watch", parts=("chapter", "lab")),)),
        (GROUP_SERVICES, (Activity(chapter="endpoints", parts=("chapter", "lab")),)),
        (GROUP_CHURN, (Activity(chapter="events", parts=("chapter", "lab")),)),
    )),
    Activity("Report-back: each group teaches its two chapters to the others, ten minutes "
             "each, from the chapters' key figures", estimate_min=30),
    Activity(chapter=CAPSTONE, parts=("lab",)),
)

#: Homework after the workshop: each group's exercises, and the capstone's chapter and
#: exercises for everyone.
WORKSHOP_AFTER: tuple[Block, ...] = (
    Groups("Each group, the exercises of its two chapters", (
        (GROUP_WATCHES, (Activity(chapter="secrets", parts=("exercises",)),
                         Activity(chapter="watch", parts=("exercises",)))),
        (GROUP_SERVICES, (Activity(chapter="kube-proxy", parts=("exercises",)),
                          Activity(chapter="endpoints", parts=("exercises",)))),
        (GROUP_CHURN, (Activity(chapter="scheduler", parts=("exercises",)),
                       Activity(chapter="events", parts=("exercises",)))),
    )),
    Activity(chapter=CAPSTONE, parts=("chapter", "exercises")),
)

Week = tuple[str, tuple[Activity, ...], tuple[Activity, ...]]

#: A six-week module: one session a week in class (chapter and lab), the exercises as
#: homework; week 5 is the capstone, week 6 the learners' projects.
MODULE: tuple[Week, ...] = (
    ("Many dimensions; heartbeats and etcd",
     (PREREQUISITES, Activity(chapter="envelope", parts=("chapter", "lab")),
      Activity(chapter="heartbeats", parts=("chapter", "lab"))),
     (Activity(chapter="envelope", parts=("exercises",)),
      Activity(chapter="heartbeats", parts=("exercises",)))),
    ("On every node: kubelet secrets and kube-proxy",
     (Activity(chapter="secrets", parts=("chapter", "lab")),
      Activity(chapter="kube-proxy", parts=("chapter", "lab"))),
     (Activity(chapter="secrets", parts=("exercises",)),
      Activity(chapter="kube-proxy", parts=("exercises",)))),
    ("Pod churn: scheduling and events",
     (Activity(chapter="scheduler", parts=("chapter", "lab")),
      Activity(chapter="events", parts=("chapter", "lab"))),
     (Activity(chapter="scheduler", parts=("exercises",)),
      Activity(chapter="events", parts=("exercises",)))),
    ("Watches, and what came next",
     (Activity(chapter="watch", parts=("chapter", "lab")),
      Activity(chapter="endpoints", parts=("chapter", "lab"))),
     (Activity(chapter="watch", parts=("exercises",)),
      Activity(chapter="endpoints", parts=("exercises",)))),
    ("Which bottleneck bites first",
     (Activity(chapter=CAPSTONE, parts=("chapter", "lab")),
      Activity("*Reproducing the talk*: every claim against the models; the synthesis "
               "questions of chapters 1–8 reviewed", estimate_min=45)),
     (Activity(chapter=CAPSTONE, parts=("exercises",)),
      Activity("Project: pick a cluster you know, find which bottleneck bites first with "
               "the labs, and write it up (one page)", estimate_min=90))),
    ("Projects",
     (Activity("Project presentations, five minutes each, and discussion", estimate_min=90),),
     ()),
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _present(plan: tuple[Block, ...], times: dict[str, ChapterTime]) -> list[Block]:
    return [b for b in plan if b.available(times)]


def workshop_rows(times: dict[str, ChapterTime], start_min: int = WORKSHOP_START_MIN,
                  plan: tuple[Block, ...] = WORKSHOP) -> list[dict[str, str]]:
    """The workshop as table rows, one per block, back to back from ``start_min``.

    Parameters
    ----------
    times
        The chapters' times (:func:`chapter_times`); blocks of a chapter that is not in it
        (not registered yet) are left out.
    start_min
        When the day starts, in minutes after midnight (540: 09:00).
    plan
        The blocks of the day.

    Returns
    -------
    list of dict
        ``{"time": "09:00–09:20", "session": …, "minutes": "20"}`` per block.
    """
    rows, now = [], start_min
    for block in _present(plan, times):
        m = block.minutes(times)
        rows.append({"time": f"{_clock(now)}–{_clock(now + m)}",
                     "session": block.describe(times), "minutes": str(m)})
        now += m
    return rows


def after_rows(times: dict[str, ChapterTime],
               plan: tuple[Block, ...] = WORKSHOP_AFTER) -> list[dict[str, str]]:
    """The homework after the workshop as table rows: what, and minutes (a group's longest)."""
    return [{"homework": block.describe(times), "minutes": str(block.minutes(times))}
            for block in _present(plan, times)]


def group_parts(group: str, times: dict[str, ChapterTime],
                plans: tuple[tuple[Block, ...], ...] = (WORKSHOP, WORKSHOP_AFTER)
                ) -> list[tuple[str, str]]:
    """What a learner of one workshop group works through, in the day and after.

    Parameters
    ----------
    group
        One of :data:`GROUPS`.
    times
        The chapters' times; parts of chapters not in it are left out.
    plans
        The plans to follow, in order.

    Returns
    -------
    list of tuple
        ``(chapter key, part)`` in the order the learner meets them; blocks the whole class
        shares count for every group.
    """
    parts = []
    for plan in plans:
        for block in _present(plan, times):
            cps = (block.chapter_parts(group) if isinstance(block, Groups)
                   else block.chapter_parts())
            parts += [cp for cp in cps if cp[0] in times]
    return parts


def module_rows(times: dict[str, ChapterTime], plan: tuple[Week, ...] = MODULE
                ) -> list[dict[str, str]]:
    """The six-week module as table rows, one per week.

    Parameters
    ----------
    times
        The chapters' times; activities of a chapter not in it are left out.
    plan
        The weeks: ``(topic, in class, homework)``.

    Returns
    -------
    list of dict
        ``week``, ``topic``, ``in class``, ``class min``, ``homework`` and ``homework min``
        per week, as strings.
    """
    rows = []
    for week, (topic, in_class, homework) in enumerate(plan, start=1):
        here = [a for a in in_class if a.available(times)]
        home = [a for a in homework if a.available(times)]
        rows.append({
            "week": str(week), "topic": topic,
            "in class": "; ".join(a.describe(times) for a in here) or "—",
            "class min": str(sum(a.minutes(times) for a in here)),
            "homework": "; ".join(a.describe(times) for a in home) or "—",
            "homework min": str(sum(a.minutes(times) for a in home)),
        })
    return rows


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Rows of strings as a Markdown (GFM) table."""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r[h] for h in head) + " |" for r in rows]
    return "\n".join(lines)
