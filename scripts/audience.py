"""Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``): who the site is for.

``KSCALE_AUDIENCE`` (set by ``make book AUDIENCE=...``) chooses between two sites built from
the same sources:

* ``teacher`` (the default, also when unset): everything in ``_toc.yml`` — the chapters, the
  labs, the worked solutions and the *For teachers* part;
* ``student``: no answer keys. Each worked-solutions page is replaced by the learner's
  hand-out (``exercises/NN-KEY``, shown without running its checks: a check says nothing
  until the learner runs it), the teacher's pages are left out, and the prerequisites
  notebook moves to the front as *Before you start*. Links to a solutions page go to its
  hand-out; links to a teacher's page become plain text. After the build, any page a
  teacher's build left in the output folder that the student site must not have is deleted.

The student table of contents is derived from ``_toc.yml`` (:func:`student_toc`), so the
two never drift apart.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

import yaml

AUDIENCES = ("teacher", "student")
#: Pages only a teacher's site has (besides the worked solutions).
TEACHER_PAGES = re.compile(r"^book/teachers/")
SOLUTIONS = re.compile(r"^(exercises/\d\d-[\w-]+)-solutions$")
PREREQUISITES = "notebooks/00-prerequisites"
#: The hand-outs are shown, not run, on a student site.
HANDOUT_PATTERNS = ["exercises/*"]


def audience() -> str:
    """``KSCALE_AUDIENCE``, checked (empty: ``teacher``)."""
    value = os.environ.get("KSCALE_AUDIENCE", "").strip() or "teacher"
    if value not in AUDIENCES:
        raise ValueError(f"KSCALE_AUDIENCE must be one of {', '.join(AUDIENCES)}; got {value!r}")
    return value


def _stem(file: str) -> str:
    return re.sub(r"\.(md|ipynb)$", "", file)


def student_page(file: str) -> str | None:
    """What the student site has in place of ``file``: the page itself, its hand-out (for a
    solutions page), or ``None`` (a teacher's page)."""
    stem = _stem(file)
    if TEACHER_PAGES.match(stem):
        return None
    m = SOLUTIONS.match(stem)
    return m.group(1) if m else stem


def student_toc(toc: dict[str, Any]) -> dict[str, Any]:
    """The student site's table of contents, from the teacher's (``_toc.yml`` as a dict)."""

    listed = set(_toc_files(toc))

    def entries(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        kept = []
        for item in items or []:
            if "file" in item:
                page = student_page(item["file"])
                if page is None or _stem(item["file"]) == PREREQUISITES:
                    # a teacher's page goes, and takes its sub-pages with it
                    continue
                if page != _stem(item["file"]) and page in listed:
                    # a solutions page behind its hand-out: the hand-out is there already
                    continue
                item = {**item, "file": page}
                if "sections" in item:
                    item["sections"] = entries(item["sections"])
                    if not item["sections"]:
                        del item["sections"]
            kept.append(item)
        return kept

    out = {k: v for k, v in toc.items() if k not in ("parts", "chapters")}
    has_prerequisites = PREREQUISITES in _toc_files(toc)
    if "parts" in toc:
        parts = [{**part, "chapters": entries(part.get("chapters"))} for part in toc["parts"]]
        parts = [p for p in parts if p["chapters"]]
        if has_prerequisites:
            parts.insert(0, {"caption": "Before you start",
                             "chapters": [{"file": PREREQUISITES}]})
        out["parts"] = parts
    else:
        chapters = entries(toc.get("chapters"))
        out["chapters"] = ([{"file": PREREQUISITES}] if has_prerequisites else []) + chapters
    return out


def _toc_files(toc: dict[str, Any]) -> list[str]:
    files = [_stem(toc["root"])]

    def walk(items: list[dict[str, Any]] | None) -> None:
        for item in items or []:
            if "file" in item:
                files.append(_stem(item["file"]))
            walk(item.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def redirect(refdoc: str, target: str) -> tuple[str, str | None]:
    """Where a ``{doc}`` link from ``refdoc`` to ``target`` goes on the student site:
    ``("doc", page)`` for a page it has, ``("text", None)`` for a teacher's page."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(refdoc), target))
    if target.startswith("/"):
        resolved = target.lstrip("/")
    page = student_page(resolved)
    return ("text", None) if page is None else ("doc", page)


def stale_outputs(outdir: Path, teacher_pages: list[str]) -> list[Path]:
    """Files in ``outdir`` (the HTML folder) that belong to ``teacher_pages`` — left by an
    earlier teacher's build — and must not be published on a student site."""
    found = []
    for page in teacher_pages:
        found += [p for p in (outdir / f"{page}.html", outdir / "_sources" / f"{page}.md",
                              outdir / "_sources" / f"{page}.ipynb",
                              outdir / "_sources" / f"{page}.md.txt")
                  if p.exists()]
    return found


# --- Sphinx hooks ----------------------------------------------------------------------------

def _config_inited(app: Any, config: Any) -> None:
    if audience() != "student":
        return
    teacher_toc = Path(app.srcdir) / config["external_toc_path"]
    toc = yaml.safe_load(teacher_toc.read_text())
    out = Path(app.outdir).parent / "_toc.student.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# Generated by scripts/audience.py from {teacher_toc.name}: the student "
                   "site.\n" + yaml.safe_dump(student_toc(toc), sort_keys=False))
    config["external_toc_path"] = str(out.resolve())
    app._kscale_teacher_only = [p for p in _toc_files(toc) if student_page(p) != p]
    if "nb_execution_excludepatterns" in config:             # MyST-NB runs notebooks
        excluded = list(config["nb_execution_excludepatterns"] or [])
        config["nb_execution_excludepatterns"] = excluded + HANDOUT_PATTERNS


def _missing_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """On a student site, a link to a worked solution goes to the hand-out; one to a
    teacher's page becomes plain text."""
    if audience() != "student" or node.get("reftype") != "doc":
        return None
    kind, page = redirect(node["refdoc"], node["reftarget"])
    if kind == "text":
        return contnode
    if page not in env.all_docs:
        return None
    from docutils import nodes

    if node.get("refexplicit"):
        inner = contnode
    else:
        title = env.titles[page].astext() if page in env.titles else page
        inner = nodes.inline(title, title, classes=["std", "std-doc"])
    uri = app.builder.get_relative_uri(node["refdoc"], page)
    ref = nodes.reference("", "", internal=True, refuri=uri)
    ref += inner
    return ref


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is not None or audience() != "student":
        return
    for path in stale_outputs(Path(app.outdir), getattr(app, "_kscale_teacher_only", [])):
        path.unlink()


def setup(app: Any) -> dict[str, Any]:
    audience()                                   # a bad value fails the build at once
    app.connect("config-inited", _config_inited, priority=100)   # before sphinx-external-toc
    app.connect("missing-reference", _missing_reference)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
