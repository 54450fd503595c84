"""The built website in a real browser, used the way a reader uses it, at 390 px and 1280 px.

The built HTML folder is served by ``http.server`` on 127.0.0.1 (port 0: the server picks a
free port and says which). Each page of ``_toc.yml`` is visited once per width and what
happened is recorded — status, title, console messages, page errors, every request, every
image with its drawn and natural size, the smallest body text — and a full-page screenshot is
saved into ``test-artifacts/<width>/`` (git-ignored). The tests below check that record, and
drive the pages: the menu and "On this page" by tap, click and keyboard, every slider on
every page, the sweep players, search, and printing.

Nothing here sleeps and nothing waits for "network idle": every wait is for a condition (the
load event, web fonts, MathJax's typesetting, every image), with a generous timeout.
"""

from __future__ import annotations

import dataclasses
import http.server
import re
import struct
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import toc_pages
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from kscale_lab import style

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"   # git-ignored

# Generous: a loaded 2-core machine can take a while to typeset math and draw images.
TIMEOUT_MS = 60_000
WIDTHS = {"phone": 390, "desktop": 1280}
VIEWPORTS = {
    "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
    "desktop": dict(viewport={"width": 1280, "height": 900}),
}

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
    """``http://127.0.0.1:<port>/`` serving the built site; the server binds port 0 and
    reports the port it got, so two test runs never race for one."""
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


def new_tab(browser, base: str, width: str):
    """A fresh context at ``width`` ("phone" or "desktop") that refuses other hosts."""
    context = browser.new_context(**VIEWPORTS[width])
    context.set_default_timeout(TIMEOUT_MS)
    context.route(lambda url: not is_local(url, base), lambda route: route.abort())
    return context, context.new_page()


# --- waiting for a page to be complete ----------------------------------------------------------

# MathJax is loaded "defer", so it has started by "load"; its promise settles after typesetting.
_MATHJAX_WATCH = """() => {
  const typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (!typeset) { window.__kscaleMathDone = true; return; }
  typeset.then(() => { window.__kscaleMathDone = true; },
                (error) => { window.__kscaleMathDone = 'failed: ' + error; });
}"""
_MATHJAX_DONE = "() => window.__kscaleMathDone"
_IMAGES_DONE = "() => [...document.images].every(img => img.complete)"


def settle(tab) -> None:
    """Wait until the page is drawn: web fonts, typeset math, every image loaded."""
    tab.evaluate("() => document.fonts.ready.then(() => true)")
    tab.evaluate(_MATHJAX_WATCH)
    done = tab.wait_for_function(_MATHJAX_DONE, timeout=TIMEOUT_MS).json_value()
    assert done is True, f"MathJax did not typeset the page: {done}"
    tab.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    tab.wait_for_function(_IMAGES_DONE, timeout=TIMEOUT_MS)


# --- one visit per page and width ---------------------------------------------------------------


@dataclasses.dataclass
class Visit:
    page: str
    width: str
    status: int | None = None
    title: str = ""
    h1: str = ""
    scroll_width: int = 0
    body_min_px: float = 0.0
    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)  # local 4xx/5xx or aborted
    images: list[dict] = dataclasses.field(default_factory=list)
    screenshot: Path | None = None


_IMAGES = """() => [...document.querySelectorAll('article img')].map(img => {
  const src = img.currentSrc || img.src;
  return {src: src.slice(0, 100), svg: /\\.svg($|\\?)/.test(src), naturalWidth: img.naturalWidth,
          drawnWidth: img.getBoundingClientRect().width, alt: img.getAttribute('alt') || ''};
})"""
# The smallest text a reader of the page's body meets (paragraphs, lists, tables, code).
_BODY_MIN_PX = """() => {
  let min = Infinity;
  for (const el of document.querySelectorAll('article *')) {
    if (el.closest('figure, .kscale-scroll, svg, mjx-container')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    min = Math.min(min, parseFloat(cs.fontSize));
  }
  return min;
}"""
_H1 = """() => {
  const h1 = document.querySelector('main h1, article h1, h1');
  if (!h1) return '';
  const copy = h1.cloneNode(true);
  copy.querySelectorAll('.headerlink, .section-number').forEach(e => e.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim();
}"""


