"""Packaging that keeps its promises: the Python it asks for is the one the pins need, every
import is declared, the extras install what each kind of user needs and no more, one licence
everywhere, and CI runs the README's test command on the pinned Python."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import re
import runpy
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Every CPython release a requirement could name, oldest first.
PYTHONS = [Version(f"3.{minor}.{patch}") for minor in range(6, 16) for patch in range(25)]


def lowest_python(*specifiers: SpecifierSet) -> Version:
    return next(v for v in PYTHONS if all(s.contains(v) for s in specifiers))


def pins() -> list[Requirement]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def extra(name: str) -> set[str]:
    """The distributions an extra installs, following ``kscale_lab[...]`` self-references."""
    names: set[str] = set()
    for text in PROJECT["optional-dependencies"][name]:
        req = Requirement(text)
        if canonicalize_name(req.name) == canonicalize_name(PROJECT["name"]):
            for inner in req.extras:
                names |= extra(inner)
        else:
            names.add(canonicalize_name(req.name))
    return names


def test_requires_python_is_the_lowest_python_every_pin_accepts():
    needs = {}
    for pin in pins():
        try:
            dist = metadata.distribution(pin.name)
        except metadata.PackageNotFoundError:
            continue                          # not for this platform (an environment marker)
        if dist.version in pin.specifier and dist.metadata["Requires-Python"]:
            needs[pin.name] = SpecifierSet(dist.metadata["Requires-Python"])
    assert len(needs) > 100, "the pinned packages are not installed: run `make setup`"
    need = lowest_python(*needs.values())
    declared = lowest_python(SpecifierSet(PROJECT["requires-python"]))
    strictest = sorted(name for name, spec in needs.items() if lowest_python(spec) == need)
    assert declared == need, (f"requires-python allows {declared}, the pins need {need} "
                              f"({', '.join(strictest)})")
    assert f"Python ≥ {need}" in README, f"the README does not say Python ≥ {need}"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_import_of_the_package_is_a_declared_dependency():
    imported = set().union(*(_imports(p) for p in (ROOT / "kscale_lab").rglob("*.py")))
    third_party = imported - set(sys.stdlib_module_names) - {"kscale_lab", "__future__"}
    distributions = metadata.packages_distributions()
    declared = {canonicalize_name(Requirement(r).name) for r in PROJECT["dependencies"]}
    missing = {module: distributions.get(module) for module in sorted(third_party)
               if not {canonicalize_name(d) for d in distributions.get(module, [])} & declared}
    assert not missing, f"imported by kscale_lab but not in [project] dependencies: {missing}"


def test_extras_give_each_user_what_they_need_and_no_more():
    labs, book, test = extra("labs"), extra("book"), extra("test")
    assert {"jupyterlab", "jupytext"} <= labs
    tools = {"pytest", "nbval", "hypothesis", "ruff", "playwright", "jupyter-book"}
    assert not labs & tools, "a learner's environment would get test or book tools"
    assert "jupyter-book" in book
    assert labs | book <= test and labs | book | test <= extra("dev")


def test_binder_and_jupyterhub_install_the_labs_only():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert pip == ["-c constraints.txt", "-e .[labs]"]
    assert 'pip install -c constraints.txt ".[labs]"' in README
    assert "python scripts/lab_settings.py" in (ROOT / "postBuild").read_text(encoding="utf-8")


def test_every_manifest_names_the_same_licence():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert PROJECT["license"] == "Apache-2.0" and PROJECT["license-files"] == ["LICENSE"]
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert package["license"] == "Apache-2.0"
    assert "## License\n\nApache-2.0" in README


def test_ci_runs_the_readmes_test_command_on_the_pinned_python():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    image = job["container"]["image"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pinned = next(d for d in env["dependencies"] if str(d).startswith("python="))
    assert re.fullmatch(r"python:(3\.\d+)-\w+", image)[1] == pinned.removeprefix("python=")
    assert [step["run"] for step in job["steps"] if "run" in step] == [".ci/run"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", ci, re.MULTILINE)
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^make test\b", quick_start, re.MULTILINE)


def test_an_older_python_is_refused_in_plain_words_before_pip_resolves(monkeypatch, capsys):
    """setup.py (which pip runs first) and `make setup` stop at scripts/check_python.py."""
    monkeypatch.setattr(sys, "version_info", (3, 10, 13, "final", 0))
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(ROOT / "setup.py"))
    assert stop.value.code == 1
    err = capsys.readouterr().err
    need = lowest_python(SpecifierSet(PROJECT["requires-python"]))
    assert f"kscale_lab needs Python {need} or newer" in err and "Python 3.10.13" in err
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("scripts/check_python.py") >= 2       # before venv, before pip
