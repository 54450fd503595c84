"""The check library (kscale_lab.exercises): reading answers, naming slips, judging, scoring.

Every expectation here is written out by hand (a quarter is 0.25; 1.98 MB/s is
1,980,000 / 2²⁰ MiB/s), never computed with the function under test.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from kscale_lab.exercises import (
    check_choice,
    check_never,
    check_number,
    check_set,
    not_yet,
    read_number,
    record,
    score,
    verdict,
)
from kscale_lab.exercises.answers import Quantity, UnitError, parse_unit
from kscale_lab.exercises.slips import name_slip

# --- reading an answer ---------------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    0.25, np.float64(0.25), np.float32(0.25), np.array(0.25), np.array([0.25]), Fraction(1, 4),
    Decimal("0.25"), "0.25", " 0.25 ", "1/4", "1 / 4", "25 %", "25%", "25 percent", "0,25",
    ".25", "2.5e-1",
])
def test_a_quarter_in_every_form(answer):
    assert read_number(answer) == pytest.approx(0.25)


@pytest.mark.parametrize("answer, value", [
    (np.int64(341), 341), (np.int32(341), 341), ("1,834", 1834), ("1 834", 1834),
    ("1_834", 1834), ("12,500.5", 12500.5), ("2e3", 2000), ("-3", -3), ("\u22123", -3),
])
def test_integers_and_thousands_separators(answer, value):
    assert read_number(answer) == value


@pytest.mark.parametrize("answer, unit, value", [
    ("1.98 MB/s", "MiB/s", 1_980_000 / 2**20),
    ("1980000 B/s", "MiB/s", 1_980_000 / 2**20),
    ("2 MiB/s", "MiB/s", 2.0),
    ("120 MiB/min", "MiB/s", 2.0),
    ("2 MiB per second", "MiB/s", 2.0),
    ("1.5 min", "s", 90.0),
    ("90000 ms", "s", 90.0),
    ("2 h", "min", 120.0),
    ("2 GiB", "MiB", 2048.0),
    ("3000 writes per minute", "writes/s", 50.0),
    ("60 /min", "writes/s", 1.0),
    ("5000 nodes", "nodes", 5000.0),
    ("25 %", "%", 25.0),
    ("0.25", "%", 0.25),                   # a bare number is read in the question's unit
])
def test_units_are_converted_to_the_questions_unit(answer, unit, value):
    assert read_number(answer, unit) == pytest.approx(value)


@pytest.mark.parametrize("answer, unit, words", [
    ("1.9 MiB", "MiB/s", "amount of bytes"),
    ("3 s", "MiB/s", "a duration"),
    ("1.9 furlongs", "MiB/s", "unknown unit 'furlongs'"),
    ("25 %", "s", "a number"),
    ("abc", "", "could not read"),
    ("1/0", "", "divides by zero"),
    (True, "", "should be a number"),
    ([1.9], "", "should be a number"),
    (np.array([1, 2]), "", "should be a number"),
    (float("nan"), "", "NaN"),
])
def test_what_cannot_be_read_says_why(answer, unit, words):
    with pytest.raises(UnitError, match=words):
        read_number(answer, unit)


def test_a_unit_is_a_kind_and_a_scale():
    assert parse_unit("MiB/min") == Quantity("B", True, 2**20 / 60)
    assert parse_unit("kB") == Quantity("B", False, 1000.0)
    assert parse_unit("ms") == Quantity("s", False, 0.001)
    assert parse_unit("%") == Quantity("", False, 0.01)
    assert parse_unit("") == Quantity("", False, 1.0)
    with pytest.raises(UnitError):
        parse_unit("s/s")


# --- naming slips --------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected, unit, words", [
    (1_980_000 / 1e6, 1_980_000 / 2**20, "MiB/s", "MB (10⁶ bytes) and MiB"),
    (1_980_000, 1_980_000 / 2**20, "MiB/s", "1,024²"),
    (1888, 1.888, "MiB/s", "1,000"),
    (120, 2, "min", "60"),
    (2, 120, "s", "too low"),
    (7200, 2, "h", "3,600"),
    (96, 0.96, "", "percentage"),
    (0.96, 96, "%", "too low"),
    (5, 5000, "nodes", "1,000"),
])
def test_slips_are_named(value, expected, unit, words):
    assert words in name_slip(value, expected, unit)


@pytest.mark.parametrize("value, expected, unit", [
    (120, 2, "nodes"),          # 60 is not a slip for a count
    (96, 0.96, "nodes"),        # nor 100
    (3.2, 1.888, "MiB/s"),      # plainly wrong
    (1.9, 1.888, "MiB/s"),      # right
    (-2, 2, "s"),
])
def test_other_answers_are_not_called_slips(value, expected, unit):
    assert name_slip(value, expected, unit) is None


# --- the checks ----------------------------------------------------------------------------

def say(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out


def test_a_right_number_prints_right_and_returns_true(capsys):
    assert check_number(np.float64(4.0), 4.0, right="why it matters", hint="h") is True
    assert say(capsys) == "Right — why it matters\n"


def test_a_number_off_says_which_way(capsys):
    assert check_number(5.0, 4.0, right="r", hint="h") is False
    assert say(capsys) == "Not yet — your answer is too high. Hint: h\n"
    check_number(3.0, 4.0, right="r", hint="h")
    assert "too low" in say(capsys)


def test_the_mb_for_mib_slip_is_caught_inside_the_tolerance(capsys):
    # 5 % tolerance would accept MB for MiB (4.9 % off) as right; the unit makes it a slip
    assert check_number(1.98, 1.888, rel_tol=0.05, right="r", hint="h", unit="MiB/s") is False
    assert "MB (10⁶ bytes) and MiB" in say(capsys)
    assert check_number("1.98 MB/s", 1.888, rel_tol=0.05, right="r", hint="h",
                        unit="MiB/s") is True


def test_a_known_wrong_answer_gets_its_explanation(capsys):
    assert check_number(3750, 1875, rel_tol=0, abs_tol=0.5, right="r", hint="h",
                        why={3750: "pods per cluster binds later."}) is False
    assert say(capsys) == "Not yet — pods per cluster binds later. Hint: h\n"


@pytest.mark.parametrize("blank", [..., None, "", "  "])
def test_a_blank_answer_is_not_yet(blank, capsys):
    assert check_number(blank, 4.0, right="r", hint="h", unit="s") is False
    assert say(capsys).startswith("Not yet — replace the ... with your answer (a number in s)")


@pytest.mark.parametrize("answer", ["never", " Never ", "NEVER", np.inf, float("inf"), "∞"])
def test_never_in_every_form(answer, capsys):
    assert check_never(answer, None, right="r", hint="h") is True


def test_never_when_it_does_happen_and_a_number_when_it_does_not(capsys):
    assert check_never("never", 40.0, right="r", hint="h") is False
    assert "it does happen" in say(capsys)
    assert check_never(40, None, right="r", hint="h", why={40: "a healthy etcd's delay."}) \
        is False
    assert say(capsys) == "Not yet — a healthy etcd's delay. Hint: h\n"
    assert check_never("40 s", 40.0, right="r", hint="h", unit="s") is True


@pytest.mark.parametrize("answer", ["c", "C", " c ", "(c)", "c)", "'c'", "c."])
def test_a_choice_in_every_case_and_bracket(answer, capsys):
    assert check_choice(answer, "c", ["a", "b", "c"], right="r", hint="h") is True


def test_a_named_choice_ignores_spaces_underscores_and_hyphens(capsys):
    assert check_choice("Pods per namespace", "pods_per_namespace",
                        ["pods", "pods_per_namespace"], right="r", hint="h") is True


def test_a_wrong_choice_says_its_misconception(capsys):
    assert check_choice("a", "c", {"a": "x", "b": "y", "c": "z"}, right="r", hint="h",
                        why={"a": "fewer writes is not what happened."}) is False
    assert say(capsys) == "Not yet — fewer writes is not what happened. Hint: h\n"
    check_choice("b", "c", {"a": "x", "b": "y", "c": "z"}, right="r", hint="h")
    assert say(capsys) == "Not yet — h\n"


def test_a_choice_that_is_not_offered_is_named(capsys):
    assert check_choice("z", "c", ["a", "b", "c"], right="r", hint="h") is False
    assert "one of 'a', 'b', 'c', got 'z'" in say(capsys)


@pytest.mark.parametrize("answer", [
    ["pods", "pods_per_node"], ("Pods", "pods per node"), {"pods_per_node", "pods"},
    "pods, pods_per_node", np.array(["pods", "pods_per_node"]),
])
def test_a_set_in_every_form(answer, capsys):
    assert check_set(answer, ["pods", "pods_per_node"], right="r", hint="h") is True


@pytest.mark.parametrize("answer, words", [
    (["pods"], "missing"), (["pods", "pods_per_node", "nodes"], "not right"),
    (["pods", "nodes"], "missing and something is not right"),
])
def test_a_wrong_set_says_missing_or_extra(answer, words, capsys):
    assert check_set(answer, ["pods", "pods_per_node"], right="r", hint="h") is False
    assert words in say(capsys)


def test_a_name_outside_the_choices_is_pointed_out(capsys):
    assert check_set(["pods", "podz"], ["pods"], right="r", hint="h",
                     choices=["pods", "nodes"]) is False
    assert "'podz' is not one of the names" in say(capsys)


# --- scoring -------------------------------------------------------------------------------

def q1(answer):
    """The first question."""
    return check_number(answer, 1.0, right="r", hint="h")


def q2(answer):
    """The second question."""
    return check_number(answer, 2.0, right="r", hint="h")


def test_the_score_counts_each_questions_last_result(capsys):
    import sys

    here = sys.modules[__name__]
    q1(1.0)
    q2(5.0)
    assert score(here) == (1, 2)
    assert "Score: 1 of 2 right. Not yet right: q2" in capsys.readouterr().out
    assert not_yet(here) == ["q2"]
    assert "q2 (not yet right): The second question." in capsys.readouterr().out
    q2(2.0)
    q1(7.0)                                   # the last result counts, not the best
    assert score(here) == (1, 2)
    assert not_yet(here) == ["q1"]


def test_a_helper_called_outside_a_question_records_nothing(capsys):
    assert record(True) is None


def test_a_check_that_prints_through_another_helper_is_still_found(capsys):
    import sys

    def q3(answer):                           # check_never → check_number → the verdict
        return check_never(answer, 2.0, right="r", hint="h")

    q3(2.0)
    assert sys.modules[__name__].__name__ in {k for k in __import__(
        "kscale_lab.exercises.scoring", fromlist=["_RESULTS"])._RESULTS}


def test_verdict_returns_the_result_and_the_message_without_printing(capsys):
    assert verdict(q1, 1.0) == (True, "Right — r")
    assert verdict(q1, 3.0) == (False, "Not yet — your answer is too high. Hint: h")
    assert capsys.readouterr().out == ""


# --- the prerequisites check -----------------------------------------------------------------

@pytest.mark.parametrize("version, spec, ok", [
    ("3.11.7", ">=3.10", True), ("3.11.2", ">=3.11.5", False), ("3.12.0", ">=3.11.5", True),
    ("3.11", ">=3.11.0", True), ("3.13.0rc1", ">=3.10,<3.13", False),
    ("3.12.1", ">=3.10, !=3.12.1", False), ("3.9.18", ">3.9", True),
])
def test_the_python_check_follows_the_packages_requirement(version, spec, ok):
    from kscale_lab.exercises.prerequisites import python_ok

    assert python_ok(version, spec) is ok


def test_the_environment_report_names_a_missing_kernel(monkeypatch):
    import sys

    from kscale_lab.exercises.prerequisites import environment

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)

    rows = {what: (ok, detail) for what, ok, detail in environment()}
    assert rows["kscale_lab"][0] and rows["Python"][0]
    assert rows["Jupyter kernel"] == (False, "not running in a Jupyter kernel (open this "
                                             "notebook in JupyterLab)")
