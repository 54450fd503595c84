"""The built website in a real browser (headless Debian Chromium driven by Playwright).

The built HTML folder is served by ``http.server`` on 127.0.0.1 (a free port, a background
thread). Each page in ``_toc.yml`` is visited once and what happened is recorded (status,
title, console messages, page errors, every request, every image); the tests below then check
that record. Every internal link and anchor is checked without a browser, by parsing the HTML.

Screenshots of the heartbeat chapter (desktop and phone) are saved into ``test-artifacts/``.

Nothing here sleeps: every wait is for a condition, with a generous timeout.
"""

from __future__ import annotations

import dataclasses
import http.server
import re
import threading
from collections.abc import Callable, Iterator
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import toc_pages
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# Generous: a loaded 2-core machine can take a while to typeset math and render widgets.
TIMEOUT_MS = 60_000

# Console errors and page errors that are known and harmless, as (regex, why it is harmless).
# Keep this list empty unless a message cannot be fixed on our side.
ALLOWED_CONSOLE_ERRORS: list[tuple[str, str]] = []




def is_allowed(message: str) -> bool:
    return any(re.search(pattern, message) for pattern, _why in ALLOWED_CONSOLE_ERRORS)


# --- the local web server ----------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    """``http://127.0.0.1:<free port>/`` serving the built site, for the module's duration."""
    handler = partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def is_local(url: str, base: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.scheme == "http" and parts.netloc == urlsplit(base).netloc


# --- one visit per page ------------------------------------------------------------------------


@dataclasses.dataclass
class Visit:
    page: str
    status: int | None
    title: str = ""
    h1: str = ""
    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)  # local 4xx/5xx or aborted
    images: list[dict] = dataclasses.field(default_factory=list)


# Waits for whatever the page renders after "load": MathJax's first typeset, and the widgets
# from the saved widget state (embed-amd.js puts each view in a new div.widget-subarea).
_SETTLED = """() => {
  const views = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const areas = [...document.querySelectorAll('.widget-subarea')];
  return areas.length >= views && areas.every(a => a.childElementCount > 0);
}"""
# MathJax is loaded "async", so it has started by "load"; its promise settles after typesetting.
_MATHJAX_WATCH = """() => {
  const typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (!typeset) { window.__kscaleMathDone = true; return; }
  typeset.then(() => { window.__kscaleMathDone = true; },
                (error) => { window.__kscaleMathDone = 'failed: ' + error; });
}"""
_MATHJAX_DONE = "() => window.__kscaleMathDone"


def wait_for_math(tab) -> None:
    tab.evaluate(_MATHJAX_WATCH)
    done = tab.wait_for_function(_MATHJAX_DONE, timeout=TIMEOUT_MS).json_value()
    assert done is True, f"MathJax did not typeset the page: {done}"


_IMAGES_DONE = "() => [...document.images].every(img => img.complete)"
_IMAGES = """() => [...document.images].map(img => {
  const figure = img.closest('figure');
  const caption = figure ? figure.querySelector('figcaption') : null;
  return {src: (img.currentSrc || img.src).slice(0, 120), complete: img.complete,
          naturalWidth: img.naturalWidth, alt: (img.getAttribute('alt') || '').trim(),
          caption: caption ? caption.textContent.trim() : ''};
})"""
_H1 = """() => {
  const h1 = document.querySelector('main h1, article h1, h1');
  if (!h1) return '';
  const copy = h1.cloneNode(true);
  copy.querySelectorAll('.headerlink, .section-number').forEach(e => e.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim();
}"""


