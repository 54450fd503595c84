"""Launching and downloading the course's notebooks from the website (part of ``site_fixes``).

Jupyter Book's own configuration does most of it: ``_config.yml``'s ``repository`` and
``launch_buttons`` sections give sphinx-book-theme what it needs for a repository button and
Binder, JupyterHub and Colab buttons, and the theme publishes a MyST page's executed notebook
under ``_sources/`` for its download button. What this module adds, because nothing upstream
does it:

* **The repository comes from the environment.** The course has no fixed public repository,
  so ``make book REPO_URL=https://github.com/ORG/REPO`` (which the GitHub Pages workflow runs
  with its own repository) passes it as ``KSCALE_REPO_URL``; :class:`Launch` reads it and
  ``configure`` puts it into the theme's options. Without it the theme cannot build a launch
  link (it fails outright), so the launch buttons are switched off and the build says how to
  switch them on; download buttons stay.
* **Every executable page offers its notebook for download**, launch buttons or not (the
  theme copies a MyST page's notebook into ``_sources/`` only when launch buttons are on).
* **Launch targets that open a notebook.** JupyterLab opens a MyST Markdown chapter
  (``book/*.md``) as text, so Binder and JupyterHub open a chapter's *lab* notebook instead;
  Colab opens the page's published notebook on the ``gh-pages`` branch (it opens only
  ``.ipynb`` files from GitHub, and that copy starts with the install cell).
* **A downloaded notebook works.** Every notebook published under ``_sources/`` starts with a
  cell tagged ``kscale-install``: with a repository it installs the course package from
  ``git+REPO_URL@BRANCH`` where ``kscale_lab`` is missing (Colab) and does nothing elsewhere;
  without one it says how to install the package (and stops with that message if missing).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_BINDER_URL = "https://mybinder.org"
DEFAULT_COLAB_URL = "https://colab.research.google.com"
# The branch the GitHub workflow publishes _build/html to; Colab opens notebooks from there.
PAGES_BRANCH = "gh-pages"
# Tag (and, in nbformat >= 4.5, id) of the first cell of every published notebook.
INSTALL_TAG = "kscale-install"
# Where Binder/JupyterHub open a MyST chapter: its lab notebook, or else the labs' folder.
LABS_DIR = "notebooks"


@dataclasses.dataclass(frozen=True)
class Launch:
    """Where the site's launch buttons point; read from the environment (set by the Makefile).

    ``repo_url`` empty means no launch buttons (there is nothing to launch from); an empty
    ``hub_url``/``binder_url``/``colab_url`` leaves that one button out.
    """

    repo_url: str = ""
    branch: str = "main"
    hub_url: str = ""
    binder_url: str = DEFAULT_BINDER_URL
    colab_url: str = DEFAULT_COLAB_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Launch:
        def get(name: str, default: str) -> str:
            return environ.get(f"KSCALE_{name}", default).strip().rstrip("/")

        repo_url = get("REPO_URL", "")
        repo_url = repo_url[: -len(".git")] if repo_url.endswith(".git") else repo_url
        return cls(
            repo_url=repo_url,
            branch=get("BRANCH", "main") or "main",
            hub_url=get("HUB_URL", ""),
            binder_url=get("BINDER_URL", DEFAULT_BINDER_URL),
            colab_url=get("COLAB_URL", DEFAULT_COLAB_URL),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.repo_url)

    @property
    def org_repo(self) -> tuple[str, str]:
        parts = self.repo_url.split("/")
        return parts[-2], parts[-1]

    @property
    def on_github(self) -> bool:
        return re.fullmatch(r"https://github\.com/[^/]+/[^/]+", self.repo_url) is not None

    def pip_requirement(self) -> str:
        return f"kscale_lab @ git+{self.repo_url}@{self.branch}"

    def binder(self, lab_path: str) -> str:
        org, repo = self.org_repo
        if self.on_github:
            base = f"{self.binder_url}/v2/gh/{org}/{repo}/{self.branch}"
        else:
            base = f"{self.binder_url}/v2/git/{quote(self.repo_url, safe='')}/{self.branch}"
        return f"{base}?urlpath=lab/tree/{lab_path}"

    def jupyterhub(self, lab_path: str) -> str:
        """An nbgitpuller link: clone/update the repository into ~/<repo>, open ``lab_path``."""
        _org, repo = self.org_repo
        urlpath = f"lab/tree/{repo}/{lab_path}"
        query = urlencode(
            {"repo": self.repo_url, "branch": self.branch, "urlpath": urlpath}, safe="/"
        )
        return f"{self.hub_url}/hub/user-redirect/git-pull?{query}"

    def colab(self, pagename: str) -> str:
        """The page's published notebook (with the install cell) on the gh-pages branch."""
        org, repo = self.org_repo
        return f"{self.colab_url}/github/{org}/{repo}/blob/{PAGES_BRANCH}/_sources/{pagename}.ipynb"


