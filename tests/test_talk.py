"""The "Reproducing the talk" page: claims as data, judged by rules stated before comparing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kscale_lab.chapters as chapters
from kscale_lab import talk
from kscale_lab.claims import slides
from kscale_lab.talk import (
    About,
    Below,
    Claim,
    Finding,
    Shows,
    claim,
    claims,
    claims_html,
    claims_table,
    registered,
)

ALL = claims()
FAILED = ("not reproduced", "outside the bound", "not shown", "no value")


def _claim(how: str, tolerance, planned: bool = False) -> Claim:
    return Claim("k", "slide", "says", how, tolerance, lambda: Finding(None, ""), planned)


@pytest.mark.parametrize("number, c", ALL, ids=[c.key for _, c in ALL])
def test_every_modelled_claim_meets_its_tolerance(number, c):
    finding = c.check()
    assert finding.computed
    verdict = c.verdict(finding)
    assert not verdict.startswith(FAILED), (c.key, verdict, finding.computed)


def test_every_key_a_chapter_lists_is_a_registered_claim_of_that_chapter():
    keys = {c.key for _, c in ALL if not c.planned}
    listed = [k for ch in chapters.CHAPTERS for k in ch.claims]
    assert sorted(keys) == sorted(listed) and len(set(listed)) == len(listed)
    numbers = {c.key: n for n, c in ALL}
    for ch in chapters.CHAPTERS:
        assert all(numbers[k] == ch.number for k in ch.claims)


def test_claims_come_in_the_books_order():
    numbers = [n for n, _ in ALL]
    assert numbers == sorted(numbers)


def test_a_calibration_point_is_never_counted_as_reproduced():
    c = _claim("calibrated", About(90, 0.01))
    finding = Finding(90.0, "90 pods/s")              # matches exactly, by construction
    assert c.verdict(finding).startswith("calibration point")
    assert not c.counts_as_reproduced(finding)
    assert all(cl.how != "calibrated" or not cl.counts_as_reproduced(cl.check())
               for _, cl in ALL)


def test_a_one_sided_bound_is_reported_as_a_bound():
    c = _claim("predicted", Below(5, "pods/min"))
    assert c.verdict(Finding(0.43, "")) == "within the bound"
    assert c.verdict(Finding(5.0, "")) == "outside the bound"     # "< 5" excludes 5
    assert "one-sided bound" in c.tolerance.describe()


def test_about_states_its_band_and_judges_both_sides():
    c = _claim("predicted", About(30, 0.3, "pods/s"))
    assert c.tolerance.describe() == "~30 pods/s ± 30%, i.e. 21–39 pods/s"
    assert c.verdict(Finding(38.9, "")) == "reproduced"
    assert c.verdict(Finding(39.1, "")) == "not reproduced"
    assert c.verdict(Finding(20.9, "")) == "not reproduced"


def test_an_illustration_is_shown_not_reproduced():
    c = _claim("illustrated", Shows("a shape"))
    assert c.verdict(Finding(True, "")) == "shown (illustrative)"
    assert not c.counts_as_reproduced(Finding(True, ""))


def test_the_table_states_each_tolerance_before_the_number_it_judges():
    rows = claims_table()
    assert len(rows) == len(ALL)
    columns = list(rows[0])
    assert columns.index("tolerance (stated before comparing)") < columns.index(
        "the lab computes") < columns.index("verdict")
    for (_, c), row in zip(ALL, rows):
        if not c.planned and c.how != "calibrated":
            assert row["tolerance (stated before comparing)"] == c.tolerance.describe()
        assert row["how"] in ("—", talk.HOW[c.how])


def test_html_has_a_row_per_claim_and_escapes():
    html = claims_html()
    assert html.count("<tr>") == len(ALL) + 1
    assert "× 40 pods/node" in html and "&lt; 5 pods/min" in html


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(talk, "_REGISTRY", dict(registered()))
    return talk._REGISTRY


def test_a_chapter_listing_an_unregistered_claim_is_an_error(scratch_registry, monkeypatch):
    first = chapters.CHAPTERS[0]
    bad = chapters.Chapter(first.number, first.key, first.title, first.models,
                           first.claims + ("no-such-claim",))
    monkeypatch.setattr(chapters, "CHAPTERS", (bad,) + chapters.CHAPTERS[1:])
    with pytest.raises(ValueError, match="lists claim 'no-such-claim'"):
        claims()


def test_a_claim_in_no_chapter_is_an_error(scratch_registry):
    claim("stray", slide="s", says="t", how="predicted", tolerance=Shows("x"))(
        lambda: Finding(True, "x"))
    with pytest.raises(ValueError, match="'stray'.*in no chapter"):
        claims()


def test_a_chapter_that_arrives_replaces_its_planned_claim(scratch_registry, monkeypatch):
    # a scratch chapter 99 with a planned claim, then the chapter itself
    claim("scratch", slide="Scratch", says="…", how="predicted", tolerance=Shows("—"),
          planned=True, chapter=99)(lambda: Finding(None, ""))
    assert scratch_registry["scratch"].planned
    claim("scratch", slide="Scratch", says="…", how="predicted",
          tolerance=Shows("x"))(lambda: Finding(True, "modelled"))
    assert not scratch_registry["scratch"].planned
    # a planned registration afterwards (the planned module imported later) keeps the real one
    claim("scratch", slide="Scratch", says="…", how="predicted", tolerance=Shows("—"),
          planned=True, chapter=99)(lambda: Finding(None, ""))
    assert not scratch_registry["scratch"].planned
    ch = chapters.CHAPTERS[0]
    scratch = chapters.Chapter(99, "scratch", "Scratch", ch.models, ("scratch",))
    monkeypatch.setattr(chapters, "CHAPTERS", chapters.CHAPTERS + (scratch,))
    assert [c.key for n, c in claims() if n == 99] == ["scratch"]


# --- the talk, statement by statement (kscale_lab/claims/slides.py) ---------------------------

def test_every_statement_of_the_talk_is_covered_by_a_claim_or_a_not_modelled_row():
    assert slides.problems() == []


def test_a_statement_covered_by_nothing_is_reported():
    bare = slides.Statement("Slide", "an uncovered statement")
    (problem,) = slides.problems((bare,), claim_keys=set(), not_modelled=())
    assert "covered by no claim and no NOT_MODELLED row" in problem


def test_a_statement_naming_an_unregistered_claim_or_a_missing_row_is_reported():
    wrong = (slides.Statement("Slide", "a", claims=("no-such-claim",)),
             slides.Statement("Slide", "b", not_modelled="no such row"))
    found = slides.problems(wrong, claim_keys={"lease"}, not_modelled=())
    assert len(found) == 2
    assert "no chapter registers" in found[0] and "does not exist" in found[1]


def test_a_not_modelled_row_that_covers_no_statement_is_reported():
    row = ("Slide", "orphan", "a reason")
    assert slides.problems((), claim_keys=set(), not_modelled=(row,)) == [
        "NOT_MODELLED row 'orphan' covers no statement of the talk"]


def _talk_text() -> str | None:
    """The seed talk (shared/seed/sig-scalability-talk.txt) beside the checkout, if present."""
    root = Path(__file__).resolve().parent.parent
    for shared in (root.parent / "shared", root.parent.parent / "shared", Path("/work/shared")):
        path = shared / "seed" / "sig-scalability-talk.txt"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def talk_lines(text: str) -> list[str]:
    """The talk's statements as written: its bullets (● and ○, joined with the lines that
    continue them), the bounds of its Background slide, its release lines and its note."""
    lines, out = text.splitlines(), []
    statement = re.compile(r"^(?:[●○]\s*(?P<bullet>.+)|(?P<line># \S.*|Pod Churn|Enabled .+|"
                           r"Note: The bug .+|\d\.\d+ \(\w+\)))\s*$")
    for i, line in enumerate(lines):
        m = statement.match(line.strip())
        if not m:
            continue
        words = (m.group("bullet") or m.group("line")).strip()
        j = i + 1
        while j < len(lines) and lines[j].strip() and not statement.match(lines[j].strip()):
            words += " " + lines[j].strip()
            j += 1
        if words.strip(". …"):
            out.append(words)
    return out


def _plain(words: str) -> str:
    return " ".join(words.split())


def test_talk_lines_finds_bullets_their_continuations_and_release_lines():
    text = ("Slide\n\n● First bullet, so:\n\n○ a sub-bullet that goes \non here\n● ...\n\n"
            "# Nodes\nPod Churn\n1.13 (alpha)\nNote: The bug is \nlong\n")
    assert talk_lines(text) == ["First bullet, so:", "a sub-bullet that goes on here",
                                "# Nodes", "Pod Churn", "1.13 (alpha)", "Note: The bug is long"]


def test_every_line_of_the_talk_is_quoted_by_a_statement():
    text = _talk_text()
    if text is None:
        pytest.skip("the seed talk (shared/seed/sig-scalability-talk.txt) is not beside the "
                    "checkout")
    quoted = [_plain(s.says) for s in slides.STATEMENTS]
    missing = [line for line in talk_lines(text)
               if not any(_plain(line) in q for q in quoted)]
    assert len(talk_lines(text)) > 60
    assert missing == [], f"add these to kscale_lab/claims/slides.py: {missing}"
