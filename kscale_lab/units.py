"""Units and human formatting, without Matplotlib: bytes in binary units, durations.

The course counts bytes in binary units throughout (KiB, MiB, GiB), as etcd's quota
(``--quota-backend-bytes``) is set; a kilobyte written as "kB" in a Kubernetes source is
quoted as the source says it.
"""

from __future__ import annotations

import math

KiB = 1024
MiB = 1024**2
GiB = 1024**3

_BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def human_bytes(n: float | None) -> str:
    """``1536`` → ``'1.5 KiB'``; ``None`` → ``'never'``."""
    if n is None:
        return "never"
    if n < 1024:
        return f"{n:.0f} B"
    k = min(int(math.log(n, 1024)), len(_BYTE_UNITS) - 1)
    return f"{n / 1024 ** k:.3g} {_BYTE_UNITS[k]}"


def human_seconds(s: float | None) -> str:
    """``None`` → ``'never'``; ``95`` → ``'1 min 35 s'``; ``7200`` → ``'2 h'``."""
    if s is None:
        return "never"
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        m, r = divmod(round(s), 60)
        return f"{m} min {r} s" if r else f"{m} min"
    h, r = divmod(round(s), 3600)
    return f"{h} h {r // 60} min" if r // 60 else f"{h} h"