def install_cell_source(launch: Launch) -> str:
    """The first cell of every published notebook (see the module docstring)."""
    if launch.enabled:
        return "\n".join(
            [
                "# Installs the course package where it is missing (on Colab, say);"
                " does nothing where it is installed.",
                "import importlib.util",
                "",
                'if importlib.util.find_spec("kscale_lab") is None:',
                f'    %pip install --quiet "{launch.pip_requirement()}"',
            ]
        )
    return "\n".join(
        [
            "# This notebook needs the course's Python package, kscale_lab. To install it, clone",
            "# the course's repository and run `make lab` there (it installs the package and",
            "# opens JupyterLab), or run `pip install -e .` in the clone. This copy of the",
            "# website was built without the repository's address, so it cannot install it.",
            "import importlib.util",
            "",
            'if importlib.util.find_spec("kscale_lab") is None:',
            "    raise ModuleNotFoundError(",
            "        \"kscale_lab is not installed: clone the course's repository and run"
            " `make lab` there\"",
            "    )",
        ]
    )


def add_install_cell(notebook: Any, launch: Launch) -> bool:
    """Make the notebook's first cell the install cell for ``launch``.

    Idempotent (an existing install cell is replaced); returns whether the notebook changed.
    """
    import nbformat

    cells = [c for c in notebook.cells if INSTALL_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(install_cell_source(launch), metadata={"tags": [INSTALL_TAG]})
    if (notebook.nbformat, notebook.nbformat_minor) >= (4, 5):
        cell["id"] = INSTALL_TAG
    else:
        cell.pop("id", None)
    cells.insert(0, cell)
    if cells == notebook.cells:
        return False
    notebook.cells = cells
    return True


# --- Sphinx event handlers (registered by site_fixes.setup) -----------------------------------


def launch_of(app: Any) -> Launch:
    return getattr(app, "_kscale_launch", None) or Launch()


def configure(app: Any, config: Any) -> None:
    """``config-inited``: the repository and launch buttons from the environment."""
    from sphinx.util import logging

    launch = Launch.from_env()
    app._kscale_launch = launch
    options = dict(config.html_theme_options or {})
    buttons = dict(options.get("launch_buttons") or {})
    if not launch.enabled:
        # sphinx-book-theme cannot build a launch link without a repository (it would fail).
        options["launch_buttons"] = {**buttons, "binderhub_url": "", "jupyterhub_url": "",
                                     "colab_url": "", "deepnote_url": "", "thebe": False}
        config.html_theme_options = options
        logging.getLogger(__name__).info(
            "kscale: no repository address, so no launch or repository buttons (download "
            "buttons stay). To add them, build with the public repository's address: make book "
            "REPO_URL=https://github.com/ORG/REPO (the GitHub Pages workflow passes its own)."
        )
        return
    if not re.fullmatch(r"https?://[^/]+/[^/]+/[^/]+", launch.repo_url):
        from sphinx.errors import ConfigError

        raise ConfigError(
            f"KSCALE_REPO_URL must look like https://github.com/ORG/REPO, not {launch.repo_url!r}"
        )
    options.update(
        repository_url=launch.repo_url,
        repository_branch=launch.branch,
        path_to_docs="",
        use_repository_button=True,
    )
    options["launch_buttons"] = {
        **buttons,
        "notebook_interface": "jupyterlab",
        "binderhub_url": launch.binder_url,
        "jupyterhub_url": launch.hub_url,
        # Colab opens notebooks from GitHub only.
        "colab_url": launch.colab_url if launch.on_github else "",
        "deepnote_url": "",
        "thebe": False,
    }
    config.html_theme_options = options


def is_executable(app: Any, pagename: str, context: dict[str, Any]) -> bool:
    """The theme's test: a notebook, or a MyST page with a kernelspec."""
    metadata = app.env.metadata.get(pagename, {})
    return "kernelspec" in metadata or "ipynb" in (context.get("page_source_suffix") or "")


def offer_notebook_download(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Before the theme's buttons: publish a MyST page's notebook in ``_sources/``."""
    suffix = context.get("page_source_suffix") or ""
    if not is_executable(app, pagename, context) or suffix == ".ipynb":
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def lab_path(app: Any, pagename: str, suffix: str) -> str:
    """Repository path JupyterLab opens for a page (MyST .md opens as text in JupyterLab)."""
    if suffix == ".ipynb" or (Path(app.srcdir) / f"{pagename}.ipynb").is_file():
        return f"{pagename}.ipynb"
    lab = f"{LABS_DIR}/{Path(pagename).name}.ipynb"
    return lab if (Path(app.srcdir) / lab).is_file() else LABS_DIR


def point_launch_buttons(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """After the theme's launch buttons: set their targets (see the module docstring)."""
    launch = launch_of(app)
    if not launch.enabled:
        return
    path = lab_path(app, pagename, context.get("page_source_suffix") or "")
    targets = {
        "Binder": launch.binder(path),
        "JupyterHub": launch.jupyterhub(path),
        "Colab": launch.colab(pagename),
    }
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") in targets:
                button["url"] = targets[button["text"]]


def run_links_html(app: Any, pagename: str, context: dict[str, Any]) -> str:
    """One-click ways to run this page's notebook, as HTML (for the explorers' note)."""
    from html import escape

    launch = launch_of(app)
    pathto = context.get("pathto")
    download = (
        f"{pathto('_sources', 1)}/{context['ipynb_source']}"
        if pathto and context.get("ipynb_source")
        else ""
    )
    if launch.enabled:
        path = lab_path(app, pagename, context.get("page_source_suffix") or "")
        links = []
        if launch.binder_url:
            links.append(f'<a class="kscale-run" href="{escape(launch.binder(path))}">'
                         "run this lab on Binder</a> (free, starts in a minute or two)")
        if launch.hub_url:
            links.append(f'<a class="kscale-run" href="{escape(launch.jupyterhub(path))}">'
                         "open it on your class's JupyterHub</a>")
        if launch.colab_url and launch.on_github:
            links.append(f'<a class="kscale-run" href="{escape(launch.colab(pagename))}">'
                         "open it in Colab</a>")
        text = "; ".join(links) if links else ""
        if download:
            text += (f'{"; or " if text else ""}<a class="kscale-run" href="{escape(download)}" '
                     "download>download the notebook</a> and run it in your own Jupyter")
        return text[:1].upper() + text[1:] + "."
    if not download:
        return ("Run this page's notebook in Jupyter with the course installed (in a clone of "
                "the course's repository: <code>make lab</code>).")
    return (f'<a class="kscale-run" href="{escape(download)}" download>Download this lab as a '
            "notebook</a> and run it in Jupyter with the course installed (in a clone of the "
            "course's repository: <code>make lab</code>). This copy of the website was built "
            "without the repository's address, so it has no launch buttons.")


def install_cells(app: Any, exception: Exception | None) -> None:
    """``build-finished``: give every notebook published under ``_sources/`` the install cell.

    After the build, because Sphinx copies a page's source into ``_sources/`` after rendering it.
    """
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    import nbformat

    launch = launch_of(app)
    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if add_install_cell(notebook, launch):
            nbformat.write(notebook, path)
