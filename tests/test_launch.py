"""Launching and downloading: launch buttons, the published notebooks, the Pages workflow.

The session's book build (``conftest.book_build``) has launch buttons for the test repository
``TEST_LAUNCH`` (as ``make book REPO_URL=... HUB_URL=...``). Nothing here talks to Binder,
a JupyterHub, Colab or GitHub: the links' shape is checked, and the files they open exist.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import nbformat
import pytest
import yaml
from conftest import TEST_LAUNCH, toc_pages

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import site_fixes  # noqa: E402

REPO_URL = TEST_LAUNCH["KSCALE_REPO_URL"]
ORG, REPO = REPO_URL.split("/")[-2:]
BRANCH = TEST_LAUNCH["KSCALE_BRANCH"]
HUB = TEST_LAUNCH["KSCALE_HUB_URL"]
BINDER = TEST_LAUNCH["KSCALE_BINDER_URL"]
COLAB = TEST_LAUNCH["KSCALE_COLAB_URL"]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def toc_sources() -> list[Path]:
    """The source file (``.ipynb`` or ``.md``) of every page of ``_toc.yml``."""
    return [p for stem in toc_pages() for p in (ROOT / f"{stem}.ipynb", ROOT / f"{stem}.md")
            if p.is_file()]


def is_executable(source: Path) -> bool:
    """A notebook, or a MyST Markdown page with a kernel (a notebook in Markdown)."""
    if source.suffix == ".ipynb":
        return True
    front = re.match(r"---\n(.*?)\n---\n", source.read_text(encoding="utf-8"), re.DOTALL)
    return bool(front) and "kernelspec" in (yaml.safe_load(front.group(1)) or {})


EXECUTABLE = {
    source.relative_to(ROOT).with_suffix("").as_posix(): source
    for source in toc_sources()
    if is_executable(source)
}
MYST_PAGES = [page for page, source in EXECUTABLE.items() if source.suffix == ".md"]
# The hand-out notebooks, exercises/NN-KEY (not -solutions): the book does not execute them.
BLANK_EXERCISES = {page for page in EXECUTABLE
                   if re.fullmatch(r"exercises/\d\d-[^/]+", page)
                   and not page.endswith("-solutions")}


def lab_path(page: str) -> str:
    """What Binder/JupyterHub open: the page's notebook (a lab's or an exercise's ``.ipynb``
    generated beside its source), or for a MyST chapter its lab (JupyterLab opens .md as text
    without jupytext), or the labs' folder when it has none."""
    source = EXECUTABLE[page]
    if source.suffix == ".ipynb" or (ROOT / f"{page}.ipynb").is_file():
        return f"{page}.ipynb"
    lab = f"notebooks/{source.stem}.ipynb"
    return lab if (ROOT / lab).is_file() else "notebooks"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, class)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and values.get("href"):
            self.links.append((values["href"], values.get("class", "")))


