"""The exercise notebooks of the chapters that follow the standard: the hand-out, its worked
solutions and the checks ask the same questions; the hand-out is saved blank.

(Executing them is nbval's job: ``pytest exercises/``.)
"""

import json
import re
from pathlib import Path

import jupytext
import pytest

from kscale_lab.chapters import CHAPTERS
from kscale_lab.exercises import questions

ROOT = Path(__file__).resolve().parent.parent
#: Chapters whose sets follow the course's exercise standard (see test_exercise_checks.PENDING).
STANDARD = ["envelope", "heartbeats"]
HEADING = re.compile(r"^## Question (\d+) — (.+)$", re.M)


def chapter(key):
    return next(c for c in CHAPTERS if c.key == key)


def read(path: str):
    return jupytext.read(ROOT / path, fmt="md:myst")


def asked(nb) -> list[tuple[int, str]]:
    return [(int(n), re.sub(r" \(synthesis.*\)$", "", title))
            for c in nb.cells if c.cell_type == "markdown"
            for n, title in HEADING.findall(c.source)]


@pytest.mark.parametrize("key", STANDARD)
def test_hand_out_solutions_and_checks_ask_the_same_questions(key):
    c = chapter(key)
    handout, solutions = read(c.files["exercises"]), read(c.files["solutions"])
    numbers = [n for n, _ in asked(handout)]
    assert asked(handout) == asked(solutions)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 6
    assert [name for name, _ in questions(c.exercises_module)] == [f"q{n}" for n in numbers]


@pytest.mark.parametrize("key", STANDARD)
def test_every_question_has_an_answer_cell_then_its_check(key):
    code = [c.source.strip() for c in read(chapter(key).files["exercises"]).cells
            if c.cell_type == "code"]
    n = len(questions(chapter(key).exercises_module))
    for q in range(1, n + 1):
        answer = next(i for i, s in enumerate(code) if s.startswith(f"answer_{q} = ..."))
        assert code[answer + 1] == f"ex.q{q}(answer_{q});"


@pytest.mark.parametrize("key", [c.key for c in CHAPTERS])
def test_every_hand_out_ends_with_the_score_line(key):
    code = [c.source.strip() for c in read(chapter(key).files["exercises"]).cells
            if c.cell_type == "code"]
    assert code[-2:] == ["ex.score();", "ex.not_yet();"]


@pytest.mark.parametrize("key", STANDARD)
def test_the_solutions_answer_every_question_and_score_full_marks(key):
    c = chapter(key)
    code = "\n".join(cell.source for cell in read(c.files["solutions"]).cells
                     if cell.cell_type == "code")
    n = len(questions(c.exercises_module))
    for q in range(1, n + 1):
        assert re.search(rf"^answer_{q} = ", code, re.M)
        assert f"assert ex.q{q}(answer_{q})" in code


@pytest.mark.parametrize("key", [c.key for c in CHAPTERS])
def test_the_solutions_end_with_full_marks(key):
    c = chapter(key)
    code = [cell.source.strip() for cell in read(c.files["solutions"]).cells
            if cell.cell_type == "code"]
    n = len(questions(c.exercises_module))
    assert f"assert ex.score() == ({n}, {n})" in code


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(ROOT)) for p in [*(ROOT / "exercises").glob("*.ipynb"),
                                       ROOT / "notebooks" / "00-prerequisites.ipynb"]
    if not p.stem.endswith("-solutions")))
def test_a_hand_out_is_saved_without_outputs(path):
    nb = json.loads((ROOT / path).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