def visit(browser, base: str, page: str) -> Visit:  # browser: playwright Browser
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    record = Visit(page=page, status=None)
    try:
        context.set_default_timeout(TIMEOUT_MS)

        def on_response(response) -> None:
            if response.status >= 400:
                record.failed.append(f"{response.status} {response.url}")

        def on_request_failed(request) -> None:
            if is_local(request.url, base):
                record.failed.append(f"{request.failure} {request.url}")

        def on_console(message) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                record.console_errors.append(f"{message.text} [{where}]")

        context.on("request", lambda request: record.requests.append(request.url))
        # Record requests to other hosts (above) and refuse them, so nothing waits on a network.
        context.route(lambda url: not is_local(url, base), lambda route: route.abort())
        context.on("response", on_response)
        context.on("requestfailed", on_request_failed)
        tab = context.new_page()
        tab.on("console", on_console)
        tab.on("pageerror", lambda error: record.page_errors.append(str(error)))

        response = tab.goto(urljoin(base, f"{page}.html"), wait_until="load")
        record.status = response.status if response else None
        tab.wait_for_load_state("networkidle")
        wait_for_math(tab)
        try:
            tab.wait_for_function(_SETTLED, timeout=TIMEOUT_MS)
        except PlaywrightTimeoutError:  # reported by the tests, with the page errors
            record.page_errors.append("the saved widgets did not render within 60 s")
        # Load lazy images too, then wait until every image has loaded (or failed).
        tab.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        tab.wait_for_function(_IMAGES_DONE, timeout=TIMEOUT_MS)
        tab.wait_for_load_state("networkidle")
        record.title = tab.title()
        record.h1 = tab.evaluate(_H1)
        record.images = tab.evaluate(_IMAGES)
    finally:
        context.close()
    return record


@pytest.fixture(scope="module")
def visits(chromium_browser, site_url: str) -> Callable[[str], Visit]:
    """``visits(page)``: the record of visiting a page (each page is visited once)."""
    cache: dict[str, Visit] = {}

    def get(page: str) -> Visit:
        if page not in cache:
            cache[page] = visit(chromium_browser, site_url, page)
        return cache[page]

    return get


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", toc_pages())
def test_page_loads_with_title_and_no_errors(visits, page: str) -> None:
    v = visits(page)
    assert v.status == 200, f"{page}.html answered HTTP {v.status}"
    assert v.h1, f"{page}: no <h1> on the page"
    assert v.h1 in v.title, f"{page}: the title {v.title!r} does not contain the h1 {v.h1!r}"
    errors = [e for e in v.console_errors + v.page_errors if not is_allowed(e)]
    assert not errors, f"{page}: console or page errors:\n" + "\n".join(errors)
    assert not v.failed, f"{page}: local requests that failed:\n" + "\n".join(v.failed)


@pytest.mark.parametrize("page", toc_pages())
def test_page_images_load_and_are_described(visits, page: str) -> None:
    v = visits(page)
    broken = [img["src"] for img in v.images if not img["naturalWidth"]]
    assert not broken, f"{page}: images that did not load:\n" + "\n".join(broken)
    undescribed = [
        img["src"]
        for img in v.images
        if not (img["alt"] and not looks_like_a_file_name(img["alt"])) and not img["caption"]
    ]
    assert not undescribed, (
        f"{page}: images with neither alt text nor a figure caption:\n" + "\n".join(undescribed)
    )


def looks_like_a_file_name(alt: str) -> bool:
    """Sphinx uses the image's path as alt text when there is none (``../_images/x.png``)."""
    return bool(re.fullmatch(r"\S+\.(png|jpe?g|svg|gif|webp)", alt, re.IGNORECASE))


@pytest.mark.parametrize("page", toc_pages())
def test_page_requests_only_the_local_server(visits, site_url: str, page: str) -> None:
    v = visits(page)
    assert v.requests, f"{page}: no request recorded"
    offending = sorted({url for url in v.requests if not is_local(url, site_url)})
    assert not offending, f"{page}: requests to other hosts:\n" + "\n".join(offending)


def test_search_finds_the_heartbeat_chapter(chromium_browser, site_url: str) -> None:
    context = chromium_browser.new_context()
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not is_local(url, site_url), lambda route: route.abort())
        tab = context.new_page()
        tab.goto(urljoin(site_url, "search.html?q=Lease"), wait_until="load")
        found = "/book/02-heartbeats.html"
        try:
            tab.wait_for_function(
                """(path) => [...document.querySelectorAll('#search-results a[href]')]
                      .some(a => new URL(a.href).pathname === path)""",
                arg=found,
                timeout=TIMEOUT_MS,
            )
        except PlaywrightTimeoutError:
            results = tab.locator("#search-results").all_inner_texts()
            pytest.fail(f"searching 'Lease' did not list {found}; results: {results}")
    finally:
        context.close()


