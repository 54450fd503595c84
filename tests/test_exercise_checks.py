"""Every chapter's self-checks behave alike on answers that are not answers yet."""

import importlib
import pkgutil

import pytest

import kscale_lab.exercises as exercises

CHECKS = [
    (f"{info.name}.q{i}", getattr(module, f"q{i}"))
    for info in pkgutil.iter_modules(exercises.__path__)
    for module in [importlib.import_module(f"kscale_lab.exercises.{info.name}")]
    for i in range(1, 20)
    if hasattr(module, f"q{i}")
]


def test_every_chapter_has_checks():
    chapters = {name.split(".")[0] for name, _ in CHECKS}
    assert {"envelope", "heartbeats", "kube_proxy", "scheduler"} <= chapters


@pytest.mark.parametrize("name, q", CHECKS, ids=[n for n, _ in CHECKS])
@pytest.mark.parametrize("blank", [..., None], ids=["ellipsis", "none"])
def test_unanswered_is_not_yet_without_raising(name, q, blank, capsys):
    assert q(blank) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet — ") and out.count("\n") == 1


@pytest.mark.parametrize("name, q", CHECKS, ids=[n for n, _ in CHECKS])
def test_a_wrong_kind_of_answer_is_not_yet_without_raising(name, q, capsys):
    assert q(object()) is False
    assert capsys.readouterr().out.startswith("Not yet — ")
