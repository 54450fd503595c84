"""The simulated etcd: MVCC, compaction, high-water mark, quota and NOSPACE."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kscale_lab.etcd import Etcd, NoSpaceError, PeriodicWriter, usage_timeline


def test_every_write_is_a_revision_and_history_is_kept():
    db = Etcd()
    revs = [db.put("/registry/minions/a", 100) for _ in range(5)]
    assert revs == [2, 3, 4, 5, 6]
    assert db.versions("/registry/minions/a") == 5
    assert db.in_use_bytes == 500
    assert db.get("/registry/minions/a") == (6, 100)


def test_compaction_keeps_latest_version_and_frees_history_but_file_does_not_shrink():
    db = Etcd()
    for _ in range(4):
        db.put("a", 100)
        db.put("b", 50)
    assert db.in_use_bytes == 600 and db.db_size_bytes == 600
    db.compact(db.revision)
    assert db.versions("a") == db.versions("b") == 1
    assert db.in_use_bytes == 150
    assert db.db_size_bytes == 600          # bbolt keeps the pages
    db.put("a", 100)                        # freed pages are reused: the file does not grow
    assert db.db_size_bytes == 600
    db.defrag()
    assert db.db_size_bytes == db.in_use_bytes == 250


def test_compaction_to_a_past_revision_keeps_later_history():
    db = Etcd()
    for _ in range(3):
        db.put("a", 10)
    mid = db.revision
    for _ in range(3):
        db.put("a", 10)
    db.compact(mid)
    assert db.versions("a") == 4           # the version at `mid` and the three after it


def test_nospace_alarm_refuses_every_write_until_compact_defrag_disarm():
    db = Etcd(quota_bytes=1000)
    for _ in range(9):
        db.put("a", 100)
    with pytest.raises(NoSpaceError):
        db.put("a", 100)                   # 900 + 100 reaches the quota
    assert db.alarm == "NOSPACE"
    with pytest.raises(NoSpaceError):
        db.put("tiny", 1)                  # cluster-wide: every write is refused
    db.compact(db.revision)                # allowed under the alarm
    with pytest.raises(NoSpaceError):
        db.put("a", 100)                   # still alarmed
    db.defrag()
    db.disarm()
    db.put("a", 100)
    assert db.alarm is None and db.refused_writes == 3


def test_disarm_without_defrag_is_refused_again_by_the_next_big_write():
    db = Etcd(quota_bytes=1000)
    for _ in range(9):
        db.put("a", 100)
    db.compact(db.revision)
    db.disarm()                            # file still 900 bytes
    with pytest.raises(NoSpaceError):
        db.put("a", 100)


def test_periodic_writer_places_writes_in_the_right_seconds():
    w = PeriodicWriter("x", np.array([0.5, 3.2]), size_bytes=10, period_s=5)
    b = w.bytes_per_step(12)
    assert list(b) == [10, 0, 0, 10, 0, 10, 0, 0, 10, 0, 10, 0]
    stopped = PeriodicWriter("x", np.array([0.5, 3.2]), size_bytes=10, period_s=5, stop_s=6)
    assert list(stopped.bytes_per_step(12)) == [10, 0, 0, 10, 0, 10, 0, 0, 0, 0, 0, 0]
    assert w.writes_per_s == pytest.approx(0.4) and w.bytes_per_s == pytest.approx(4)


def _event_replay(phases, periods, sizes, horizon, interval, quota):
    """Replay PeriodicWriter-style streams through the event-by-event Etcd."""
    db = Etcd(quota_bytes=quota)
    keys = [f"k{i}" for i in range(len(phases))]
    for k, s in zip(keys, sizes):
        db.put(k, s)
    db.compact(db.revision)
    events = sorted((p + j * T, i) for i, (p, T) in enumerate(zip(phases, periods))
                    for j in range(int(horizon // T) + 1) if p + j * T < horizon)
    ticks = [k * interval for k in range(1, int(horizon // interval) + 1)]
    prev, nospace, sizes_seen, e = None, None, [], 0
    for tick in ticks + [horizon]:
        while e < len(events) and events[e][0] < tick:
            t, i = events[e]
            try:
                db.put(keys[i], sizes[i])
            except NoSpaceError:
                nospace = t if nospace is None else nospace
            sizes_seen.append(db.db_size_bytes)
            e += 1
        if tick < horizon:
            if prev is not None:
                db.compact(prev)
            prev = db.revision
    return db, nospace


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), period=st.sampled_from([5, 10, 20]),
       size=st.integers(100, 5000), interval=st.sampled_from([30, 60, 120]),
       seed=st.integers(0, 10_000))
def test_vectorised_timeline_agrees_with_event_by_event_store(n, period, size, interval, seed):
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, period, n)
    horizon = 600
    quota = int(n * size * (1 + rng.uniform(1, 3 * interval / period)))
    w = PeriodicWriter("x", phases, size, period)
    tl = usage_timeline(w.bytes_per_step(horizon), live_bytes=n * size,
                        compaction_interval_s=interval, quota_bytes=quota, max_write_bytes=size)
    db, nospace = _event_replay(list(phases), [period] * n, [size] * n, horizon, interval, quota)
    assert tl.db_size_bytes.max() == pytest.approx(db.db_size_bytes, rel=0, abs=size)
    # the vectorised model treats writes as a flow: it stops at the moment the threshold is
    # reached, the store refuses the next write after that: one step plus the largest gap
    # between consecutive writes later at most (2 ms at 5,000 nodes every 10 s)
    ordered = np.sort(phases)
    gap = max(np.diff(ordered).max(initial=0.0), period - ordered[-1] + ordered[0])
    if nospace is None:
        assert tl.nospace_at_s is None or horizon - tl.nospace_at_s <= gap + 1
    else:
        assert tl.nospace_at_s == pytest.approx(nospace, abs=1.0 + gap)


def test_timeline_compaction_holds_up_to_two_intervals_of_history():
    w = np.full(900, 1000.0)                       # 1 kB every second
    tl = usage_timeline(w, live_bytes=0, compaction_interval_s=300, quota_bytes=10**12)
    assert tl.in_use_bytes[299] == 300_000         # nothing compacted yet
    assert tl.in_use_bytes[599] == 600_000         # first tick only records a revision
    assert tl.in_use_bytes[600] == 301_000         # second tick compacts to the first
    assert tl.peak_history_bytes == 600_000
    assert tl.db_size_bytes[-1] == 600_000         # the file keeps its high-water mark
    assert tl.nospace_at_s is None


def test_timeline_nospace_stops_growth():
    w = np.full(100, 10.0)
    tl = usage_timeline(w, live_bytes=100, compaction_interval_s=50, quota_bytes=400,
                        max_write_bytes=10)
    assert tl.nospace_at_s == pytest.approx(29.0)  # 100 + 10 t reaches 390
    assert tl.db_size_bytes.max() <= 400
    assert tl.db_size_bytes[-1] == tl.db_size_bytes[30]


def test_timeline_rejects_misaligned_compaction():
    with pytest.raises(ValueError, match="compaction_interval_s must be a multiple"):
        usage_timeline(np.ones(10), step_s=4, live_bytes=0, compaction_interval_s=10)
