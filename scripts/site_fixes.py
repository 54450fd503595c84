"""Sphinx extension (loaded through ``sphinx.local_extensions`` in ``_config.yml``).

Small fixes so the built pages load cleanly in a browser, with no console errors:

* Drop duplicate inline ``<script>`` bodies. Sphinx 7.4 registers inline scripts added
  after the builder starts (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's
  selector) twice, as ``filename=None`` and ``filename=''``, so the page declares the same
  ``const`` twice and the browser reports "Identifier 'THEBE_JS_URL' has already been declared".
"""

from __future__ import annotations

from typing import Any


def _dedupe_inline_scripts(app: Any, pagename: str, templatename: str,
                           context: dict[str, Any], doctree: Any) -> None:
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
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
