#!/usr/bin/env python3
"""Copy the third-party browser assets the book needs from ``node_modules/`` into ``site_assets/``.

The built website must load nothing from other hosts, so require.js, the Jupyter widget
HTML manager (``@jupyter-widgets/html-manager``, which renders ipywidgets without a kernel)
and MathJax 3 are installed with npm (pinned in ``package-lock.json``) and copied here at
build time. ``site_assets/`` is git-ignored; ``scripts/site_fixes.py`` adds it to Sphinx's
``html_static_path`` (not ``_config.yml``: Jupyter Book would add every ``.js`` file in it,
all of MathJax, to every page), so Sphinx copies its content into ``_build/html/_static/``.
The course's own assets (style sheet, page helpers, favicon, require.js configuration) are
tracked files in ``_static/``.

Layout produced (all relative to ``site_assets/``)::

    require.js                   requirejs (AMD loader used by the widget manager)
    html-manager/embed-amd.js    widget manager + its webpack chunks and icon fonts
    mathjax/es5/...              MathJax 3 (tex-mml-chtml.js and everything it loads)

Usage: ``python scripts/site_assets.py`` from anywhere (run ``npm ci`` first).
Only the standard library is used.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
DEST = ROOT / "site_assets"

HTML_MANAGER_DIST = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"
REQUIREJS = NODE_MODULES / "requirejs" / "require.js"
MATHJAX_ES5 = NODE_MODULES / "mathjax" / "es5"

# Everything embed-amd.js may request at run time: the AMD bundles and the webpack
# assets (Font Awesome / Lumino icon fonts) named by content hash.
HTML_MANAGER_SUFFIXES = {".js", ".woff", ".woff2", ".ttf", ".eot", ".svg", ".txt"}
HTML_MANAGER_SKIP = {"embed.js"}  # the non-AMD bundle; the site uses embed-amd.js


def fail(message: str) -> None:
    print(f"site_assets.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def check_sources() -> None:
    if not NODE_MODULES.is_dir():
        fail(f"{NODE_MODULES} is missing: run `npm ci` in {ROOT} first (or `make setup`).")
    missing = [
        str(p.relative_to(ROOT))
        for p in (HTML_MANAGER_DIST / "embed-amd.js", REQUIREJS, MATHJAX_ES5 / "tex-mml-chtml.js")
        if not p.exists()
    ]
    if missing:
        fail(
            "node_modules is incomplete (missing "
            + ", ".join(missing)
            + "): run `npm ci` to reinstall the packages pinned in package-lock.json."
        )


def copy_assets() -> int:
    if DEST.exists():
        shutil.rmtree(DEST)
    DEST.mkdir()

    shutil.copy2(REQUIREJS, DEST / "require.js")

    manager = DEST / "html-manager"
    manager.mkdir()
    for src in sorted(HTML_MANAGER_DIST.iterdir()):
        if (
            src.is_file()
            and src.suffix in HTML_MANAGER_SUFFIXES
            and src.name not in HTML_MANAGER_SKIP
        ):
            shutil.copy2(src, manager / src.name)

    shutil.copytree(MATHJAX_ES5, DEST / "mathjax" / "es5")
    for licence in ("LICENSE",):
        src = MATHJAX_ES5.parent / licence
        if src.exists():
            shutil.copy2(src, DEST / "mathjax" / licence)

    return sum(1 for p in DEST.rglob("*") if p.is_file())


def main() -> int:
    check_sources()
    count = copy_assets()
    print(f"site_assets.py: copied {count} files into {DEST.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
