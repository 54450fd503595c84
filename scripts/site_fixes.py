"""Sphinx extension (loaded through ``sphinx.local_extensions`` in ``_config.yml``).

Small fixes so the built pages load cleanly in a browser, with no console errors:

* Drop duplicate inline ``<script>`` bodies. Sphinx 7.4 registers inline scripts added
  after the builder starts (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's
  selector) twice, as ``filename=None`` and ``filename=''``, so the page declares the same
  ``const`` twice and the browser reports "Identifier 'THEBE_JS_URL' has already been declared".
* Give every image alt text. Figures computed by code cells have none, so docutils falls back
  to the file name (``../_images/4f3a....png``), which screen readers read out. An image in a
  figure takes the first sentence of the caption; any other image "Figure: <section title>".
  Images drawn inside the saved widgets (the explorers' figures) are rendered in the browser
  by the widget manager, without alt: a small inline script describes them by the explorer's
  slider settings ("Figure for nodes (nodes): 5000; images/node (images): 50; ...").
* Launching and downloading (see "Publishing the site" in the README). Every executable page
  offers its notebook for download: for a MyST ``.md`` chapter, the executed notebook is
  copied to ``_sources/<page>.ipynb`` (the theme does this only when launch buttons are on).
  With ``KSCALE_REPO_URL`` set (``make book REPO_URL=...``), pages also get Binder, JupyterHub
  (nbgitpuller) and Colab buttons, and every notebook under ``_sources/`` starts with a cell
  that installs ``kscale_lab`` from the repository where it is missing (Colab). Colab opens
  that published notebook from the ``gh-pages`` branch; Binder and JupyterHub open the
  repository's own notebooks in JupyterLab (for a ``.md`` chapter, its lab notebook).
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


def _dedupe_inline_scripts(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[str] = set()
    kept = []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if not getattr(script, "filename", None) and body:
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    context["script_files"] = kept


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "\u2026"


def _alt_text_for_images(app: Any, doctree: Any, docname: str) -> None:
    """Set ``alt`` on images that have none (code-cell outputs, glued figures)."""
    from docutils import nodes

    title = app.env.titles.get(docname)
    page_title = title.astext() if title is not None else docname
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        parent = image.parent
        captions = (
            [c for c in parent.children if isinstance(c, nodes.caption)]
            if isinstance(parent, nodes.figure)
            else []
        )
        if captions and captions[0].astext().strip():
            image["alt"] = _first_sentence(captions[0].astext())
            continue
        section = image.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        heading = (
            section[0].astext()
            if section is not None and len(section) and isinstance(section[0], nodes.title)
            else page_title
        )
        image["alt"] = f"Figure: {' '.join(heading.split())}"


# The widget manager renders an Output widget's images as <img> without alt. Describe each
# one by the sliders of the explorer it belongs to (the page's saved values).
_WIDGET_IMAGE_ALT_JS = """
(() => {
  const describe = (img) => {
    let box = img.closest('.widget-output');
    while (box && !box.querySelector('.widget-slider')) {
      box = box.parentElement && box.parentElement.closest('.widget-box');
    }
    const settings = box ? [...box.querySelectorAll('.widget-slider')].map((s) => {
      const label = s.querySelector('.widget-label');
      const value = s.querySelector('.widget-readout');
      return (label ? label.textContent.trim() : '') + ': ' +
             (value ? value.textContent.trim() : '');
    }) : [];
    return settings.length ? 'Figure for ' + settings.join('; ')
                           : "Figure drawn by the lab's explorer";
  };
  // Widgets attach piece by piece: describe again until the explorer is complete.
  const fix = () => document.querySelectorAll(
      '.jupyter-widgets img:not([alt]), .jupyter-widgets img[data-kscale-alt]'
  ).forEach((img) => {
    const alt = describe(img);
    if (img.getAttribute('alt') !== alt) {
      img.setAttribute('alt', alt);
      img.setAttribute('data-kscale-alt', '');
    }
  });
  new MutationObserver(fix).observe(document.documentElement, {childList: true, subtree: true});
})();
"""


# --- Launching and downloading ----------------------------------------------------------------

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


def _launch(app: Any) -> Launch:
    return getattr(app, "_kscale_launch", None) or Launch()


def _configure_launch_buttons(app: Any, config: Any) -> None:
    """``config-inited``: turn the theme's repository and launch buttons on from the environment."""
    launch = Launch.from_env()
    app._kscale_launch = launch
    if not launch.enabled:
        return
    if not re.fullmatch(r"https?://[^/]+/[^/]+/[^/]+", launch.repo_url):
        from sphinx.errors import ConfigError

        raise ConfigError(
            f"KSCALE_REPO_URL must look like https://github.com/ORG/REPO, not {launch.repo_url!r}"
        )
    options = dict(config.html_theme_options or {})
    options.update(
        repository_url=launch.repo_url,
        repository_branch=launch.branch,
        path_to_docs="",
        use_repository_button=True,
    )
    options["launch_buttons"] = {
        **(options.get("launch_buttons") or {}),
        "notebook_interface": "jupyterlab",
        "binderhub_url": launch.binder_url,
        "jupyterhub_url": launch.hub_url,
        # Colab opens notebooks from GitHub only.
        "colab_url": launch.colab_url if launch.on_github else "",
        "deepnote_url": "",
        "thebe": False,
    }
    config.html_theme_options = options


