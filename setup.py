"""A guard, not the build: the package is described in pyproject.toml.

pip runs this file (in the Python it installs for) before it resolves any dependency, so a
Python older than ``requires-python`` gets one plain sentence here (scripts/check_python.py)
instead of a resolver conflict about some pinned package.
"""

import runpy
import sys
from pathlib import Path

check = runpy.run_path(str(Path(__file__).resolve().parent / "scripts" / "check_python.py"))
if check["main"]() != 0:
    sys.exit(1)

from setuptools import setup  # noqa: E402

setup()
