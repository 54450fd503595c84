#!/usr/bin/env python3
"""Autograding a chapter's exercises with otter-grader, from the same sources as the self-checks.

otter-grader (the autograder Data 8 uses) makes a learner notebook, an autograder and a
solutions notebook from one *master* notebook. This script writes that master from the two
notebooks the course already keeps for the chapter — the hand-out ``exercises/NN-KEY.md`` and
its solutions ``exercises/NN-KEY-solutions.md`` — so nothing is written twice:

* the hand-out's cells become the master's, in order;
* each ``answer_N = ...`` cell becomes a solution block: the hand-out's line is the prompt,
  the solutions notebook's hidden working cell is the solution;
* each question gets one hidden otter test that calls the *same* self-check the learner
  runs (``kscale_lab.exercises.verdict(ex.qN, answer_N)``), so the grade and the self-check
  can never disagree.

The learner notebook otter makes needs no otter (no init, check or export cells): it is the
hand-out. Grading runs where the course is installed, without Docker (``otter run``).

    python scripts/autograder.py master envelope OUT.ipynb    the master notebook only
    python scripts/autograder.py assign envelope DIST         master + `otter assign` into DIST
    python scripts/autograder.py grade DIST SUBMISSION.ipynb …   grade each with `otter run`

Needs the ``teacher`` extra (``pip install -c constraints.txt -e ".[teacher]"``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
QUESTION = re.compile(r"^##\s+Question\s+(\d+)\b")
ANSWER = re.compile(r"^answer(?:_(\d+))?\s*=")


def _numbered(source: str, number: int) -> str:
    """``source`` with a question's plain ``answer`` renamed ``answer_N`` (a hand-out may use
    one ``answer`` name for every question; the master needs one name per question)."""
    return re.sub(r"\banswer\b", f"answer_{number}", source)


def _otter() -> str:
    found = Path(sys.executable).parent / "otter"
    if found.exists():
        return str(found)
    which = shutil.which("otter")
    if not which:
        sys.exit("otter is not installed: pip install -c constraints.txt -e '.[teacher]'")
    return which


def _chapter(key: str):
    sys.path.insert(0, str(ROOT))
    from kscale_lab.chapters import chapter

    return chapter(key)


def _sections(nb: nbformat.NotebookNode) -> tuple[list, dict[int, list], list]:
    """Split a notebook into the cells before the first question, each question's cells
    (from its "## Question N" heading on), and the cells after the last question (from the
    first level-2 heading that is not a question)."""
    before, questions, after = [], {}, []
    current: list | None = None
    for cell in nb.cells:
        heading = cell.source.lstrip() if cell.cell_type == "markdown" else ""
        m = QUESTION.match(heading)
        if m:
            current = questions.setdefault(int(m.group(1)), [])
        elif heading.startswith("## ") and questions:
            current = after
        (before if current is None else current).append(cell)
    return before, questions, after


def _solution_code(cells: list, number: int) -> str:
    """The worked solution of question ``number``: its hidden working cells (or, where the
    solutions notebook shows its working, the code cells that set the answer), with a plain
    ``answer`` renamed ``answer_N`` and the self-check's own call left out."""
    code = [c for c in cells if c.cell_type == "code"]
    hidden = [c for c in code if "hide-cell" in c.metadata.get("tags", [])]
    # the cells that compute the answer: they bind it (``answer =``, ``answer, rows =`` …)
    sets = re.compile(rf"^answer(?:_{number})?\b[^=\n]*=", re.M)
    work = hidden if any(sets.search(c.source) for c in hidden) else \
        [c for c in code if sets.search(c.source)]
    if not work:
        raise ValueError(f"the solutions notebook's question {number} sets no answer_{number}")
    check = re.compile(rf"\bex\.q{number}\(")
    lines = [line for c in work for line in _numbered(c.source, number).splitlines()
             if not check.search(line)]
    return "\n".join(lines)


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def _test_cell(module: str, number: int) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        '""" # BEGIN TEST CONFIG\nhidden: true\npoints: 1\n""" # END TEST CONFIG\n'
        f"def test_q{number}(answer_{number}):\n"
        "    from kscale_lab.exercises import verdict\n"
        f"    from kscale_lab.exercises import {module} as checks\n\n"
        f"    right, message = verdict(checks.q{number}, answer_{number})\n"
        "    assert right, message\n\n"
        f"test_q{number}(answer_{number})")