def _is_executable(app: Any, pagename: str, context: dict[str, Any]) -> bool:
    """The theme's test: a notebook, or a MyST page with a kernelspec."""
    metadata = app.env.metadata.get(pagename, {})
    return "kernelspec" in metadata or "ipynb" in (context.get("page_source_suffix") or "")


def _offer_notebook_download(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Before the theme's buttons: publish a MyST page's executed notebook in ``_sources/``."""
    suffix = context.get("page_source_suffix") or ""
    if not _is_executable(app, pagename, context) or suffix == ".ipynb":
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _lab_path(app: Any, pagename: str, suffix: str) -> str:
    """Repository path JupyterLab opens for a page (MyST .md opens as text in JupyterLab)."""
    if suffix == ".ipynb":
        return f"{pagename}.ipynb"
    lab = f"{LABS_DIR}/{Path(pagename).name}.ipynb"
    return lab if (Path(app.srcdir) / lab).is_file() else LABS_DIR


def _point_launch_buttons(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """After the theme's launch buttons: set their targets (see ``Launch``)."""
    launch = _launch(app)
    if not launch.enabled:
        return
    lab_path = _lab_path(app, pagename, context.get("page_source_suffix") or "")
    targets = {
        "Binder": launch.binder(lab_path),
        "JupyterHub": launch.jupyterhub(lab_path),
        "Colab": launch.colab(pagename),
    }
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") in targets:
                button["url"] = targets[button["text"]]


def add_install_cell(notebook: Any, launch: Launch) -> bool:
    """Make the notebook's first cell the install cell (or drop it when ``launch`` is off).

    Idempotent; returns whether the notebook changed.
    """
    import nbformat

    cells = [c for c in notebook.cells if INSTALL_TAG not in c.get("metadata", {}).get("tags", [])]
    if launch.enabled:
        cell = nbformat.v4.new_code_cell(
            install_cell_source(launch), metadata={"tags": [INSTALL_TAG]}
        )
        if (notebook.nbformat, notebook.nbformat_minor) >= (4, 5):
            cell["id"] = INSTALL_TAG
        else:
            cell.pop("id", None)
        cells.insert(0, cell)
    if cells == notebook.cells:
        return False
    notebook.cells = cells
    return True


def _install_cells(app: Any, exception: Exception | None) -> None:
    """``build-finished``: give every notebook published under ``_sources/`` the install cell.

    After the build, because Sphinx copies a page's source into ``_sources/`` after rendering it.
    """
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    import nbformat

    launch = _launch(app)
    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if add_install_cell(notebook, launch):
            nbformat.write(notebook, path)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    app.connect("doctree-resolved", _alt_text_for_images)
    app.add_js_file(None, body=_WIDGET_IMAGE_ALT_JS)
    app.connect("config-inited", _configure_launch_buttons)
    # The theme adds its download and launch buttons at priority 501.
    app.connect("html-page-context", _offer_notebook_download, priority=500)
    app.connect("html-page-context", _point_launch_buttons, priority=502)
    app.connect("build-finished", _install_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
