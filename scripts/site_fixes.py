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
"""

from __future__ import annotations

import re
from typing import Any


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


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    app.connect("doctree-resolved", _alt_text_for_images)
    app.add_js_file(None, body=_WIDGET_IMAGE_ALT_JS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
