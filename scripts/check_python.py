#!/usr/bin/env python3
"""Say plainly when a Python is too old for the course, before pip tries (``make setup``).

The lower bound is read from ``requires-python`` in ``pyproject.toml``, so there is one number
to keep (``tests/test_packaging.py`` checks it against what the pinned packages declare). This
file avoids newer syntax on purpose: an old Python must get this message, not a SyntaxError.

    python3 scripts/check_python.py      exit 0 if this Python will do, else 1 with a message
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def required_version(pyproject=ROOT / "pyproject.toml"):
    """The lowest Python ``requires-python = ">=X.Y.Z"`` allows, as a tuple of ints."""
    text = Path(pyproject).read_text(encoding="utf-8")
    match = re.search(r'^requires-python\s*=\s*">=\s*([0-9.]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError("pyproject.toml has no requires-python = \">=X.Y\" line")
    return tuple(int(part) for part in match.group(1).split("."))


def main():
    need = required_version()
    have = tuple(sys.version_info[:3])
    if have >= need:
        return 0
    message = (
        "kscale_lab needs Python {need} or newer (the pinned packages in constraints.txt do), "
        "but {exe} is Python {have}.\n"
        "Install a newer Python (python.org, your distribution, pyenv, uv or conda) and run "
        "`make setup PY=/path/to/that/python3` (remove .venv/ first if an older one made it), or "
        "use that Python's pip."
    )
    print(message.format(need=".".join(map(str, need)), exe=sys.executable,
                         have=".".join(map(str, have))), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
