"""Claims of chapters not written yet: listed so the page is also the course's map of what
remains. A chapter that arrives registers the same key (in its own claims module) and lists
it in its registry record; its claim then replaces the planned one."""

from __future__ import annotations

from kscale_lab.talk import Finding, Shows, claim


def _planned(chapter: str):
    return lambda: Finding(None, f"not modelled yet: {chapter}")


claim("secrets-streams", slide="Kubelet polling configs",
      says="Kubelet TCP streams exhaustion if there are many (~250) configmaps/secrets",
      how="predicted", tolerance=Shows("—"), planned=True, chapter=3)(
    _planned("chapter 3, secret/configmap polling"))
