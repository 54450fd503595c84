"""Which kubelet release polls and which watches, with which Go client: versions as data.

The talk's slide gives the history of the ``Watch`` strategy (and the facts file repeats it):

=================  ===========  ==========================================================
kubelet release    strategy     why
=================  ===========  ==========================================================
before 1.12        ``Cache``    TTL polling (the talk's "Kubelet periodically polls");
                               the course's reading, unverified
1.12.0 – 1.12.6    ``Watch``    PR #64752; built with a Go 1.10–1.11 client; "on since
                               1.12.0" is the course's reading, unverified
1.12.7 and later   ``Cache``    switched off "due to golang bug" (PR #74755)
1.13.0 – 1.13.4    ``Watch``    built with a Go 1.10–1.11 client
1.13.5 and later   ``Cache``    switched off
1.14.0 – 1.14.1    ``Cache``    still off
1.14.2 and later   ``Watch``    back on (PR #74781) "with bug fixed by updating golang to 1.12"
=================  ===========  ==========================================================

The first two rows go beyond the facts, which say only that the watch was on *until* 1.12.6:
that it was switched on in 1.12.0 (PR #64752) and that earlier kubelets polled is the
course's reading of the slide, **unverified**.

That the 1.12 and 1.13 kubelets that watched were built with a *blocking* Go client (1.10 or
1.11) follows from the slide ("disabled … due to golang bug") and the facts file's Go rows;
which Go minor each was built with is not given there. For the releases that poll, the Go
client does not matter (polling holds no long-running stream), and :func:`secrets_at` keeps
the one in ``dims``. Patch releases later than the facts file covers (1.15 on) are taken to
keep the ``Watch`` strategy with Go ≥ 1.12.

>>> from kscale_lab.secrets.dimensions import SecretsDimensions
>>> r = secrets_at(SecretsDimensions(), "1.13.4")
>>> r.strategy, r.dims.go_client, r.side
('Watch', 'go1.10', 'improved')
>>> secrets_at(SecretsDimensions(), "v1.13.5").strategy
'Cache'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kscale_lab.secrets.dimensions import SecretsDimensions

__all__ = ["SecretsRelease", "parse_version", "secrets_at"]


@dataclass(frozen=True)
class SecretsRelease:
    """A kubelet release's way of keeping secrets and configmaps, as the lab models it."""

    version: tuple[int, int, int]
    strategy: str
    """``"Cache"`` (TTL polling, the naive version) or ``"Watch"`` (the improved one)."""
    dims: SecretsDimensions
    """The dimensions given, with ``go_client`` set to the release's where it matters."""
    note: str

    @property
    def side(self) -> str:
        """The model version this release runs: ``"naive"`` or ``"improved"``."""
        return "improved" if self.strategy == "Watch" else "naive"


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.13.4"``, ``"v1.13"`` → ``(1, 13, 4)``, ``(1, 13, 0)``."""
    m = re.fullmatch(r"\s*v?1\.(\d+)(?:\.(\d+))?\s*", str(version))
    if not m:
        raise ValueError(f"version must look like '1.13.4' or 'v1.14'; got {version!r}")
    return 1, int(m.group(1)), int(m.group(2) or 0)


def secrets_at(dims: SecretsDimensions, version: str) -> SecretsRelease:
    """How the kubelet of Kubernetes ``version`` keeps its pods' secrets and configmaps.

    Run it with ``SecretsModel().run(r.dims, SecretsModel().version(r.side))``.
    """
    v = parse_version(version)
    _, minor, patch = v
    if minor < 12:
        return SecretsRelease(v, "Cache", dims, "before the watch strategy: TTL polling (the "
                              "course's reading; the facts say only that the watch was on "
                              "until 1.12.6: unverified)")
    if (minor, patch) <= (12, 6) or (minor == 13 and patch <= 4):
        return SecretsRelease(v, "Watch", dims.replace(go_client="go1.10"),
                              "watch strategy with a Go 1.10–1.11 client: the stream trap")
    if minor in (12, 13) or (minor, patch) <= (14, 1):
        return SecretsRelease(v, "Cache", dims,
                              "watch strategy switched off (the Go bug): TTL polling")
    return SecretsRelease(v, "Watch", dims.replace(go_client="go1.12"),
                          "watch strategy with Go 1.12: another connection when streams run out")