def page_links(built_site: Path, page: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed((built_site / f"{page}.html").read_text(encoding="utf-8"))
    return parser.links


def only(links: list[str], what: str) -> str:
    assert len(set(links)) == 1, f"expected one {what} link, found {links}"
    return links[0]


def test_there_are_executable_pages_of_both_kinds() -> None:
    """Chapters (MyST, no notebook beside them) and labs/exercises (a generated .ipynb beside)."""
    beside = [page for page in MYST_PAGES if (ROOT / f"{page}.ipynb").is_file()]
    assert beside, "no lab or exercise pages found in _toc.yml"
    assert len(beside) < len(MYST_PAGES), "no chapter pages found in _toc.yml"


@pytest.mark.book
@pytest.mark.parametrize("page", sorted(EXECUTABLE))
def test_page_has_launch_links(built_site: Path, page: str) -> None:
    hrefs = [href for href, _class in page_links(built_site, page)]
    binder = only([h for h in hrefs if h.startswith(BINDER)], "Binder")
    assert binder == f"{BINDER}/v2/gh/{ORG}/{REPO}/{BRANCH}?urlpath=lab/tree/{lab_path(page)}"
    assert (ROOT / lab_path(page)).exists(), f"Binder would open a missing {lab_path(page)}"

    hub = urlsplit(only([h for h in hrefs if h.startswith(HUB)], "JupyterHub"))
    assert hub.path == "/hub/user-redirect/git-pull", hub
    assert parse_qs(hub.query) == {
        "repo": [REPO_URL],
        "branch": [BRANCH],
        "urlpath": [f"lab/tree/{REPO}/{lab_path(page)}"],
    }

    colab = only([h for h in hrefs if h.startswith(COLAB)], "Colab")
    assert colab == f"{COLAB}/github/{ORG}/{REPO}/blob/gh-pages/_sources/{page}.ipynb"


@pytest.mark.book
@pytest.mark.parametrize("page", sorted(EXECUTABLE))
def test_page_offers_its_notebook_for_download(built_site: Path, page: str) -> None:
    downloads = [
        href
        for href, classes in page_links(built_site, page)
        if "btn-download-" in classes and href.endswith(".ipynb")
    ]
    assert downloads, f"{page}: the download button offers no .ipynb"
    base = f"http://site/{page}.html"
    targets = {urlsplit(urljoin(base, href)).path.lstrip("/") for href in downloads}
    assert targets == {f"_sources/{page}.ipynb"}, targets
    assert (built_site / f"_sources/{page}.ipynb").is_file()


@pytest.mark.book
def test_preface_has_no_launch_links(built_site: Path) -> None:
    hrefs = [href for href, _class in page_links(built_site, "book/preface")]
    assert not [h for h in hrefs if h.startswith((BINDER, HUB, COLAB))]


def code_sources(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.book
@pytest.mark.parametrize("page", sorted(EXECUTABLE))
def test_published_notebook_starts_with_the_install_cell(built_site: Path, page: str) -> None:
    notebook = nbformat.read(built_site / f"_sources/{page}.ipynb", as_version=4)
    nbformat.validate(notebook)
    first, rest = notebook.cells[0], notebook.cells[1:]
    assert first.cell_type == "code"
    assert site_fixes.INSTALL_TAG in first.metadata.get("tags", []), first
    assert 'importlib.util.find_spec("kscale_lab") is None' in first.source
    assert f'%pip install --quiet "kscale_lab @ git+{REPO_URL}@{BRANCH}"' in first.source
    assert not [c for c in rest if site_fixes.INSTALL_TAG in c.metadata.get("tags", [])]

    source = EXECUTABLE[page]
    if source.suffix == ".md":
        from myst_nb.core.read import read_myst_markdown_notebook

        chapter = read_myst_markdown_notebook(source.read_text(encoding="utf-8"))
        assert code_sources(chapter), f"{page}: no code cells in the chapter"
        assert code_sources(notebook)[1:] == code_sources(chapter)
        executed = [c for c in rest if c.cell_type == "code"]
        if page in BLANK_EXERCISES:  # a hand-out: published as handed out, without outputs
            assert not any(c.outputs for c in executed), f"{page}: the hand-out has outputs"
        else:
            # a page whose code only glues numbers into its text (every cell removed from
            # the page) shows nothing, so its cells have no outputs to prove it ran
            shown = [c for c in executed if "remove-cell" not in c.metadata.get("tags", [])]
            assert any(c.outputs for c in executed) or not shown, \
                f"{page}: the notebook is not executed"
    else:
        original = nbformat.read(source, as_version=4)
        assert code_sources(notebook)[1:] == code_sources(original)


def test_install_cell_pip_command() -> None:
    """The ``%pip`` line inside the ``if`` is IPython syntax: check what it becomes."""
    from IPython.core.inputtransformer2 import TransformerManager

    launch = site_fixes.Launch(repo_url=REPO_URL, branch="v1")
    python = TransformerManager().transform_cell(site_fixes.install_cell_source(launch))
    compile(python, "<install cell>", "exec")
    assert (
        "    get_ipython().run_line_magic('pip', "
        f"'install --quiet \"kscale_lab @ git+{REPO_URL}@v1\"')"
    ) in python


def test_install_cell_is_a_no_op_where_kscale_lab_is_installed() -> None:
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    site_fixes.add_install_cell(notebook, site_fixes.Launch(repo_url=REPO_URL))
    check = nbformat.v4.new_code_cell("import kscale_lab\nprint('kscale_lab', 'ready')")
    notebook.cells.append(check)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={}).execute()
    install, after = notebook.cells
    assert install.outputs == [], install.outputs  # no pip run, no message
    assert [o.get("text") for o in after.outputs] == ["kscale_lab ready\n"]


def test_add_install_cell_is_idempotent_and_replaces_an_older_one() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    on = site_fixes.Launch(repo_url=REPO_URL)
    assert site_fixes.add_install_cell(notebook, on)
    assert not site_fixes.add_install_cell(notebook, on)
    assert len(notebook.cells) == 2
    nbformat.validate(notebook)
    assert site_fixes.add_install_cell(notebook, site_fixes.Launch())
    assert [c.source for c in notebook.cells] == [
        site_fixes.install_cell_source(site_fixes.Launch()), "1 + 1"]


def test_without_a_repository_the_install_cell_says_how_to_install(monkeypatch) -> None:
    """No repository to install from: where kscale_lab is missing, the first cell stops with
    a message that says how to get it; where it is installed, the cell does nothing."""
    import importlib.util

    source = site_fixes.install_cell_source(site_fixes.Launch())
    exec(compile(source, "<install cell>", "exec"), {})  # installed here: nothing happens
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(ModuleNotFoundError, match="clone the course's repository and run "
                                                  "`make lab`"):
        exec(compile(source, "<install cell>", "exec"), {})


def test_launch_settings_from_the_environment() -> None:
    assert not site_fixes.Launch.from_env({}).enabled
    launch = site_fixes.Launch.from_env(
        {"KSCALE_REPO_URL": "https://github.com/o/r.git/", "KSCALE_BINDER_URL": ""}
    )
    assert (launch.repo_url, launch.branch) == ("https://github.com/o/r", "main")
    assert launch.binder_url == ""  # BINDER_URL= (empty) leaves the Binder button out
    assert launch.colab_url == "https://colab.research.google.com"


def make_dry_run(*args: str) -> str:
    return subprocess.run(
        ["make", "-n", "book", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_make_book_passes_the_launch_settings() -> None:
    plan = make_dry_run("SERVE=0", f"REPO_URL={REPO_URL}", "BRANCH=dev", f"HUB_URL={HUB}")
    assert f"KSCALE_REPO_URL='{REPO_URL}'" in plan
    assert "KSCALE_BRANCH='dev'" in plan and f"KSCALE_HUB_URL='{HUB}'" in plan
    assert "jupyter-book build ." in plan
    assert "http.server" not in plan  # SERVE=0 builds only
    default = make_dry_run()
    assert "KSCALE_REPO_URL='' " in default and "KSCALE_HUB_URL='' " in default
    assert "http.server" in default


TINY_PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A tiny chapter

```{code-cell} ipython3
print(6 * 7)
```
"""


# Two more pages for the local build: a plain widget (the site must still render it) and a lab
# explorer (the site shows its static form, without the widget machinery).
WIDGET_PAGE = TINY_PAGE.replace("# A tiny chapter", "# A widget").replace(
    "print(6 * 7)", "import ipywidgets\nipywidgets.IntSlider(value=3)")
EXPLORER_PAGE = TINY_PAGE.replace("# A tiny chapter", "# An explorer").replace(
    "print(6 * 7)", "from kscale_lab.widgets import explore\nexplore('envelope', only=['nodes'])")


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make book SERVE=0`` with REPO_URL empty, as a three-page book with the course's
    _config.yml, extension and static files, in the environment the Makefile gives it (see the
    dry run above). Returns the HTML folder."""
    book = tmp_path_factory.mktemp("local") / "book"
    book.mkdir()
    (book / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: tiny\nchapters:\n  - file: widget\n  - file: explorer\n")
    for name, page in (("tiny", TINY_PAGE), ("widget", WIDGET_PAGE),
                       ("explorer", EXPLORER_PAGE)):
        (book / f"{name}.md").write_text(page)
    for shared in ("scripts", "site_assets", "_static"):
        (book / shared).symlink_to(ROOT / shared)
    plan = make_dry_run("SERVE=0")
    env_line = next(line for line in plan.splitlines() if "KSCALE_REPO_URL=" in line)
    env = dict(re.findall(r"(KSCALE_\w+)='([^']*)'", plan))
    assert env["KSCALE_REPO_URL"] == "", env_line
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jupyter_book), "build", str(book), "-W", "-n", "--keep-going"],
        cwd=book,
        env={**_clean_env(), **env},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "REPO_URL=https://github.com/ORG/REPO" in proc.stdout, (
        "a build without a repository should say how to add one")
    return book / "_build" / "html"


@pytest.mark.book
def test_without_repo_url_there_are_no_launch_links(local_build: Path) -> None:
    text = (local_build / "tiny.html").read_text(encoding="utf-8")
    assert "launch-buttons" not in text
    assert not re.search(r"mybinder|colab|git-pull", text)


@pytest.mark.book
def test_without_repo_url_a_page_still_offers_its_notebook(local_build: Path) -> None:
    text = (local_build / "tiny.html").read_text(encoding="utf-8")
    assert 'href="_sources/tiny.ipynb"' in text  # the download button
    notebook = nbformat.read(local_build / "_sources" / "tiny.ipynb", as_version=4)
    no_repo = site_fixes.install_cell_source(site_fixes.Launch())
    assert code_sources(notebook) == [no_repo, "print(6 * 7)"]


@pytest.mark.book
def test_a_page_with_a_widget_keeps_the_widget_machinery(local_build: Path) -> None:
    text = (local_build / "widget.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-view+json" in text
    assert 'type="application/vnd.jupyter.widget-state+json"' in text
    assert "html-manager/embed-amd.js" in text and "require-config.js" in text


@pytest.mark.book
def test_an_explorer_page_shows_its_static_form_without_widget_machinery(
        local_build: Path) -> None:
    text = (local_build / "explorer.html").read_text(encoding="utf-8")
    assert 'class="kscale-needs-kernel"' in text
    assert "widget-view+json" not in text and "widget-state+json" not in text
    assert "embed-amd.js" not in text and "require.js" not in text


@pytest.mark.book
def test_an_explorers_note_links_to_its_notebook_without_a_repository(local_build: Path) -> None:
    text = (local_build / "explorer.html").read_text(encoding="utf-8")
    launch = re.search(r'<span class="kscale-launch">(.*?)</span>', text, re.DOTALL)
    assert launch, "the explorer's run-it placeholder is missing"
    assert 'href="_sources/explorer.ipynb" download' in launch.group(1)
    assert "built without the repository" in launch.group(1)


@pytest.mark.book
def test_require_config_is_not_added_to_every_page(local_build: Path) -> None:
    assert "require-config.js" not in (local_build / "tiny.html").read_text(encoding="utf-8")
    assert "kscale.js" in (local_build / "tiny.html").read_text(encoding="utf-8")


def _clean_env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("KSCALE_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


# --- the GitHub Pages workflow ---------------------------------------------------------------


def test_pages_workflow() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write"}
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    actions = {step["uses"].split("@")[0] for step in steps if "uses" in step}
    assert actions == {"actions/checkout"}
    # The tests' Debian with the pinned Python, privileged for iptables in a network namespace.
    assert job["container"]["image"] == "python:3.11-bookworm"
    assert "--privileged" in job["container"]["options"]

    runs = [step for step in steps if "run" in step]
    build = next(step for step in runs if "make book" in step["run"])
    assert re.search(r"\bmake book SERVE=0\b", build["run"])
    for var in ("REPO_URL", "BRANCH", "HUB_URL"):
        assert f'{var}="${var}"' in build["run"]
    assert build["env"]["REPO_URL"] == "${{ github.server_url }}/${{ github.repository }}"
    assert build["env"]["BRANCH"] == "${{ github.ref_name }}"
    assert build["env"]["HUB_URL"] == "${{ vars.JUPYTERHUB_URL }}"
    assert build["env"]["KSCALE_REQUIRE_REAL"] == "1"       # real measurements, or no site
    assert 'AUDIENCE="$AUDIENCE"' in build["run"]

    publish = runs[runs.index(build) + 1]
    script = publish["run"]
    assert "_build/html/.nojekyll" in script and "cd _build/html" in script
    assert re.search(r"git push --force\b.*\bgh-pages\b", script.replace("\\\n", " "))
    assert publish["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_readme_documents_publishing() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publishing the site", 1)[1].split("\n## ", 1)[0]
    for needle in ("REPO_URL", "BRANCH", "HUB_URL", "BINDER_URL", "COLAB_URL", "SERVE=0",
                   "gh-pages", ".github/workflows/pages.yml", "JUPYTERHUB_URL"):
        assert needle in section, f"README's 'Publishing the site' does not mention {needle}"
