"""Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``): what the course's website
needs that neither Jupyter Book, MyST-NB nor the theme does.

* **Static files.** The course's own assets are tracked files in ``_static/``, which Jupyter
  Book adds to every page. Two exceptions are handled here: ``site_assets/`` (require.js, the
  widget manager and MathJax, copied from npm by ``scripts/site_assets.py``) joins
  ``html_static_path`` only now, after Jupyter Book has built its list of files to add to
  every page (it would have added all of MathJax's scripts); and ``require-config.js`` is
  loaded only where ``nb_ipywidgets_js`` loads it, right after require.js.
* **Blank exercises are hand-outs.** ``exercises/NN-KEY.md`` (not ``-solutions``) are
  excluded from execution, so they are published without outputs.
* **"Next" leads chapter → lab → exercises → next chapter.** The worked solutions sit in the
  table of contents behind the exercises, but "Next" and "Previous" step over them.
* **Explorers that need a kernel say how to get one.** A lab's live explorer shows, on the
  static site, a note with a ``<span class="kscale-launch">`` placeholder
  (``kscale_lab.widgets``); it becomes this page's launch links, or its notebook download.
* **No widget JavaScript where no widget is shown.** The labs' explorers leave their widget
  state in the executed notebook but show their static note instead, so a page without a
  widget view does not load the widget manager and that state.
* **Duplicate inline scripts.** ``app.add_js_file(None, body=...)`` called after the builder
  exists (sphinx-thebe does it in ``env-before-read-docs``) hands the builder the script with
  ``filename=None``; ``StandaloneHTMLBuilder.prepare_writing`` then adds every registered
  script again with ``filename or ''``, and ``_JavaScript(None, …) != _JavaScript('', …)``, so
  each page declares ``const THEBE_JS_URL`` twice and the browser reports "Identifier
  'THEBE_JS_URL' has already been declared". There is no upstream fix: the same code is in
  Sphinx 7.4.7 (the pinned version), 8.1.3 and 9.0.4 (``sphinx/application.py``
  ``add_js_file``; ``sphinx/builders/html/__init__.py`` ``prepare_writing``), and
  sphinx-thebe 0.3.1 is its latest release. Drop this when either changes.
* **Launching and downloading**: see ``site_launch``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_launch  # noqa: E402
from site_launch import (  # noqa: E402,F401  (re-exported for the tests)
    INSTALL_TAG,
    Launch,
    add_install_cell,
    install_cell_source,
)

#: npm's assets, copied by scripts/site_assets.py (git-ignored).
VENDOR_STATIC = "site_assets"
#: Loaded by nb_ipywidgets_js after require.js, never on every page.
REQUIRE_CONFIG = "require-config.js"
#: The worked solutions of exercises/NN-KEY.md (the course's layout, kscale_lab.chapters).
SOLUTIONS = re.compile(r"exercises/\d\d-[^/]+-solutions")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _static_files(app: Any, config: Any) -> None:
    """``config-inited``: npm's assets on the static path; require-config.js not on every page."""
    paths = list(config.html_static_path)
    if VENDOR_STATIC not in paths:
        # First, so that the course's own _static/ wins over any stale file of the same name.
        paths.insert(0, VENDOR_STATIC)
    config.html_static_path = paths
    config.html_js_files = [
        entry
        for entry in config.html_js_files
        if (entry[0] if isinstance(entry, (tuple, list)) else entry) != REQUIRE_CONFIG
    ]


def blank_exercises(srcdir: Path) -> list[str]:
    """The hand-out notebooks: ``exercises/NN-KEY.md`` without ``-solutions``."""
    return sorted(
        p.relative_to(srcdir).as_posix()
        for p in (srcdir / "exercises").glob("[0-9][0-9]-*.md")
        if not p.stem.endswith("-solutions")
    )


def _exclude_blank_exercises(app: Any, config: Any) -> None:
    """``config-inited``: MyST-NB does not execute the blank exercise notebooks."""
    patterns = list(config.nb_execution_excludepatterns or [])
    for path in blank_exercises(Path(app.srcdir)):
        if path not in patterns:
            patterns.append(path)
    config.nb_execution_excludepatterns = patterns


def _drop_unused_widget_scripts(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``, before MyST-NB adds a page's scripts: no widget manager or
    widget state on a page that shows no widget (the doctree has its outputs' chosen forms
    by now; at read time it still holds every form of each output)."""
    from docutils import nodes

    data = getattr(app.env, "nb_metadata", {}).get(pagename, {})
    js_files = data.get("js_files") or {}
    if doctree is None or not any(key.startswith("ipywidgets") for key in js_files):
        return
    if any(WIDGET_VIEW in node.astext() for node in doctree.findall(nodes.raw)):
        return
    for key in [k for k in js_files if k.startswith("ipywidgets")]:
        del js_files[key]


def _related(app: Any, docname: str) -> list[str | None]:
    relations = getattr(app, "_kscale_relations", None)
    if relations is None:  # once per build, when pages are written (the toc is complete)
        relations = app.env.collect_relations()
        app._kscale_relations = relations
    return relations.get(docname, [None, None, None])


def _link(app: Any, pagename: str, target: str) -> dict[str, str]:
    """A ``prev``/``next`` entry of the page context, as Sphinx makes it."""
    return {
        "link": app.builder.get_relative_uri(pagename, target),
        "title": app.builder.render_partial(app.env.titles[target])["title"],
    }


def _next_skips_solutions(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: "Next"/"Previous" step over the worked solutions."""
    _parent, prev, nxt = _related(app, pagename)
    if nxt and SOLUTIONS.fullmatch(nxt) and not SOLUTIONS.fullmatch(pagename):
        after = _related(app, nxt)[2]
        context["next"] = _link(app, pagename, after) if after else None
    if prev and SOLUTIONS.fullmatch(prev) and not SOLUTIONS.fullmatch(pagename):
        before = _related(app, prev)[1]
        context["prev"] = _link(app, pagename, before) if before else None


_LAUNCH_PLACEHOLDER = re.compile(r'<span class="kscale-launch">.*?</span>', re.DOTALL)


def _fill_launch_placeholders(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context`` (after the theme's buttons): the explorers' "run it" links."""
    body = context.get("body") or ""
    if "kscale-launch" not in body:
        return
    links = site_launch.run_links_html(app, pagename, context)
    context["body"] = _LAUNCH_PLACEHOLDER.sub(
        lambda _m: f'<span class="kscale-launch">{links}</span>', body
    )


def _dedupe_inline_scripts(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: each inline script body once (see the module docstring)."""
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


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _static_files)
    app.connect("config-inited", _exclude_blank_exercises)
    app.connect("config-inited", site_launch.configure)
    app.connect("html-page-context", _drop_unused_widget_scripts, priority=400)
    app.connect("html-page-context", _next_skips_solutions)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    # The theme adds its download and launch buttons at priority 501.
    app.connect("html-page-context", site_launch.offer_notebook_download, priority=500)
    app.connect("html-page-context", site_launch.point_launch_buttons, priority=502)
    app.connect("html-page-context", _fill_launch_placeholders, priority=503)
    app.connect("build-finished", site_launch.install_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
