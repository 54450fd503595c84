"""The labs in a real JupyterLab, driven by headless Chromium (Playwright).

JupyterLab runs from the venv as a background process on 127.0.0.1 (no token), on a
temporary *copy* of ``notebooks/`` (never on the learner's files), with its own settings,
runtime and workspace folders. It binds a port the system chooses (``--ServerApp.port=0``)
and the test reads the one it bound from the server's runtime file, so no other process can
take it in between. Each lab is opened from its MyST Markdown source (``NN-topic.md``), as a
learner in the course environment opens it: jupytext's notebook view, the default for
Markdown there (``scripts/lab_settings.py``). The test runs all cells from the Run menu,
waits for the kernel to be idle with every cell executed, moves the first explorer slider
with the keyboard, and waits until the explorer's figure really changes. A screenshot of each
notebook after the change is saved into ``test-artifacts/`` (ignored by git).

Nothing here sleeps: every wait is for a condition, with a generous timeout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# The labs' text sources; the .ipynb beside them are the same cells (tests/test_notebooks.py).
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.md"))

# Generous: a loaded 2-core machine can take a while to start a kernel and run a notebook.
START_TIMEOUT_S = 120
TIMEOUT_MS = 120_000

# User settings for this JupyterLab only (JUPYTERLAB_SETTINGS_DIR): every cell in the DOM
# (no virtual scrolling, so all prompts can be read), and no fetching of news or updates.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _markdown_opens_as_notebook() -> bool:
    """Whether this environment's JupyterLab opens .md with jupytext (``make setup``)."""
    spec = importlib.util.spec_from_file_location("lab_settings",
                                                  ROOT / "scripts" / "lab_settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(["--check"]) == 0


def _runtime_url(runtime: Path) -> str | None:
    """The URL the server wrote into its runtime file once it had bound its port."""
    for info in runtime.glob("jpserver-*.json"):
        try:
            return json.loads(info.read_text())["url"]
        except (OSError, ValueError, KeyError):
            return None  # being written: read it again at the next poll
    return None


def _status_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "api/status", timeout=5) as response:
            return response.status == 200 and "started" in json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: SIGTERM (it shuts its kernels down), SIGKILL after 30 s.

    It runs in its own process group, so the kill also reaches kernels it could not stop.
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a JupyterLab serving a temporary copy of notebooks/."""
    if not _markdown_opens_as_notebook():
        pytest.fail("JupyterLab here does not open MyST Markdown as notebooks: run `make setup` "
                    "(python scripts/lab_settings.py)", pytrace=False)
    base = tmp_path_factory.mktemp("jupyterlab")
    root_dir = base / "notebooks"
    shutil.copytree(
        ROOT / "notebooks", root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    settings = base / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    )
    jupyter_lab = Path(sys.executable).parent / "jupyter-lab"
    if not jupyter_lab.exists():
        pytest.fail("jupyter-lab is not installed in the venv: run `make setup`", pytrace=False)
    log = base / "jupyterlab.log"
    runtime = base / "runtime"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(jupyter_lab),
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                "--ServerApp.port=0",  # the system picks a free port; read back below
                "--ServerApp.port_retries=0",
                "--IdentityProvider.token=",  # no token (ServerApp.token is deprecated)
                "--ServerApp.password=",
                f"--ServerApp.root_dir={root_dir}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            cwd=root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for _stop()
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        url = None
        while url is None or not _status_ok(url):
            url = url or _runtime_url(runtime)
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with {proc.returncode}:\n{_tail(log)}", pytrace=False
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"JupyterLab did not answer {url or '(no runtime file yet)'} "
                    f"within {START_TIMEOUT_S} s:\n" + _tail(log),
                    pytrace=False,
                )
            time.sleep(0.25)  # polling interval for a condition, not a wait for time to pass
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def lab_context(chromium_browser) -> Iterator:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    # Loopback only: refuse anything else rather than wait on a network.
    context.route(
        lambda url: not url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")),
        lambda route: route.abort(),
    )
    try:
        yield context
    finally:
        context.close()


# The notebook shown (others may be open in hidden tabs).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# Every code cell executed in this session (the outputs were cleared first, which also clears
# the execution counts), and the kernel idle.
_ALL_EXECUTED = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!status || status.getAttribute('data-status') !== 'idle') return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:?$/.test(p.textContent.trim()));
}"""
# At least one cell queued or run ("[*]:" or "[1]:") since the outputs were cleared.
_RUN_STARTED = """() => [...document.querySelectorAll(
  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]
  .some(p => /^\\[(\\*|\\d+)\\]:?$/.test(p.textContent.trim()))"""
_NO_OUTPUTS = """() => document.querySelectorAll(
  `.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-OutputArea-output`).length === 0"""

