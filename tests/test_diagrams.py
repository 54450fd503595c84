"""The course's diagrams (``kscale_lab.figures.diagrams``): what each draws, checked against
the registry and against hand derivations. The readability rules they follow with every other
figure are in ``tests/test_figure_readability.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from kscale_lab.chapters import CHAPTERS  # noqa: E402
from kscale_lab.figures import diagrams  # noqa: E402


def drawn(fig: Figure) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig


def texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_the_map_gives_every_registered_chapter_its_number():
    placed = diagrams.control_plane_map(Figure())
    numbers = {int(p.split(":")[0]) for p in placed}
    assert numbers == {c.number for c in CHAPTERS}


def test_the_map_puts_a_chapter_it_does_not_know_beside_the_title():
    chapters = [SimpleNamespace(number=1, key="envelope"), SimpleNamespace(number=12, key="new")]
    assert diagrams.control_plane_map(Figure(), chapters=chapters) == ["1:cluster", "12:cluster"]


def test_the_map_highlights_exactly_the_chapter_it_is_asked_to():
    fig = Figure()
    diagrams.control_plane_map(fig, highlight="heartbeats")
    drawn(fig)
    orange = [p for p in fig.axes[0].patches
              if matplotlib.colors.to_hex(p.get_facecolor()) == diagrams.HIGHLIGHT]
    # chapter 2's bottleneck is at two spots: the kubelet and etcd
    assert len(orange) == len(diagrams.BOTTLENECKS["heartbeats"]) == 2


def test_the_map_refuses_a_chapter_that_does_not_exist():
    with pytest.raises(ValueError, match="highlight must be one of the chapters"):
        diagrams.control_plane_map(Figure(), highlight="events-v3")


def test_etcd_timeline_holds_at_most_two_intervals_of_history():
    # Hand derivation: a write every 10 s and a compaction tick every 120 s that compacts to
    # the revision of the previous tick. Just before a tick, the history since the tick
    # before the previous one is held: 2 x 12 writes, plus the one version kept at the
    # compacted revision, so 25 versions of 20,000 bytes are the most ever in use.
    series = diagrams.etcd_revision_timeline(Figure(), object_bytes=20_000, write_every_s=10,
                                              compaction_interval_s=120, horizon_s=600)
    assert max(series["in_use"]) == 25 * 20_000
    assert max(series["db_size"]) == max(series["in_use"])


def test_etcd_file_never_shrinks_and_is_never_below_the_bytes_in_use():
    series = diagrams.etcd_revision_timeline(Figure())
    db, used = series["db_size"], series["in_use"]
    assert all(b >= a for a, b in zip(db, db[1:]))
    assert all(d >= u for d, u in zip(db, used))


def test_etcd_compacts_to_the_revision_noted_at_the_previous_tick():
    series = diagrams.etcd_revision_timeline(Figure())
    ticks, compactions = series["ticks"], series["compactions"]
    assert [rev for _t, rev in compactions] == [rev for _t, rev in ticks[:-1]]
    assert [t for t, _rev in compactions] == [t for t, _rev in ticks[1:]]


def test_etcd_timeline_refuses_periods_in_the_wrong_order():
    with pytest.raises(ValueError, match="write_every_s < compaction_interval_s"):
        diagrams.etcd_revision_timeline(Figure(), write_every_s=300, compaction_interval_s=120)


def test_iptables_diagram_checks_as_many_rules_as_the_target_service_number():
    fig = Figure()
    diagrams.iptables_vs_ipvs(fig, services=7, target=4)
    checked = [t.get_text() for t in texts(drawn(fig)) if t.get_text().startswith("svc-")]
    assert checked[:7] == [f"svc-{i} cluster IP?" + (" yes" if i == 4 else "")
                           for i in range(1, 8)]
