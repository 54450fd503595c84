"""Shared pytest fixtures, and the test tiers.

``built_site`` builds the Jupyter Book once per test session, into a temporary folder (never
into the working tree's ``_build/``), with warnings as errors and a fresh execution cache,
and with launch buttons for a test repository (``TEST_LAUNCH``, as ``make book REPO_URL=...
HUB_URL=...`` would), so the one build serves the site tests and the launch tests.

Tiers. A test that uses the book build is marked ``book``; one that uses Chromium, ``browser``
(see :func:`pytest_collection_modifyitems`), so ``pytest -m "not book and not browser"``
(``make test-fast``) runs everything else. Each notebook is executed once per run: when the
run builds the book, the book's execution of the labs and solutions (with their asserts) is
their test, and nbval runs only the notebooks the book does not execute (the blank exercise
notebooks, top to bottom); without the book, nbval runs them all.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` in order, as paths without suffix (``book/02-heartbeats``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries: list[dict] | None) -> None:
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


def _front_matter(source: Path) -> dict:
    """The YAML front matter of a MyST Markdown file (``{}`` if it has none)."""
    text = source.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def book_executed_sources() -> set[Path]:
    """The sources the book build executes: every page of ``_toc.yml`` with code cells, unless
    MyST-NB is told not to execute it — globally (``execute.execute_notebooks: "off"``), by
    pattern (``execute.exclude_patterns`` or ``sphinx.config.nb_execution_excludepatterns``,
    matched as MyST-NB does, from the right of the path) or in the page's own front matter
    (``mystnb: {execution_mode: "off"}``)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}
    execute = config.get("execute") or {}
    sphinx = (config.get("sphinx") or {}).get("config") or {}
    mode = sphinx.get("nb_execution_mode", execute.get("execute_notebooks", "auto"))
    patterns = [*(execute.get("exclude_patterns") or []),
                *(sphinx.get("nb_execution_excludepatterns") or [])]
    executed = set()
    for page in toc_pages():
        source = ROOT / f"{page}.md"
        if not source.is_file() or "```{code-cell}" not in source.read_text(encoding="utf-8"):
            continue
        page_mode = (_front_matter(source).get("mystnb") or {}).get("execution_mode", mode)
        if page_mode in ("off", False):          # YAML reads a bare off as False
            continue
        if any(PurePosixPath(source.as_posix()).match(p) for p in patterns):
            continue
        executed.add(source)
    return executed


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):
    """Mark tests by the fixtures they use (before ``-m`` deselects), then, once the selection
    is known, leave the notebooks the book build executes to the book."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "book_build" in fixtures:
            item.add_marker(pytest.mark.book)
        if "chromium_browser" in fixtures:
            item.add_marker(pytest.mark.browser)
    result = yield
    if any("book_build" in getattr(item, "fixturenames", ()) for item in items):
        by_book = {source.with_suffix(".ipynb") for source in book_executed_sources()}
        covered = [item for item in items if item.path in by_book]
        if covered:
            config.hook.pytest_deselected(items=covered)
            items[:] = [item for item in items if item.path not in by_book]
    return result

# The launch settings of the session's build (environment read by scripts/site_fixes.py).
TEST_LAUNCH = {
    "KSCALE_REPO_URL": "https://github.com/kscale-lab-test/kscale_lab",
    "KSCALE_BRANCH": "main",
    "KSCALE_HUB_URL": "https://hub.example.edu",
    "KSCALE_BINDER_URL": "https://mybinder.org",
    "KSCALE_COLAB_URL": "https://colab.research.google.com",
}


@dataclasses.dataclass(frozen=True)
class BookBuild:
    returncode: int
    log: str
    html: Path

    def log_tail(self, lines: int = 80) -> str:
        """The warnings and errors of the build plus the end of its log, for failure messages."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log).splitlines()  # drop colour codes
        problems = [
            line
            for line in text
            if ("WARNING" in line and "IPKernelApp" not in line) or "ERROR" in line
        ]
        return "\n".join([*problems, "...", *text[-lines:]])


def _jupyter_book() -> str:
    candidate = Path(sys.executable).parent / "jupyter-book"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("jupyter-book")
    if not found:
        pytest.fail("jupyter-book is not installed: run `make setup`")
    return found


@pytest.fixture(scope="session")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """Build the book once: ``jupyter-book build <root> --path-output <tmp> -W -n --keep-going``,
    with the launch buttons of ``TEST_LAUNCH``."""
    if not (ROOT / "site_assets" / "require.js").exists():
        # Fails with "run npm ci" when node_modules is missing.
        subprocess.run([sys.executable, str(ROOT / "scripts" / "site_assets.py")], check=True)
    out = tmp_path_factory.mktemp("book")  # fresh folder, so an empty .jupyter_cache
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(TEST_LAUNCH)
    proc = subprocess.run(
        [
            _jupyter_book(),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "-W",
            "-n",
            "--keep-going",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    (out / "build.log").write_text(proc.stdout)
    return BookBuild(proc.returncode, proc.stdout, out / "_build" / "html")


@pytest.fixture(scope="session")
def built_site(book_build: BookBuild) -> Path:
    """Path of the built HTML folder; fails the test if the build failed."""
    if book_build.returncode != 0:
        pytest.fail(
            f"jupyter-book build failed (exit {book_build.returncode}):\n" + book_build.log_tail(),
            pytrace=False,
        )
    return book_build.html


# --- A real browser (tests/test_browser.py, tests/test_jupyterlab.py) ---------------------------

#: Where a browser test looks for Chromium, in order: this environment variable, then these
#: names on PATH, then the browser Playwright downloaded (`python -m playwright install`).
CHROMIUM_ENV = "KSCALE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
HOW_TO_GET_CHROMIUM = (
    "the browser tests need Chromium and found none: set "
    f"{CHROMIUM_ENV}=/path/to/chromium, or install one: `apt-get install chromium` on "
    "Debian/Ubuntu (.ci/run does), or `python -m playwright install chromium`"
)


def find_chromium(playwright_executable: str | None = None,
                  environ: dict[str, str] | None = None) -> str | None:
    """The Chromium to drive: ``$KSCALE_CHROMIUM``, else the first of :data:`CHROMIUM_NAMES`
    on ``PATH``, else Playwright's own browser if it is installed; ``None`` if none is."""
    environ = dict(os.environ) if environ is None else environ
    given = environ.get(CHROMIUM_ENV, "").strip()
    if given:
        found = shutil.which(given, path=environ.get("PATH"))
        return found or (given if Path(given).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    if playwright_executable and Path(playwright_executable).is_file():
        return playwright_executable
    return None


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session, driven by Playwright's sync API.

    Shared by every browser test: Playwright allows one sync instance per thread at a time.
    Fails (never skips) when no Chromium is found, saying how to get one.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: run `make setup`", pytrace=False)
    with sync_playwright() as pw:
        try:
            bundled = pw.chromium.executable_path
        except Exception:  # noqa: BLE001 - no browser downloaded for this Playwright
            bundled = None
        executable = find_chromium(bundled)
        if executable is None:
            pytest.fail(HOW_TO_GET_CHROMIUM, pytrace=False)
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
