"""Which Kubernetes release has which of chapter 8's fixes (for the capstone, by version).

From ``kubernetes-facts.md``:

* **EndpointSlices** (KEP-0752): alpha 1.16, beta 1.17, **kube-proxy reads slices from
  1.19**, GA 1.21;
* **API Priority and Fairness** (KEP-1040): alpha 1.18, **beta and on by default from
  1.20**, GA 1.29.

What a cluster *of a version* does by default is what matters at scale, so each model's
side for a version is decided by the release that made the fix the default.

>>> kube_proxy_reads_endpoint_slices("1.18.6"), kube_proxy_reads_endpoint_slices("v1.19")
(False, True)
>>> apf_on_by_default("1.19"), apf_on_by_default("1.20.0")
(False, True)
>>> side_in("priority", "1.29")
'improved'
"""

from __future__ import annotations

import re

__all__ = ["APF_RELEASES", "ENDPOINT_SLICE_RELEASES", "apf_on_by_default",
           "kube_proxy_reads_endpoint_slices", "parse_version", "side_in"]

#: KEP-0752's milestones (facts file).
ENDPOINT_SLICE_RELEASES = {"alpha": (1, 16), "beta": (1, 17),
                           "kube-proxy reads slices": (1, 19), "GA": (1, 21)}
#: KEP-1040's milestones (facts file).
APF_RELEASES = {"alpha": (1, 18), "beta, on by default": (1, 20), "GA": (1, 29)}

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


def parse_version(version: str) -> tuple[int, int]:
    """``(major, minor)`` of ``"1.19"``, ``"v1.19.3"`` …; ``ValueError`` naming the format."""
    match = _VERSION.match(str(version).strip())
    if not match:
        raise ValueError(f"version must look like '1.19' or 'v1.19.3'; got {version!r}")
    return int(match.group(1)), int(match.group(2))


def kube_proxy_reads_endpoint_slices(version: str) -> bool:
    """Whether kube-proxy of ``version`` reads EndpointSlices rather than Endpoints."""
    return parse_version(version) >= ENDPOINT_SLICE_RELEASES["kube-proxy reads slices"]


def apf_on_by_default(version: str) -> bool:
    """Whether kube-apiserver of ``version`` runs API Priority and Fairness by default."""
    return parse_version(version) >= APF_RELEASES["beta, on by default"]


def side_in(model: str, version: str) -> str:
    """``"naive"`` or ``"improved"``: the side of chapter 8's model ``model``
    (``"endpoints"`` or ``"priority"``) that a cluster of ``version`` runs by default."""
    checks = {"endpoints": kube_proxy_reads_endpoint_slices, "priority": apf_on_by_default}
    if model not in checks:
        raise ValueError(f"model must be 'endpoints' or 'priority'; got {model!r}")
    return "improved" if checks[model](version) else "naive"
