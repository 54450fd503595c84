"""The built website: it builds with warnings as errors, has every page in _toc.yml, and is
self-contained (no script, style sheet, font, image or frame from another host).

Links (``<a href>``) to external documentation are fine; resources are not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import toc_pages

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.book

# Tag -> attributes that make the browser fetch something.
RESOURCE_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
# <link rel=...> values that are navigation, not something the page loads.
NAV_RELS = {
    "prev",
    "next",
    "index",
    "search",
    "canonical",
    "alternate",
    "author",
    "license",
    "help",
    "top",
    "up",
    "first",
    "last",
    "copyright",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
# HTML written from JavaScript strings, e.g. '<script src="https://cdn...">'.
JS_TAG_URL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*\\?['"]?((?:https?:)?//[^'"\s\\>]+)""",
    re.IGNORECASE,
)


def is_external(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in {"http", "https", "ftp", "ws", "wss"}


def is_inline(url: str) -> bool:
    return (
        urlsplit(url.strip()).scheme in {"data", "blob", "about", "javascript"}
        or url.strip().startswith("#")
        or not url.strip()
    )


def srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


class ResourceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[str, str]] = []  # (tag, url)
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if values.get("style"):
            self.inline_css.append(values["style"])
        if tag == "style":
            self._in_style = True
        if (
            tag == "link"
            and set(values.get("rel", "").lower().split()) <= NAV_RELS
            and values.get("rel")
        ):
            return
        for attr in RESOURCE_ATTRS.get(tag, ()):
            value = values.get(attr)
            if not value:
                continue
            urls = srcset_urls(value) if attr == "srcset" else [value]
            self.resources.extend((f"<{tag} {attr}>", url) for url in urls)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)




def lab_pages() -> list[str]:
    return [page for page in toc_pages() if page.startswith("notebooks/")]


def css_urls(text: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(text)]


def local_target(html_dir: Path, referrer: Path, url: str) -> Path | None:
    path = unquote(urlsplit(url).path)
    if not path:
        return None
    base = html_dir if path.startswith("/") else referrer.parent
    return (base / path.lstrip("/")).resolve()


def test_build_succeeds(book_build) -> None:  # conftest.BookBuild
    assert book_build.returncode == 0, (
        f"jupyter-book build -W -n --keep-going exited {book_build.returncode}:\n"
        + book_build.log_tail()
    )


def test_every_toc_page_is_built(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    missing = [page for page in toc_pages() if not (built_site / f"{page}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"


def test_site_loads_nothing_from_other_hosts(built_site: Path) -> None:
    """Scan every page, and every .js/.css file a page or style sheet loads, for resources
    on other hosts; also report local resources that do not exist."""
    html_dir = built_site.resolve()
    external: list[str] = []
    broken: list[str] = []
    # Pages only: the themes also leave Jinja macro files (*.html) in _static/.
    queue: list[Path] = sorted(
        p for p in html_dir.rglob("*.html") if p.relative_to(html_dir).parts[0] != "_static"
    )
    seen: set[Path] = set(queue)

    def follow(referrer: Path, kind: str, url: str) -> None:
        if is_inline(url):
            return
        rel = referrer.relative_to(html_dir)
        if is_external(url):
            external.append(f"{rel}: {kind} {url}")
            return
        target = local_target(html_dir, referrer, url)
        if target is None:
            return
        if not target.exists():
            broken.append(f"{rel}: {kind} {url}")
        elif target.suffix in {".js", ".css"} and target not in seen:
            seen.add(target)
            queue.append(target)

    while queue:
        path = queue.pop()
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            parser = ResourceParser()
            parser.feed(text)
            for kind, url in parser.resources:
                follow(path, kind, url)
            for css in parser.inline_css:
                for url in css_urls(css):
                    follow(path, "inline css url()", url)
        elif path.suffix == ".css":
            for url in css_urls(text):
                follow(path, "css url()", url)
        elif path.suffix == ".js":
            for url in JS_TAG_URL.findall(text):
                external.append(f"{path.relative_to(html_dir)}: tag written by js {url}")

    assert not external, "resources loaded from other hosts:\n" + "\n".join(sorted(external))
    assert not broken, "local resources that are missing:\n" + "\n".join(sorted(broken))


def test_math_is_rendered_by_local_mathjax(built_site: Path) -> None:
    page = (built_site / f"{toc_pages()[0]}.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]+src="[^"]*_static/mathjax/es5/tex-mml-chtml\.js', page)
    assert (
        built_site / "_static" / "mathjax" / "es5" / "output" / "chtml" / "fonts" / "woff-v2"
    ).is_dir()


@pytest.mark.parametrize("page", lab_pages())
def test_lab_page_embeds_widgets_locally(built_site: Path, page: str) -> None:
    text = (built_site / f"{page}.html").read_text(encoding="utf-8")
    assert 'type="application/vnd.jupyter.widget-state+json"' in text, (
        f"{page}: no saved widget state; the lab's widgets would be missing from the website"
    )
    assert "application/vnd.jupyter.widget-view+json" in text, f"{page}: no widget views"
    embed = re.search(r'<script[^>]*\bsrc="([^"]*html-manager/embed-amd\.js)[^"]*"[^>]*>', text)
    assert embed, f"{page}: the widget manager embed-amd.js is not loaded"
    assert not is_external(embed.group(1)), f"{page}: embed-amd.js comes from {embed.group(1)}"
    assert 'data-jupyter-widgets-cdn-only="true"' in embed.group(0)
    for script in ("require.js", "require-config.js"):
        assert re.search(rf'<script[^>]*\bsrc="[^"]*_static/{re.escape(script)}', text), (
            f"{page}: {script} is not loaded"
        )
    html_manager = built_site / "_static" / "html-manager"
    assert (html_manager / "embed-amd.js").is_file()
    assert list(html_manager.glob("*.woff2")), "widget icon fonts were not copied"
