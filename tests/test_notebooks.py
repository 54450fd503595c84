"""Notebooks kept as text.

Every ``.ipynb`` in ``notebooks/`` and ``exercises/`` is generated from the MyST Markdown source
beside it by ``scripts/notebooks.py`` (``make notebooks``): the same source gives the same
bytes, with no outputs, no widget state and cell ids that depend only on each cell's content,
so a diff of a notebook is a diff of its text. In the course environment, JupyterLab opens the
text source itself as a notebook (``scripts/lab_settings.py``; the browser test in
``test_jupyterlab.py`` opens the labs that way).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str) -> ModuleType:
    """A module of ``scripts/`` (not a package), imported from its file."""
    spec = importlib.util.spec_from_file_location(f"kscale_scripts_{name}",
                                                  ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebooks = _script("notebooks")
lab_settings = _script("lab_settings")
SOURCES = notebooks.sources()

# A source with what the generator must drop: widget state and an editor's settings in the
# header, an editor's cell metadata; and two identical cells.
TOY = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
widgets:
  application/vnd.jupyter.widget-state+json:
    state: {}
---

# A toy

```{code-cell}
:tags: [hide-input]
:scrolled: true

x = 1
```

Some text.

```{code-cell}
print(x)
```

```{code-cell}
print(x)
```
"""


def _rel(path: Path) -> str:
    return os.path.relpath(path, ROOT)


def test_there_are_notebook_sources():
    assert {p.parent.name for p in SOURCES} == {"notebooks", "exercises"}


@pytest.mark.parametrize("source", SOURCES, ids=_rel)
def test_committed_ipynb_is_generated_from_its_source(source: Path):
    target = source.with_suffix(".ipynb")
    assert target.is_file(), f"{_rel(target)} is missing: run `make notebooks` and commit it"
    assert target.read_text(encoding="utf-8") == notebooks.render(source), (
        f"{_rel(target)} differs from what {_rel(source)} generates: edit the .md, then run "
        "`make notebooks` and commit both")


def test_every_ipynb_has_a_text_source():
    orphans = [_rel(p) for folder in notebooks.FOLDERS for p in (ROOT / folder).glob("*.ipynb")
               if not p.with_suffix(".md").is_file()]
    assert not orphans, f"notebooks without a .md source (write one; see README): {orphans}"


def test_generated_notebook_has_no_outputs_state_or_editor_metadata(tmp_path: Path):
    source = tmp_path / "toy.md"
    source.write_text(TOY, encoding="utf-8")
    nb = nbformat.reads(notebooks.render(source), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata == {"kernelspec": notebooks.KERNELSPEC, "language_info": {"name": "python"}}
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == ["x = 1", "print(x)", "print(x)"]
    assert code[0].metadata == {"tags": ["hide-input"]}
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None


def test_editing_one_cell_changes_only_that_cells_id(tmp_path: Path):
    source = tmp_path / "toy.md"
    source.write_text(TOY, encoding="utf-8")
    before = nbformat.reads(notebooks.render(source), as_version=4).cells
    # a new cell at the top, and the text cell edited
    source.write_text(TOY.replace("# A toy\n", "# A toy\n\n```{code-cell}\ny = 2\n```\n")
                      .replace("Some text.", "Some other text."), encoding="utf-8")
    after = nbformat.reads(notebooks.render(source), as_version=4).cells
    old = {cell.source: cell.id for cell in before}
    ids = [cell.id for cell in after]
    assert len(set(ids)) == len(ids)                     # the two print(x) cells too
    kept = [cell for cell in after if cell.source in old]
    assert [cell.source for cell in kept] == ["# A toy", "x = 1", "print(x)", "print(x)"]
    assert [cell.id for cell in kept] == [old["# A toy"], old["x = 1"],
                                          before[3].id, before[4].id]
    new = {cell.id for cell in after} - {cell.id for cell in before}
    assert len(new) == 2                                 # y = 2, and the edited text


def test_check_passes_a_fresh_notebook_and_names_a_stale_one(tmp_path: Path, capsys):
    # (The same bytes in another process: the committed notebooks were written by another
    # process, and test_committed_ipynb_is_generated_from_its_source compares with this one.)
    source = tmp_path / "toy.md"
    source.write_text(TOY, encoding="utf-8")
    assert notebooks.main([str(source)]) == 0
    assert notebooks.main(["--check", str(source)]) == 0
    source.write_text(TOY.replace("x = 1", "x = 2"), encoding="utf-8")
    assert notebooks.main(["--check", str(source)]) == 1
    err = capsys.readouterr().err
    assert str(source.with_suffix(".ipynb")) in err and "make notebooks" in err


def test_jupyterlab_in_this_environment_opens_myst_markdown_as_a_notebook():
    from jupyterlab.commands import get_app_dir

    path = lab_settings.overrides_path()
    assert path.parent.parent == Path(get_app_dir()) / "settings", (
        "the overrides are not where this JupyterLab reads its settings")
    assert lab_settings.main(["--check"]) == 0, "run `make setup` (scripts/lab_settings.py)"
    # the viewer named in the overrides is the one jupytext's JupyterLab extension registers
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    scripts = list((extension / "static").glob("*.js"))
    assert any(f'"{lab_settings.FACTORY}"' in js.read_text(encoding="utf-8", errors="replace")
               for js in scripts), f"jupytext's JupyterLab extension is missing in {extension}"
