#!/usr/bin/env python3
"""Make JupyterLab open the course's MyST Markdown notebooks (``.md``) as notebooks.

The labs and exercises are kept as MyST Markdown (``notebooks/*.md``, ``exercises/*.md``;
``book/*.md`` too). jupytext (the ``labs`` extra) lets JupyterLab read and save them as
notebooks; this script makes that the default viewer, by writing JupyterLab's setting
overrides into the *environment* it runs in (never into the repository or your home):

    {sys.prefix}/share/jupyter/lab/settings/overrides.d/kscale-lab.json

``make setup`` runs it in ``.venv``; Binder runs it from ``postBuild``; on a JupyterHub, run
it with the image's Python after installing the course. A Markdown file can still be opened
as text with *Open With → Editor*. Your own ``overrides.json`` beside it wins over this file.

    python scripts/lab_settings.py           write the overrides
    python scripts/lab_settings.py --check   exit 1 if they are missing or different
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: jupytext's JupyterLab document factory (``jupyterlab-jupytext``'s ``FACTORY``).
FACTORY = "Jupytext Notebook"
#: JupyterLab file types of the course's text notebooks: ``.md`` is "markdown"; jupytext
#: registers "myst" for ``.myst``/``.mystnb``.
OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"markdown": FACTORY, "myst": FACTORY},
    },
}


def overrides_path(prefix: str | Path = sys.prefix) -> Path:
    """Where JupyterLab (``jupyterlab_server``) reads package setting overrides in ``prefix``."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / \
        "kscale-lab.json"


def text() -> str:
    """The overrides file's content."""
    return json.dumps(OVERRIDES, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the overrides are missing or differ")
    parser.add_argument("--prefix", default=sys.prefix,
                        help="the environment to configure (default: this Python's)")
    args = parser.parse_args(argv)
    path = overrides_path(args.prefix)
    if args.check:
        ok = path.is_file() and path.read_text(encoding="utf-8") == text()
        if not ok:
            print(f"{path} is missing or out of date: run `make setup` "
                  "(or python scripts/lab_settings.py)", file=sys.stderr)
        return 0 if ok else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text(), encoding="utf-8")
    print(f"JupyterLab opens MyST Markdown as notebooks: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
