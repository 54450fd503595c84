"""The otter-grader round trip: the assignment is generated from the chapter's exercise
notebooks, a correct and a wrong submission are graded with otter (no Docker), and every
grade agrees with the self-check the learner runs.

Needs the ``teacher`` extra (otter-grader); ``make test`` installs it. Chapter 1's set is
used: it is the fastest to execute. About 20 s on an idle 2-core machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from kscale_lab.exercises import envelope as ex
from kscale_lab.exercises import verdict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import autograder  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: A learner's submission: one right answer in another form, two typical wrong ones, the
#: rest left blank.
WRONG = {1: "96 %", 4: 5000, 7: 1200}


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> dict[str, Path]:
    try:
        import otter  # noqa: F401
    except ImportError:
        pytest.fail("otter-grader is missing: pip install -c constraints.txt -e '.[teacher]' "
                    "(make test does)", pytrace=False)
    return autograder.assign("envelope", tmp_path_factory.mktemp("otter"))


def code_cells(nb) -> list[str]:
    return [c.source.strip() for c in nb.cells if c.cell_type == "code"]


def test_the_learner_notebook_is_the_hand_out(assignment):
    student = nbformat.read(assignment["student"], as_version=4)
    handout = jupytext.read(ROOT / "exercises" / "01-envelope.md", fmt="md:myst")
    assert code_cells(student) == code_cells(handout)
    assert "grader" not in nbformat.writes(student)        # no otter needed to work it


def test_a_correct_submission_gets_every_point(assignment):
    score, possible, per = autograder.grade(assignment["autograder"], assignment["solutions"])
    assert possible == 7
    assert score == 7, per


def test_a_wrong_submission_gets_the_points_the_self_checks_give(assignment, tmp_path):
    student = nbformat.read(assignment["student"], as_version=4)
    for cell in student.cells:
        for number, answer in WRONG.items():
            if cell.cell_type == "code" and cell.source.startswith(f"answer_{number} = ..."):
                cell.source = f"answer_{number} = {answer!r}"
    submission = tmp_path / "01-envelope.ipynb"
    nbformat.write(student, submission)
    score, possible, per = autograder.grade(assignment["autograder"], submission)
    self_checks = {f"q{n}": float(verdict(getattr(ex, f"q{n}"), WRONG.get(n, ...))[0])
                   for n in range(1, 8)}
    assert per == self_checks
    assert (score, possible) == (1, 7)


def test_every_chapters_exercises_make_an_otter_master():
    """Every chapter can be graded: each question has a prompt cell, a worked solution and a
    test that calls the self-check (a hand-out may name every answer just ``answer``)."""
    from kscale_lab.chapters import CHAPTERS

    for chapter in CHAPTERS:
        nb = autograder.master(chapter.key)
        tests = [c.source for c in nb.cells if c.cell_type == "code"
                 and "BEGIN TEST CONFIG" in c.source]
        questions = [c for c in nb.cells if c.cell_type == "raw"
                     and c.source.startswith("# BEGIN QUESTION")]
        assert len(tests) == len(questions) > 0, chapter.key
