"""How the browser tests find Chromium: the environment variable, then PATH, then Playwright's
own browser; and a plain message when there is none (no browser is started here)."""

from __future__ import annotations

from pathlib import Path

from conftest import CHROMIUM_ENV, HOW_TO_GET_CHROMIUM, find_chromium


def executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_environment_variable_comes_first(tmp_path):
    mine = executable(tmp_path / "opt", "my-chrome")
    on_path = executable(tmp_path / "bin", "chromium")
    environ = {CHROMIUM_ENV: str(mine), "PATH": str(on_path.parent)}
    assert find_chromium(str(on_path), environ) == str(mine)


def test_then_a_chromium_on_path(tmp_path):
    on_path = executable(tmp_path / "bin", "chromium-browser")
    bundled = executable(tmp_path / "ms-playwright", "chrome")
    assert find_chromium(str(bundled), {"PATH": str(on_path.parent)}) == str(on_path)


def test_then_playwrights_own_browser(tmp_path):
    bundled = executable(tmp_path / "ms-playwright", "chrome")
    assert find_chromium(str(bundled), {"PATH": str(tmp_path / "empty")}) == str(bundled)


def test_none_when_there_is_no_browser_and_the_message_says_how_to_get_one(tmp_path):
    assert find_chromium(str(tmp_path / "missing"), {"PATH": str(tmp_path)}) is None
    assert "apt-get install chromium" in HOW_TO_GET_CHROMIUM
    assert "playwright install chromium" in HOW_TO_GET_CHROMIUM
    assert CHROMIUM_ENV in HOW_TO_GET_CHROMIUM
