"""Claims of chapters not written yet: listed so the page is also the course's map of what
remains. A chapter that arrives registers the same key (in its own claims module) and lists
it in its registry record; its claim then replaces the planned one."""

from __future__ import annotations

from kscale_lab.talk import Finding, Shows, claim


def _planned(chapter: str):
    return lambda: Finding(None, f"not modelled yet: {chapter}")


claim("events", slide="Events overload",
      says="Events filling up etcd; events overloading the apiserver",
      how="predicted", tolerance=Shows("—"), planned=True, chapter=6)(
    _planned("chapter 6, events"))
claim("watch-bookmarks", slide="Watch restart cost",
      says="Initial testing shows 40x decrease in wasteful event processing",
      how="predicted", tolerance=Shows("—"), planned=True, chapter=7)(
    _planned("chapter 7, watch bookmarks"))
