"""Diagrams: the pictures that explain a mechanism better than prose.

Each diagram is a function that draws on a Matplotlib figure it is given (and sets that
figure's size), so the same source serves a notebook (``diagram(style.new_figure())``) and the
website, where Matplotlib's ``plot`` directive renders it at build time::

    ```{plot}
    :alt: What the diagram shows, for a reader who cannot see it.

    from kscale_lab.figures import diagrams
    diagrams.control_plane_map(plt.figure(), highlight="heartbeats")
    ```

* :func:`control_plane_map` — where each chapter's bottleneck lives in the control plane,
  drawn from the registry of chapters (:data:`kscale_lab.chapters.CHAPTERS`);
* :func:`etcd_revision_timeline` — one Node object's revisions, the apiserver's compactions
  and etcd's database file, computed by the lab's own :class:`~kscale_lab.etcd.Etcd`;
* :func:`iptables_vs_ipvs` — a packet's walk down iptables chains beside IPVS's hash lookup;
* :func:`scheduling_cycle` — one pod through the scheduler: filter, score, bind;
* :func:`watch_bookmarks` — a watch's life with and without bookmarks (chapter 7);
* :func:`package_layers` — how the package itself is layered (the design page).

Every text is at least :data:`kscale_lab.style.MIN_FONT_PT`, so a diagram shown at its drawn
size is as readable as the body text on a phone. Facts come from the course's facts file:
each function's docstring says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from kscale_lab import style
from kscale_lab.units import human_bytes

__all__ = [
    "BOTTLENECKS",
    "control_plane_map",
    "etcd_revision_timeline",
    "iptables_vs_ipvs",
    "package_layers",
    "scheduling_cycle",
    "watch_bookmarks",
]

FONT = style.MIN_FONT_PT
BOX = "#f2f2f2"          # a component
EDGE = "#444444"
HIGHLIGHT = style.NAIVE  # the chapter a use of the map is about
OTHER = "#8c8c8c"        # the other chapters' badges


def _canvas(fig: Any, width_in: float, height_in: float) -> Any:
    """One axes over the whole figure, in inches (0..width, 0..height), no frame."""
    fig.set_size_inches(width_in, height_in)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_in)
    ax.set_ylim(0, height_in)
    ax.set_axis_off()
    return ax


def _box(ax: Any, x: float, y: float, w: float, h: float, text: str = "", *,
         face: str = BOX, edge: str = EDGE, weight: str = "normal", size: float = FONT,
         lw: float = 1.2, ls: str = "-", va: str = "center", pad_in: float = 0.0,
         color: str = "black") -> Any:
    patch = FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                           facecolor=face, edgecolor=edge, lw=lw, ls=ls)
    ax.add_patch(patch)
    if text:
        ty = y + h / 2 if va == "center" else y + h - 0.12 - pad_in
        ax.text(x + w / 2, ty, text, ha="center", va=va, fontsize=size, fontweight=weight,
                color=color, linespacing=1.15)
    return patch


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], *,
           color: str = EDGE, both: bool = False, lw: float = 1.3, ls: str = "-",
           rad: float = 0.0) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="<|-|>" if both else "-|>",
                                 mutation_scale=12, color=color, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))


# --- the control-plane map ---------------------------------------------------------------------

#: Where each chapter's bottleneck lives, by chapter key: named spots of the map. The keys of
#: chapters not written yet are the module names the course design gives them; a chapter whose
#: key is not here gets its badge beside the title ("the whole cluster").
BOTTLENECKS: dict[str, tuple[str, ...]] = {
    "envelope": ("cluster",),
    "heartbeats": ("kubelet", "etcd"),
    "secrets": ("connection",),
    "kube-proxy": ("dataplane",),
    "scheduler": ("scheduler",),
    "events": ("events",),
    "watch": ("watchcache",),
    "endpoints": ("endpoints", "inflight"),
    "priority": ("inflight",),
    "capstone": ("cluster",),
}

# Badge positions (inches) on the 7 × 4.6 in map: the top-right corners of the boxes.
_SPOTS: dict[str, tuple[float, float]] = {
    "cluster": (0.27, 4.38),
    "kubelet": (1.76, 3.98),
    "scheduler": (3.26, 3.98),
    "endpoints": (4.76, 3.98),
    "events": (6.26, 3.98),
    "connection": (3.73, 2.13),
    "inflight": (1.98, 2.13),
    "watchcache": (5.48, 2.13),
    "dataplane": (6.78, 2.58),
    "etcd": (5.68, 0.93),
}


def _badge(ax: Any, xy: tuple[float, float], number: int, highlighted: bool) -> None:
    colour = HIGHLIGHT if highlighted else OTHER
    ax.add_patch(Circle(xy, 0.19 if highlighted else 0.16, facecolor=colour,
                        edgecolor="white", lw=1.5, zorder=5))
    ax.text(*xy, str(number), ha="center", va="center", color="white", zorder=6,
            fontsize=FONT + (1 if highlighted else 0), fontweight="bold")


def control_plane_map(fig: Any, highlight: str | None = None,
                      chapters: Sequence[Any] | None = None) -> list[str]:
    """The control plane, with a numbered badge where each chapter's bottleneck lives.

    Clients along the top (kubelets, kube-proxy, the scheduler, controllers), the
    kube-apiserver in the middle (its in-flight limits, HTTP/2 connections and watch cache),
    etcd at the bottom, and each node's packet rules at the right. Every chapter in
    ``chapters`` (default: the registry) gets its number at the spots :data:`BOTTLENECKS`
    names; the chapter whose key is ``highlight`` is drawn large and in colour, the others
    small and grey.

    Parameters
    ----------
    fig
        The figure to draw on (its size is set to 7 × 4.6 in).
    highlight
        A chapter key (``"heartbeats"``), or ``None`` to highlight none.
    chapters
        Chapter records with ``number`` and ``key``; default :data:`~kscale_lab.chapters.CHAPTERS`.

    Returns
    -------
    list of str
        The spots that received a badge, as ``"<number>:<spot>"`` (for tests).
    """
    if chapters is None:
        from kscale_lab.chapters import CHAPTERS

        chapters = CHAPTERS
    keys = [c.key for c in chapters]
    if highlight is not None and highlight not in keys:
        raise ValueError(f"highlight must be one of the chapters {keys} or None; "
                         f"got {highlight!r}")
    ax = _canvas(fig, 7.0, 4.6)
    whole = sum(1 for c in chapters if BOTTLENECKS.get(c.key, ("cluster",)) == ("cluster",))
    ax.text(0.1 + 0.4 * max(whole, 1), 4.38, "The control plane, and where each chapter's "
            "bottleneck lives", fontsize=FONT + 1, fontweight="bold", va="center")
    ax.text(6.42, 0.55, "numbers:\nchapters", fontsize=FONT, ha="center", va="center",
            color=EDGE)
    # Clients.
    _box(ax, 0.1, 3.05, 1.7, 0.95, "kubelet\n(one per node)")
    _box(ax, 2.0, 3.05, 1.3, 0.95, "scheduler")
    _box(ax, 3.5, 3.05, 1.3, 0.95, "kube-proxy\n(one per node)")
    _box(ax, 5.0, 3.05, 1.3, 0.95, "controllers,\nusers")
    # The apiserver and its parts.
    _box(ax, 0.1, 1.25, 5.6, 1.35, "kube-apiserver", va="top", weight="bold")
    _box(ax, 0.3, 1.4, 1.7, 0.75, "in-flight\nlimits", face="white")
    _box(ax, 2.2, 1.4, 1.55, 0.75, "HTTP/2\nconnections", face="white")
    _box(ax, 3.95, 1.4, 1.55, 0.75, "watch\ncache", face="white")
    # etcd.
    _box(ax, 0.1, 0.1, 5.6, 0.85, "etcd: every revision until compaction; a quota")
    # Each node's packet rules (kube-proxy programs them).
    _box(ax, 5.95, 1.25, 0.95, 1.35, "node:\niptables\nor IPVS\nrules", size=FONT)
    # Requests and watches.
    for x in (0.95, 2.65, 4.15, 5.65):
        _arrow(ax, (x, 3.05), (min(x, 5.4), 2.62), both=True)
    _arrow(ax, (2.9, 1.25), (2.9, 0.97), both=True)
    _arrow(ax, (4.75, 3.05), (6.3, 2.62))
    ax.text(6.42, 2.85, "writes", fontsize=FONT, ha="center", va="bottom", color=EDGE)
    placed = []
    for c in chapters:
        for spot in BOTTLENECKS.get(c.key, ("cluster",)):
            x, y = _SPOTS[spot]
            # Several chapters at one spot sit side by side (leftwards from a box's corner,
            # rightwards before the title).
            shift = sum(1 for p in placed if p.split(":")[1] == spot) * 0.4
            _badge(ax, (x + shift if spot == "cluster" else x - shift, y), c.number,
                   c.key == highlight)
            placed.append(f"{c.number}:{spot}")
    return placed


# --- etcd: revisions, compaction, the database file ------------------------------------------


def etcd_revision_timeline(fig: Any, *, object_bytes: int = 20_000, write_every_s: int = 10,
                           compaction_interval_s: int = 120, horizon_s: int = 600) -> dict:
    """One Node object rewritten every ``write_every_s``, in the lab's own MVCC :class:`Etcd`.

    ``object_bytes`` is the Node object's size; the default, 20,000 bytes (19.5 KiB), is the
    one chapter 2's text and lab use (calibrated on KEP-589's "~20 KB" Node object).

    Top: every write is a new revision (a tick); at each compaction tick the apiserver
    compacts to the revision it saw at its *previous* tick (the dotted arrows), so up to two
    intervals of revisions are held. Bottom: the bytes in use (a sawtooth between one and two
    intervals of writes) and the database file, which only grows to the high-water mark
    (freed pages are reused, the file never shrinks without ``defrag``). Facts: etcd's MVCC
    and compaction rules and the apiserver's compaction (``--etcd-compaction-interval``,
    5 min by default; shorter here so that several ticks fit).

    Returns the computed series (for tests): ``t_s``, ``in_use``, ``db_size`` (bytes),
    ``ticks`` (``(t_s, revision seen)``) and ``compactions`` (``(t_s, revision)``).
    """
    from kscale_lab.etcd import Etcd

    if not 0 < write_every_s < compaction_interval_s < horizon_s:
        raise ValueError("need 0 < write_every_s < compaction_interval_s < horizon_s; got "
                         f"{write_every_s}, {compaction_interval_s}, {horizon_s}")
    if isinstance(object_bytes, bool) or not isinstance(object_bytes, int) or object_bytes < 1:
        raise ValueError(f"object_bytes must be a whole number of at least 1; got "
                         f"{object_bytes!r}")
    size = object_bytes
    db = Etcd(quota_bytes=10**12)
    key = "/registry/minions/node-1"
    t_s, in_use, db_size, writes, compactions, ticks = [], [], [], [], [], []
    previous_tick_revision = None
    for t in range(0, horizon_s + 1):
        if t % compaction_interval_s == 0 and t > 0:
            ticks.append((t, db.revision))
            if previous_tick_revision is not None:
                db.compact(previous_tick_revision)
                compactions.append((t, previous_tick_revision))
            previous_tick_revision = db.revision
        if t % write_every_s == 0:
            writes.append((t, db.put(key, size)))
        t_s.append(t)
        in_use.append(db.in_use_bytes)
        db_size.append(db.db_size_bytes)

    fig.set_size_inches(7.0, 4.4)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.6])
    minutes = [t / 60 for t in t_s]
    top.vlines([t / 60 for t, _ in writes], 0, 1, color=style.NEUTRAL, lw=1.2)
    top.set_ylim(-0.2, 2.1)
    top.set_yticks([])
    top.grid(False)
    top.spines["left"].set_visible(False)
    top.set_title(f"one Node object ({human_bytes(size)}) written every {write_every_s} s: "
                  "each write a new revision", fontsize=FONT + 1, loc="left")
    compacted = dict(compactions)
    for t, seen in ticks:
        top.axvline(t / 60, color=style.LIMIT, lw=1.2, alpha=0.7)
        if t not in compacted:
            top.text(t / 60 - 0.05, 1.2, f"tick: note\nrev {seen}", fontsize=FONT, ha="right",
                     va="bottom", color=style.LIMIT)
            continue
        rev = compacted[t]
        wrote_at = next(w for w, r in writes if r == rev)
        top.annotate("", xy=(wrote_at / 60, 1.05), xytext=(t / 60, 1.05),
                     arrowprops={"arrowstyle": "-|>", "color": style.LIMIT, "ls": ":"})
        top.text(t / 60 - 0.05, 1.2, f"compact to\nrev {rev}", fontsize=FONT, ha="right",
                 va="bottom", color=style.LIMIT)
    bottom.plot(minutes, [b / 1024 for b in db_size], color=style.NAIVE, lw=2.5,
                label="database file (high-water mark)")
    bottom.plot(minutes, [b / 1024 for b in in_use], color=style.IMPROVED, lw=1.5,
                label="bytes in use")
    for t, _ in ticks:
        bottom.axvline(t / 60, color=style.LIMIT, lw=1.2, alpha=0.7)
    bottom.set_xlabel(f"time (min); grey lines: the apiserver's compaction ticks, every "
                      f"{compaction_interval_s // 60} min")
    bottom.set_ylabel("KiB")
    bottom.set_xlim(0, horizon_s / 60)
    bottom.set_ylim(0, max(db_size) / 1024 * 1.15)
    bottom.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2)   # above, off the data
    fig.set_layout_engine("constrained")
    return {"t_s": t_s, "in_use": in_use, "db_size": db_size, "ticks": ticks,
            "compactions": compactions}


# --- kube-proxy: iptables chains beside IPVS --------------------------------------------------


def iptables_vs_ipvs(fig: Any, services: int = 6, endpoints: int = 3, target: int = 5) -> None:
    """A packet to service ``target`` (of ``services``), through iptables and through IPVS.

    Left, iptables: the packet walks ``KUBE-SERVICES`` rule by rule until the rule for its
    service's cluster IP matches (``target`` checks), jumps to that service's ``KUBE-SVC-*``
    chain, where endpoint i of n is chosen with probability 1/(n−i) (the last rule
    unconditionally), then to a ``KUBE-SEP-*`` chain of two rules (mark for masquerade,
    DNAT). Right, IPVS: one hash of the destination (IP, port) finds the virtual server,
    whose scheduler (round robin by default) picks a real server. Facts: ``proxier.go`` and
    KEP-265, as in the facts file.
    """
    if not 1 <= target <= services <= 9 or not 1 <= endpoints <= 4:
        raise ValueError("need 1 <= target <= services <= 9 and 1 <= endpoints <= 4; got "
                         f"target={target}, services={services}, endpoints={endpoints}")
    ax = _canvas(fig, 7.0, 4.8)
    ax.plot([3.55, 3.55], [0.1, 4.6], color="#cccccc", lw=1)
    ax.text(1.75, 4.55, "iptables: a linear walk", fontsize=FONT + 1, fontweight="bold",
            ha="center", va="center")
    ax.text(5.3, 4.55, "IPVS: a hash lookup", fontsize=FONT + 1, fontweight="bold",
            ha="center", va="center")
    # KUBE-SERVICES: one rule per service.
    ax.text(0.1, 4.15, "KUBE-SERVICES", fontsize=FONT, fontweight="bold", va="center")
    row_h = 0.36
    for i in range(1, services + 1):
        y = 4.15 - i * row_h
        hit = i == target
        checked = i <= target
        _box(ax, 0.1, y - 0.14, 1.9, 0.28, f"svc-{i} cluster IP?" + (" yes" if hit else ""),
             face="#fde0c5" if hit else ("white" if checked else "#f7f7f7"),
             edge=style.NAIVE if checked else "#bbbbbb", size=FONT,
             color="black" if checked else "#999999")
    bottom_rules = 4.15 - services * row_h
    ax.annotate("", xy=(0.05, 4.15 - target * row_h), xytext=(0.05, 4.15 - row_h + 0.1),
                arrowprops={"arrowstyle": "-|>", "color": style.NAIVE, "lw": 2})
    ax.text(0.1, bottom_rules - 0.3, f"{target} rules checked\nfor svc-{target}; with N "
            "\nservices, about N/2\nper packet", fontsize=FONT, va="top", color=style.NAIVE)
    # KUBE-SVC-x: probability rules, then KUBE-SEP.
    sx, top_y = 2.15, 4.15 - target * row_h + 0.14
    ax.text(sx, top_y + 0.12, f"KUBE-SVC-{target}", fontsize=FONT, fontweight="bold")
    for j in range(endpoints):
        left = endpoints - j
        rule = f"p = 1/{left}" if left > 1 else "else"
        _box(ax, sx, top_y - 0.36 * (j + 1), 1.3, 0.28, f"{rule} → SEP-{j + 1}",
             face="white", size=FONT)
    _arrow(ax, (2.0, 4.15 - target * row_h), (sx, top_y - 0.22), color=style.NAIVE)
    sep_y = top_y - 0.36 * (endpoints + 1) - 0.2
    _box(ax, sx, sep_y - 0.55, 1.3, 0.62, "KUBE-SEP-1:\nmark, DNAT", face="white", size=FONT)
    # The first rule chose endpoint 1: on to its KUBE-SEP chain (drawn round the others).
    _arrow(ax, (sx + 1.32, top_y - 0.36 + 0.14), (sx + 1.32, sep_y - 0.25), color=style.NAIVE,
           rad=-0.45)
    # IPVS.
    _box(ax, 3.8, 3.55, 1.5, 0.55, f"packet to\nsvc-{target} IP:port", face="white")
    _box(ax, 5.55, 3.55, 1.35, 0.55, "hash(IP, port)", face="#d4f0e7", edge=style.IMPROVED)
    _arrow(ax, (5.3, 3.82), (5.55, 3.82), color=style.IMPROVED)
    ax.text(4.55, 3.2, "hash table of virtual servers", fontsize=FONT, ha="center")
    for k in range(6):
        hit = k == 3
        _box(ax, 3.85 + k * 0.5, 2.6, 0.42, 0.42, "",
             face="#d4f0e7" if hit else "white", edge=style.IMPROVED if hit else "#bbbbbb")
    _arrow(ax, (6.2, 3.55), (3.85 + 3 * 0.5 + 0.21, 3.03), color=style.IMPROVED, rad=-0.2)
    _box(ax, 3.85, 1.35, 3.0, 0.85, f"virtual server svc-{target}:\nscheduler rr picks a "
         "real server", face="#d4f0e7", edge=style.IMPROVED)
    _arrow(ax, (3.85 + 3 * 0.5 + 0.21, 2.6), (5.35, 2.21), color=style.IMPROVED)
    ax.text(5.35, 0.9, "one lookup, whatever\nthe number of services", fontsize=FONT,
            ha="center", va="top", color=style.IMPROVED)


# --- the scheduler -----------------------------------------------------------------------------


def scheduling_cycle(fig: Any) -> None:
    """One pod through the scheduler: queue, snapshot, filter, score, assume, bind.

    The scheduler pops a pod from its queue, takes a snapshot of its node cache, filters
    nodes until it has found enough feasible ones (``percentageOfNodesToScore``: from 1.14
    by default 50 − nodes/125 %, at least 5 % and at least 100 nodes), scores those, assumes
    the pod on the best node in its cache and binds it with an API call while the next pod's
    cycle starts. Facts: ``schedule_one.go`` and the scheduler's history in the facts file.
    """
    ax = _canvas(fig, 7.0, 4.4)
    ax.text(0.1, 4.2, "The scheduling cycle (one pod at a time)", fontsize=FONT + 1,
            fontweight="bold", va="center")
    steps = [
        (0.1, "scheduling\nqueue", "pending pods"),
        (1.8, "snapshot of\nthe node cache", "copies changed\nnodes; the walk\nstops early (1.14)"),
        (3.5, "filter", "stops after enough\nfeasible nodes\n(1.12 on)"),
        (5.2, "score", "ranks the\nfeasible nodes"),
    ]
    y = 2.85
    for x, title, note in steps:
        _box(ax, x, y, 1.5, 0.85, title, weight="bold")
        ax.text(x + 0.75, y - 0.1, note, fontsize=FONT, ha="center", va="top",
                color=style.LIMIT)
    for x in (1.6, 3.3, 5.0):
        _arrow(ax, (x, y + 0.43), (x + 0.2, y + 0.43))
    ax.text(3.2, 1.72, "nodes to find (default from 1.14): 50 − nodes/125 %,\n"
            "at least 5 % and at least 100 nodes", fontsize=FONT, ha="center", va="center",
            color=style.IMPROVED)
    _box(ax, 5.2, 0.25, 1.5, 0.8, "assume pod\non best node", weight="bold")
    _box(ax, 3.0, 0.25, 1.7, 0.8, "bind: an API\ncall (async)", face="white", ls="--")
    _box(ax, 0.1, 0.25, 2.4, 0.8, "next pod's cycle\nstarts at once", face="white")
    _arrow(ax, (5.95, 2.05), (5.95, 1.07))
    _arrow(ax, (5.2, 0.65), (4.72, 0.65))
    _arrow(ax, (5.5, 1.07), (2.2, 1.07), rad=0.18, ls=":")


# --- watches and bookmarks ---------------------------------------------------------------------


def watch_bookmarks(fig: Any) -> None:
    """A client's watch restarting, without and with bookmarks (KEP-956).

    Top, without bookmarks: the client watches a few objects; events about other objects
    pass the apiserver's filter but are not sent, so the client's last resourceVersion
    stays old. When the watch times out (a reflector picks 5–10 min) it re-watches from that
    old version; if the watch cache no longer holds it, the answer is ``410 Gone`` and the
    client relists everything. Bottom, with bookmarks: shortly before the timeout the
    apiserver sends a BOOKMARK carrying the current resourceVersion, so the new watch starts
    from there and only newer events are replayed. Facts: KEP-956, ``reflector.go``,
    ``cache_watcher.go``, as in the facts file.
    """
    ax = _canvas(fig, 7.0, 4.3)
    rows = [(3.0, "without bookmarks", style.NAIVE), (1.0, "with bookmarks", style.IMPROVED)]
    for y, title, colour in rows:
        ax.text(0.1, y + 0.95, title, fontsize=FONT + 1, fontweight="bold", color=colour,
                va="center")
        ax.plot([0.3, 6.45], [y, y], color=EDGE, lw=1.2)
        ax.text(6.5, y, "time", fontsize=FONT, va="center", ha="left", color=EDGE)
        # Events about other objects: filtered out, the client sees none of them.
        ax.vlines([0.9 + 0.25 * i for i in range(11)], y - 0.12, y + 0.12,
                  color="#bbbbbb", lw=1)
        ax.text(0.9, y + 0.22, "events about other objects: not sent", fontsize=FONT,
                color=style.LIMIT)
        ax.text(0.3, y - 0.3, "watch from\nversion 100", fontsize=FONT, va="top")
        ax.plot([3.9], [y], marker="v", color=EDGE, ms=9)
        ax.text(3.9, y - 0.3, "timeout\n(5–10 min)", fontsize=FONT, ha="center", va="top")
    y = 3.0
    _box(ax, 4.6, y - 0.95, 2.3, 0.72, "re-watch from 100: too old\nfor the watch cache:\n"
         "410 Gone, relist everything", size=FONT, face="#fde0c5", edge=style.NAIVE)
    _arrow(ax, (4.0, y), (4.7, y - 0.24), color=style.NAIVE)
    y = 1.0
    ax.plot([3.7], [y], marker="D", color=style.IMPROVED, ms=8)
    ax.annotate("BOOKMARK: version 4,800", (3.7, y + 0.08), xytext=(4.3, y + 0.62),
                fontsize=FONT, ha="center", color=style.IMPROVED,
                arrowprops={"arrowstyle": "-|>", "color": style.IMPROVED})
    _box(ax, 4.6, y - 0.95, 2.3, 0.72, "re-watch from 4,800:\nonly newer events\nare "
         "replayed", size=FONT, face="#d4f0e7", edge=style.IMPROVED)
    _arrow(ax, (4.0, y), (4.7, y - 0.24), color=style.IMPROVED)


# --- the package's layers ------------------------------------------------------------------------


def package_layers(fig: Any) -> None:
    """How ``kscale_lab`` is layered, from the shared machinery at the bottom to the front ends.

    Each layer uses only the layers below it: dimensions and the model interface; the control
    plane every client pattern runs on; one module per chapter; the registry of chapters and
    the talk's claims; and the front ends (the command line, the explorers and figures, the
    sweep players, the exercises' checks, the book). Nothing below the front ends imports
    Matplotlib or ipywidgets.
    """
    ax = _canvas(fig, 7.0, 4.6)
    ax.text(0.1, 4.4, "kscale_lab, layer by layer (each uses only those below it)",
            fontsize=FONT + 1, fontweight="bold", va="center")
    layers = [
        ("front ends", "kscale CLI · explorers (widgets) · figures/ · sweep players ·\n"
                       "exercises' checks · the book", "white"),
        ("registry", "chapters.py: one Chapter record per chapter · talk.py, claims/", BOX),
        ("chapters", "envelope · heartbeats · secrets/ · kube_proxy/ · scheduler/ ·\n"
                     "events/ · watch · endpoints/ · priority/ · capstone", BOX),
        ("control plane", "Store (etcd) · ApiServer (in-flight pools, compactor) ·\n"
                          "Http2Connection · WatchCache · Reflector · ApiLoad", BOX),
        ("shared\nmachinery", "dimensions.py · model.py (Model, Version, Outcome,\n"
                              "Comparison) · units.py", BOX),
    ]
    top, height, gap = 3.95, 0.62, 0.14
    for i, (name, what, face) in enumerate(layers):
        y = top - (i + 1) * height - i * gap
        _box(ax, 0.1, y, 1.75, height, name, weight="bold", face=face)
        _box(ax, 2.0, y, 4.9, height, what, face=face)
        if i:
            _arrow(ax, (4.45, y + height + gap - 0.01), (4.45, y + height + 0.01))
    ax.text(2.0, 0.1, "Matplotlib and ipywidgets: only in the top layer", fontsize=FONT,
            color=style.LIMIT, va="bottom")