def master(key: str) -> nbformat.NotebookNode:
    """The otter master notebook for the chapter ``key``, built from its exercise notebooks."""
    chapter = _chapter(key)
    handout = jupytext.read(ROOT / chapter.files["exercises"], fmt="md:myst")
    solutions = jupytext.read(ROOT / chapter.files["solutions"], fmt="md:myst")
    before, questions, after = _sections(handout)
    setup, worked, _ = _sections(solutions)
    setup_code = "\n".join(c.source for c in setup if c.cell_type == "code")
    if sorted(questions) != sorted(worked):
        raise ValueError(f"{key}: the hand-out asks {sorted(questions)}, the solutions answer "
                         f"{sorted(worked)}")
    config = {"name": chapter.slug, "init_cell": False, "check_all_cell": False,
              "export_cell": False, "run_tests": False, "solutions_pdf": False,
              "template_pdf": False, "generate": True,
              "tests": {"files": False, "ok_format": False}}
    cells = [_raw("# ASSIGNMENT CONFIG\n" + json.dumps(config, indent=1)), *before]
    for number in sorted(questions):
        cells.append(_raw(f"# BEGIN QUESTION\nname: q{number}\ncheck_cell: false"))
        answered = False
        for cell in questions[number]:
            m = ANSWER.match(cell.source) if cell.cell_type == "code" else None
            if m and int(m.group(1) or number) == number:
                prompt = '""" # BEGIN PROMPT\n' + _numbered(cell.source, number) + \
                    '\n""" # END PROMPT\n'
                # the solutions notebook's own set-up first (imports, helpers), then the work
                solution = ("# BEGIN SOLUTION NO PROMPT\n" + setup_code + "\n"
                            + _solution_code(worked[number], number) + "\n# END SOLUTION")
                cells += [_raw("# BEGIN SOLUTION"), nbformat.v4.new_code_cell(prompt + solution),
                          _raw("# END SOLUTION")]
                answered = True
            elif cell.cell_type == "code":
                cells.append(nbformat.v4.new_code_cell(_numbered(cell.source, number),
                                                       metadata=cell.metadata))
            else:
                cells.append(cell)
        if not answered:
            raise ValueError(f"{key}: question {number} has no answer_{number} = ... cell")
        cells += [_raw("# BEGIN TESTS"), _test_cell(chapter.module, number), _raw("# END TESTS"),
                  _raw("# END QUESTION")]
    cells += after
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = nbformat.from_dict({"kernelspec": {"display_name": "Python 3",
                                                     "language": "python", "name": "python3"},
                                      "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nb


def assign(key: str, dist: Path) -> dict[str, Path]:
    """Write the master notebook for ``key`` and run ``otter assign`` into ``dist``.

    Returns the paths a teacher needs: ``master``, ``student`` (the learner notebook),
    ``solutions`` (the autograder notebook) and ``autograder`` (the zip ``otter run`` uses).
    """
    dist = Path(dist)
    chapter = _chapter(key)
    work = dist / "master"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{chapter.slug}.ipynb"
    nbformat.write(master(key), path)
    subprocess.run([_otter(), "assign", "--no-pdfs", str(path), str(dist / "otter")],
                   check=True, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True)
    zips = sorted((dist / "otter" / "autograder").glob("*-autograder_*.zip"))
    if not zips:
        raise RuntimeError("otter assign wrote no autograder zip")
    return {"master": path,
            "student": dist / "otter" / "student" / f"{chapter.slug}.ipynb",
            "solutions": dist / "otter" / "autograder" / f"{chapter.slug}.ipynb",
            "autograder": zips[-1]}


def grade(autograder: Path, submission: Path) -> tuple[float, float, dict[str, float]]:
    """Grade one submission as ``otter run`` does (no Docker, in this environment), through
    otter's API so that several submissions share one import of otter.

    Returns ``(score, possible, {question: score})``.
    """
    from otter.api import grade_submission

    results = grade_submission(str(submission), str(autograder), quiet=True)
    if results.catastrophic_error is not None:
        raise RuntimeError(f"otter could not grade {submission}: {results.catastrophic_error}")
    per = {name: float(results.get_score(name)) for name in results.test_files}
    return float(results.total), float(results.possible), per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("master", help="write the otter master notebook of a chapter")
    p.add_argument("key")
    p.add_argument("out", type=Path)
    p = sub.add_parser("assign", help="master + otter assign into DIST")
    p.add_argument("key")
    p.add_argument("dist", type=Path)
    p = sub.add_parser("grade", help="grade submissions with otter run")
    p.add_argument("autograder", type=Path, help="the autograder zip (DIST/otter/autograder/"
                                                 "*-autograder_*.zip)")
    p.add_argument("submissions", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "master":
        nbformat.write(master(args.key), args.out)
        print(f"wrote {args.out}")
    elif args.command == "assign":
        for what, path in assign(args.key, args.dist).items():
            print(f"{what:<11} {path}")
    else:
        for submission in args.submissions:
            got, possible, per = grade(args.autograder, submission)
            missed = ", ".join(q for q, s in per.items() if s == 0) or "none"
            print(f"{submission}: {got:g} / {possible:g}  (not right: {missed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