def visit(browser, base: str, page: str, width: str) -> Visit:
    record = Visit(page=page, width=width)
    context, tab = new_tab(browser, base, width)
    try:
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
        context.on("response", on_response)
        context.on("requestfailed", on_request_failed)
        tab.on("console", on_console)
        tab.on("pageerror", lambda error: record.page_errors.append(str(error)))

        response = tab.goto(urljoin(base, f"{page}.html"), wait_until="load")
        record.status = response.status if response else None
        settle(tab)
        record.title = tab.title()
        record.h1 = tab.evaluate(_H1)
        record.images = tab.evaluate(_IMAGES)
        record.body_min_px = tab.evaluate(_BODY_MIN_PX)
        record.scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        shot = ARTIFACTS / str(WIDTHS[width]) / f"{page.replace('/', '--')}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(shot), full_page=True)
        record.screenshot = shot
    finally:
        context.close()
    return record


@pytest.fixture(scope="module")
def visits(chromium_browser, site_url: str) -> Callable[[str, str], Visit]:
    """``visits(page, width)``: the record of visiting a page (each visited once per width)."""
    cache: dict[tuple[str, str], Visit] = {}

    def get(page: str, width: str) -> Visit:
        if (page, width) not in cache:
            cache[page, width] = visit(chromium_browser, site_url, page, width)
        return cache[page, width]

    return get


PAGE_WIDTHS = [(page, width) for page in toc_pages() for width in WIDTHS]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


# --- every page, at both widths -----------------------------------------------------------------


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_page_loads_with_title_and_no_errors(visits, page: str, width: str) -> None:
    v = visits(page, width)
    assert v.status == 200, f"{page}.html answered HTTP {v.status}"
    assert v.h1, f"{page}: no <h1> on the page"
    assert v.h1 in v.title, f"{page}: the title {v.title!r} does not contain the h1 {v.h1!r}"
    errors = [e for e in v.console_errors + v.page_errors if not is_allowed(e)]
    assert not errors, f"{page} ({width}): console or page errors:\n" + "\n".join(errors)
    assert not v.failed, f"{page} ({width}): local requests that failed:\n" + "\n".join(v.failed)


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_page_requests_only_the_local_server(visits, site_url: str, page: str,
                                             width: str) -> None:
    v = visits(page, width)
    assert v.requests, f"{page}: no request recorded"
    offending = sorted({url for url in v.requests if not is_local(url, site_url)})
    assert not offending, f"{page} ({width}): requests to other hosts:\n" + "\n".join(offending)


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_page_images_load(visits, page: str, width: str) -> None:
    broken = [img["src"] for img in visits(page, width).images if not img["naturalWidth"]]
    assert not broken, f"{page} ({width}): images that did not load:\n" + "\n".join(broken)


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_page_fits_the_screen(visits, page: str, width: str) -> None:
    """Nothing (a long path, a table, a figure) makes the page scroll sideways."""
    v = visits(page, width)
    assert v.scroll_width <= WIDTHS[width], f"{page}: {v.scroll_width} px wide at {width}"


@pytest.mark.parametrize("page", toc_pages())
def test_figure_text_is_as_large_as_the_body_text_on_a_phone(visits, page: str) -> None:
    """At 390 px, no figure is drawn so small that its smallest text (style.MIN_FONT_PT, the
    course's figure standard; tests/test_diagrams.py checks the figures keep to it) is smaller
    than the body's smallest text: wide figures scroll sideways instead of shrinking."""
    v = visits(page, "phone")
    small = []
    for img in v.images:
        if img["naturalWidth"] < 200:           # icons
            continue
        pixels_per_point = (96 if img["svg"] else style.DPI) / 72
        scale = img["drawnWidth"] / img["naturalWidth"]
        text_px = style.MIN_FONT_PT * pixels_per_point * scale
        if text_px < v.body_min_px - 0.05:
            small.append(f"{img['src']}: figure text {text_px:.1f} px, body text "
                         f"{v.body_min_px:.1f} px (drawn at {scale:.0%})")
    assert not small, f"{page}: figures too small to read on a phone:\n" + "\n".join(small)


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_page_screenshot_is_saved_for_review(visits, page: str, width: str) -> None:
    v = visits(page, width)
    assert v.screenshot is not None and v.screenshot.is_file()
    assert v.screenshot.is_relative_to(ARTIFACTS)
    shot_width, shot_height = png_size(v.screenshot)
    assert shot_width == WIDTHS[width] and shot_height >= VIEWPORTS[width]["viewport"]["height"]


# --- every slider on every page -----------------------------------------------------------------

