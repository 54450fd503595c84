"""Claims of chapters not written yet: listed so the page is also the course's map of what
remains. A chapter that arrives registers the same key (in its own claims module) and lists
it in its registry record; its claim then replaces the planned one."""

from __future__ import annotations

from kscale_lab.talk import Finding


def _planned(chapter: str):
    return lambda: Finding(None, f"not modelled yet: {chapter}")