def test_lab_page_shows_a_slider(chromium_browser, site_url: str) -> None:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not is_local(url, site_url), lambda route: route.abort())
        tab = context.new_page()
        tab.goto(urljoin(site_url, "notebooks/02-heartbeats.html"), wait_until="load")
        slider = tab.locator(".widget-slider").first
        slider.scroll_into_view_if_needed()
        slider.wait_for(state="visible")
        box = slider.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 5, f"slider is tiny: {box}"
    finally:
        context.close()


CHAPTER_PAGES = [p for p in toc_pages() if re.match(r"book/\d\d-", p)]


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_sweep_player_moves_without_a_kernel(chromium_browser, site_url, page) -> None:
    """Every chapter has a sweep player; moving its slider shows another precomputed frame."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not is_local(url, site_url), lambda route: route.abort())
        tab = context.new_page()
        tab.goto(urljoin(site_url, f"{page}.html"), wait_until="load")
        frame = tab.locator("img[id^='_anim_img']").first
        assert frame.count() == 1, f"{page}: no sweep player on the page"
        slider = tab.locator("input[type=range][id^='_anim_slider']").first
        slider.scroll_into_view_if_needed()
        before = frame.get_attribute("src")
        slider.focus()
        tab.keyboard.press("End")
        tab.wait_for_function(
            "([el, src]) => el.getAttribute('src') !== src", arg=[frame.element_handle(), before]
        )
        assert frame.evaluate("el => el.naturalWidth") > 0
    finally:
        context.close()


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_fits_a_phone(chromium_browser, site_url: str, page: str) -> None:
    """At 390 px nothing in a chapter (long inline paths, tables) widens the page."""
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844},
                                           is_mobile=True, has_touch=True)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not is_local(url, site_url), lambda route: route.abort())
        tab = context.new_page()
        tab.goto(urljoin(site_url, f"{page}.html"), wait_until="load")
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{page} scrolls sideways on a phone: {width} px wide"
    finally:
        context.close()


@pytest.mark.parametrize(
    "name, viewport",
    [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})],
)
def test_screenshot_heartbeat_chapter(chromium_browser, site_url: str, name, viewport) -> None:
    phone = name == "phone"
    context = chromium_browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not is_local(url, site_url), lambda route: route.abort())
        tab = context.new_page()
        tab.goto(urljoin(site_url, "book/02-heartbeats.html"), wait_until="load")
        tab.wait_for_load_state("networkidle")
        wait_for_math(tab)
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"02-heartbeats-{name}.png"
        tab.screenshot(path=str(path))
        assert path.stat().st_size > 10_000, f"{path} is suspiciously small"
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the page scrolls sideways: {width} px wide"
    finally:
        context.close()


# --- links and anchors, from the HTML alone ----------------------------------------------------


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        if tag in {"a", "area"} and "href" in values:
            self.hrefs.append(values["href"])


def test_internal_links_and_anchors_resolve(built_site: Path) -> None:
    html_dir = built_site.resolve()
    pages = sorted(
        p for p in html_dir.rglob("*.html") if p.relative_to(html_dir).parts[0] != "_static"
    )
    parsed: dict[Path, _LinkParser] = {}

    def parse(path: Path) -> _LinkParser:
        if path not in parsed:
            parser = _LinkParser()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            parsed[path] = parser
        return parsed[path]

    problems: list[str] = []
    for page in pages:
        for href in parse(page).hrefs:
            parts = urlsplit(href.strip())
            if parts.scheme or parts.netloc or href.strip().startswith("//"):
                continue  # external, mailto:, javascript:, data: ...
            rel = page.relative_to(html_dir)
            if parts.path:
                path = unquote(parts.path)
                target = (html_dir if path.startswith("/") else page.parent) / path.lstrip("/")
                target = target.resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    problems.append(f"{rel}: {href} -> missing file")
                    continue
            else:
                target = page
            anchor = unquote(parts.fragment)
            if anchor and target.suffix == ".html" and anchor not in parse(target).ids:
                problems.append(f"{rel}: {href} -> no id {anchor!r} in {target.name}")
    assert not problems, "broken internal links:\n" + "\n".join(sorted(set(problems)))