# The explorer around a slider handle: the nearest widget box that also holds the explorer's
# figure (an Image widget, or an image inside an Output widget). Marks that element
# (data-kscale-test) and returns what it shows.
_EXPLORER_OUTPUT = """(handle) => {
  const figure = (box) => box.querySelector('img.widget-image, .widget-output');
  let box = handle.closest('.widget-box');
  while (box && !figure(box)) {
    box = box.parentElement && box.parentElement.closest('.widget-box');
  }
  if (!box) return null;
  const element = figure(box);
  element.setAttribute('data-kscale-test', '');
  const img = element.matches('img') ? element : element.querySelector('img');
  return img ? img.src : element.textContent;
}"""
_OUTPUT_CHANGED = """(before) => {
  const element = document.querySelector('[data-kscale-test]');
  if (!element) return false;
  const img = element.matches('img') ? element : element.querySelector('img');
  const now = img ? img.src : element.textContent;
  return !!now && now !== before;
}"""


def _menu_command(page, menu: str, command: str, done: str, what: str) -> None:
    """Open ``menu`` in the menu bar, click the item bound to ``command``, and wait until the
    JavaScript predicate ``done`` holds.

    A click can land before the menu or the notebook is ready for it (the item is then
    disabled, or the click is lost), so this checks the effect and tries again, up to 4 times.
    """
    for _attempt in range(4):
        page.locator(".lm-MenuBar-item", has_text=menu).first.click()
        item = page.locator(f".lm-Menu-item[data-command='{command}']").first
        item.wait_for(state="visible")
        if "lm-mod-disabled" in (item.get_attribute("class") or ""):
            page.keyboard.press("Escape")
            # Make the notebook the current widget, which enables its commands.
            page.locator(f"{PANEL} .jp-Cell .jp-InputPrompt").first.click()
        else:
            item.click()
        try:
            page.wait_for_function(done, timeout=20_000)
            return
        except PlaywrightTimeoutError:
            continue
    pytest.fail(f"{menu} > {command} had no effect after 4 tries ({what})", pytrace=False)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lab_opens_from_its_source_runs_and_its_explorer_responds(
    jupyterlab: str, lab_context, notebook: str
) -> None:
    page = lab_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # ?reset: a fresh workspace, without the notebooks opened by the previous tests.
        page.goto(f"{jupyterlab}lab/tree/{notebook}?reset", wait_until="domcontentloaded")
        page.locator(f"{PANEL}, .jp-FileEditor").first.wait_for()
        assert page.locator(PANEL).count() == 1, (
            f"{notebook} opened as text, not as a notebook: jupytext's viewer is not the "
            "default for Markdown here (scripts/lab_settings.py)"
        )
        panel = page.locator(PANEL)
        panel.locator(".jp-CodeCell").first.wait_for()
        panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()

        # Select a cell first, so the notebook is JupyterLab's current widget.
        panel.locator(".jp-Cell .jp-InputPrompt").first.click()
        _menu_command(page, "Edit", "editmenu:clear-all", _NO_OUTPUTS, "outputs not cleared")
        _menu_command(page, "Run", "runmenu:run-all", _RUN_STARTED, "no cell started")
        try:
            page.wait_for_function(_ALL_EXECUTED, timeout=TIMEOUT_MS)
        except PlaywrightTimeoutError:
            prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
            pytest.fail(f"{notebook}: not every cell ran within 120 s; prompts: {prompts}")
        tracebacks = [
            text
            for text in panel.locator(".jp-OutputArea-output").all_inner_texts()
            if "Traceback (most recent call last)" in text
        ]
        assert not tracebacks, f"{notebook}: a cell failed:\n" + "\n".join(tracebacks)

        handle = panel.locator(".jp-OutputArea .widget-slider .noUi-handle").first
        handle.wait_for(state="attached")
        handle.scroll_into_view_if_needed()
        before = handle.evaluate(_EXPLORER_OUTPUT)
        assert before, f"{notebook}: the first slider has no explorer output beside it"
        value = handle.get_attribute("aria-valuenow")
        handle.focus()
        page.keyboard.press("End")
        if handle.get_attribute("aria-valuenow") == value:  # it was at its maximum already
            page.keyboard.press("Home")
        assert handle.get_attribute("aria-valuenow") != value, (
            f"{notebook}: the keyboard did not move the slider"
        )
        try:
            page.wait_for_function(
                _OUTPUT_CHANGED,
                arg=before,
                timeout=TIMEOUT_MS,
            )
        except PlaywrightTimeoutError:
            pytest.fail(f"{notebook}: the explorer's output did not change after moving a slider")
        panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"jupyterlab-{Path(notebook).stem}.png"))
        assert not errors, f"{notebook}: page errors:\n" + "\n".join(errors)
    finally:
        page.close()