# Every control a reader could drag: range inputs (the sweep players) and widget sliders.
_SLIDERS = """() => [...document.querySelectorAll(
    'article input[type=range], article .widget-slider')].map((el, i) => {
  el.setAttribute('data-kscale-slider', i);
  return i;
})"""
# What a reader sees change: every image's source and every output's text.
_PAGE_STATE = """() => [...document.querySelectorAll('article img')].map(i => i.src.length + ':' +
  i.src.slice(-64)).join('|') + '#' + [...document.querySelectorAll(
  'article .cell_output, article .anim-controls')].map(o => o.textContent).join('|')"""
_VISIBLY_DISABLED = """(el) => {
  const input = el.matches('input') ? el : el.querySelector('input, .noUi-target, [disabled]');
  const disabled = el.disabled || el.getAttribute('aria-disabled') === 'true' ||
      (input && (input.disabled || input.hasAttribute('disabled')));
  const cs = getComputedStyle(el);
  return Boolean(disabled) && (parseFloat(cs.opacity) < 1 || cs.cursor === 'not-allowed' ||
      cs.filter.includes('grayscale'));
}"""


@pytest.mark.parametrize("page, width", PAGE_WIDTHS)
def test_every_slider_changes_the_page_or_is_visibly_disabled(chromium_browser, site_url,
                                                              page: str, width: str) -> None:
    """On the static site a slider that moves while nothing recomputes is a lie."""
    context, tab = new_tab(chromium_browser, site_url, width)
    try:
        tab.goto(urljoin(site_url, f"{page}.html"), wait_until="load")
        settle(tab)
        dead = []
        for index in tab.evaluate(_SLIDERS):
            slider = tab.locator(f"[data-kscale-slider='{index}']")
            if tab.evaluate(_VISIBLY_DISABLED, slider.element_handle()):
                continue
            before = tab.evaluate(_PAGE_STATE)
            slider.scroll_into_view_if_needed()
            handle = slider.locator(".noUi-handle")
            (handle.first if handle.count() else slider).focus()
            tab.keyboard.press("End")
            try:
                tab.wait_for_function(f"(before) => ({_PAGE_STATE})() !== before", arg=before,
                                      timeout=10_000)
            except PlaywrightTimeoutError:
                dead.append(f"slider {index}: moved, and nothing on the page changed")
        assert not dead, f"{page} ({width}):\n" + "\n".join(dead)
    finally:
        context.close()


# --- navigation: the menu and "On this page" ---------------------------------------------------

_IN_VIEW = """(el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
  return cs.visibility !== 'hidden' && cs.display !== 'none' && r.width > 0 && r.height > 0
         && r.right > 0 && r.left < window.innerWidth; }"""
PAGE = "book/02-heartbeats"


def in_view(tab, selector: str) -> bool:
    element = tab.query_selector(selector)
    return bool(element) and tab.evaluate(_IN_VIEW, element)


@pytest.mark.parametrize("how", ["tap", "keyboard"])
def test_phone_menu_opens_and_a_chapter_in_it_can_be_followed(chromium_browser, site_url,
                                                              how: str) -> None:
    context, tab = new_tab(chromium_browser, site_url, "phone")
    try:
        tab.goto(urljoin(site_url, f"{PAGE}.html"), wait_until="load")
        menu = "dialog#pst-primary-sidebar-modal"
        assert not in_view(tab, menu), "the menu is open before it is asked for"
        toggle = tab.locator("button.primary-toggle:visible").first
        if how == "tap":
            toggle.tap()
        else:
            toggle.focus()
            tab.keyboard.press("Enter")
        tab.wait_for_function(f"(sel) => ({_IN_VIEW})(document.querySelector(sel))", arg=menu)
        link = tab.locator(f"{menu} nav a.reference", has_text="Scalability is multi-dimensional")
        assert link.count() >= 1, "the chapter list is not in the opened menu"
        with tab.expect_navigation():
            if how == "tap":
                link.first.tap()
            else:
                link.first.focus()
                tab.keyboard.press("Enter")
        assert urlsplit(tab.url).path.endswith("/book/01-envelope.html")
    finally:
        context.close()


