"""ruff (configured in pyproject.toml) is clean over the package, the tests, the scripts, the
benchmarks and the generated notebooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args, "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)


def test_ruff_checks_the_package_tests_and_notebooks():
    checked = {Path(line).resolve() for line in _ruff("check", "--show-files").stdout.split()
               if line.endswith((".py", ".ipynb"))}
    for expected in (ROOT / "kscale_lab" / "model.py", Path(__file__).resolve(),
                     ROOT / "scripts" / "notebooks.py", ROOT / "notebooks" / "01-envelope.ipynb",
                     ROOT / "exercises" / "01-envelope.ipynb"):
        assert expected in checked, f"ruff does not check {expected.relative_to(ROOT)}"


def test_ruff_is_clean():
    proc = _ruff("check", "--output-format=concise")
    assert proc.returncode == 0, f"ruff check found problems:\n{proc.stdout}{proc.stderr}"