def test_phone_menu_closes_with_escape(chromium_browser, site_url) -> None:
    context, tab = new_tab(chromium_browser, site_url, "phone")
    try:
        tab.goto(urljoin(site_url, f"{PAGE}.html"), wait_until="load")
        menu = "dialog#pst-primary-sidebar-modal"
        tab.locator("button.primary-toggle:visible").first.tap()
        tab.wait_for_function(f"(sel) => ({_IN_VIEW})(document.querySelector(sel))", arg=menu)
        tab.keyboard.press("Escape")
        tab.wait_for_function(f"(sel) => !({_IN_VIEW})(document.querySelector(sel))", arg=menu)
    finally:
        context.close()


def test_phone_on_this_page_opens_with_the_sections(chromium_browser, site_url) -> None:
    context, tab = new_tab(chromium_browser, site_url, "phone")
    try:
        tab.goto(urljoin(site_url, f"{PAGE}.html"), wait_until="load")
        panel = "dialog#pst-secondary-sidebar-modal"
        assert not in_view(tab, panel)
        tab.locator("button.secondary-toggle:visible").first.tap()
        tab.wait_for_function(f"(sel) => ({_IN_VIEW})(document.querySelector(sel))", arg=panel)
        sections = tab.locator(f"{panel} a", has_text="At cluster scale")
        assert sections.count() >= 1, "'On this page' does not list the chapter's sections"
        sections.first.tap()
        tab.wait_for_function("() => location.hash === '#at-cluster-scale'")
    finally:
        context.close()


def test_desktop_menu_collapses_and_comes_back(chromium_browser, site_url) -> None:
    context, tab = new_tab(chromium_browser, site_url, "desktop")
    try:
        tab.goto(urljoin(site_url, f"{PAGE}.html"), wait_until="load")
        sidebar = "#pst-primary-sidebar"
        assert in_view(tab, sidebar), "the desktop menu is not shown"
        toggle = tab.locator("button.primary-toggle:visible").first
        toggle.click()
        tab.wait_for_function(f"(sel) => !({_IN_VIEW})(document.querySelector(sel))",
                              arg=sidebar)
        toggle.focus()
        tab.keyboard.press("Enter")
        tab.wait_for_function(f"(sel) => ({_IN_VIEW})(document.querySelector(sel))",
                              arg=sidebar)
    finally:
        context.close()


def test_desktop_shows_on_this_page(chromium_browser, site_url) -> None:
    context, tab = new_tab(chromium_browser, site_url, "desktop")
    try:
        tab.goto(urljoin(site_url, f"{PAGE}.html"), wait_until="load")
        assert in_view(tab, "#pst-secondary-sidebar")
        assert tab.locator("#pst-secondary-sidebar a", has_text="At cluster scale").count()
    finally:
        context.close()


# --- the sweep players, search, print ----------------------------------------------------------

CHAPTER_PAGES = [p for p in toc_pages() if re.match(r"book/\d\d-", p)]


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_sweep_player_moves_without_a_kernel(chromium_browser, site_url, page) -> None:
    """Every chapter has a sweep player; moving its slider shows another precomputed frame."""
    context, tab = new_tab(chromium_browser, site_url, "desktop")
    try:
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


def test_search_finds_the_heartbeat_chapter(chromium_browser, site_url: str) -> None:
    context, tab = new_tab(chromium_browser, site_url, "desktop")
    try:
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


@pytest.mark.parametrize("page", CHAPTER_PAGES + ["exercises/02-heartbeats-solutions"])
def test_printed_page_is_complete(chromium_browser, site_url, page: str) -> None:
    """Printed or saved as PDF, every collapsed block opens and every figure is there."""
    context, tab = new_tab(chromium_browser, site_url, "desktop")
    try:
        tab.goto(urljoin(site_url, f"{page}.html"), wait_until="load")
        settle(tab)
        closed = tab.evaluate(
            "() => document.querySelectorAll('article details:not([open])').length")
        tab.emulate_media(media="print")
        tab.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        still_closed = tab.evaluate(
            "() => document.querySelectorAll('article details:not([open])').length")
        hidden_figures = tab.evaluate(f"""() => [...document.querySelectorAll('article img')]
            .filter(img => !({_IN_VIEW})(img) && img.getBoundingClientRect().width === 0)
            .map(img => img.src.slice(0, 60))""")
        assert still_closed == 0, f"{page}: {still_closed} of {closed} blocks stay closed in print"
        assert not hidden_figures, f"{page}: figures missing in print: {hidden_figures}"
        tab.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
        assert tab.evaluate(
            "() => document.querySelectorAll('article details:not([open])').length") == closed
    finally:
        context.close()
