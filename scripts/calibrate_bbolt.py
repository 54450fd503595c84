"""Measure bbolt's overhead on a real etcd: the constants of ``kscale_lab/real/bbolt.py``.

    python scripts/calibrate_bbolt.py                # per write, pending, per key (~1 min)
    python scripts/calibrate_bbolt.py --compaction   # fragmentation per compaction (~30 s)

For each value size, a fresh member (``--backend-batch-limit=1``: one write per bbolt
transaction, bbolt's default ``map`` freelist) takes 400 (small values: 800) rewrites of one
key; ``dbSize`` is read every 10 writes. Over the second half of the run the file grows
linearly: the slope is the bytes per write, the intercept minus the empty database is the
*pending* room — pages
the last transactions wrote or freed, which bbolt cannot hand out again yet. Three runs
per size; the table holds their mean. Then the same writes spread over 40 keys, to see whether
a key costs anything by itself.

``--compaction`` replays chapter 2's improved kubelets (Lease every 10 s, NodeStatus every
minute, compaction every minute, compressed time) with 20 and 40 nodes over 5 minutes and
30 nodes over 10 minutes, three runs each, and measures how much the file grows at each
compaction after the first: ``FRAGMENTATION_COPIES`` is the mean growth in units of one
NodeStatus revision's bytes. (The chapter's own run, 30 nodes over 5 minutes, is left out:
it is what the model is checked on.)
"""

from __future__ import annotations

import sys

import numpy as np

from kscale_lab.etcd import MiB
from kscale_lab.heartbeats import HeartbeatDimensions
from kscale_lab.real.bbolt import write_bytes
from kscale_lab.real.etcd import RealEtcd
from kscale_lab.real.replay import RealStore, heartbeat_writes, replay

RUNS = 3
SIZES = (100, 300, 1_000, 2_000, 3_000, 4_000, 6_000, 8_000, 12_000, 16_000, 20_000, 24_000,
         30_000)


def run(size_bytes: int, writes: int, keys: int = 1) -> tuple[int, float, float]:
    """(empty dbSize, slope bytes/write, intercept bytes) of one fresh member."""
    with RealEtcd(quota_bytes=1024 * MiB, backend_batch_limit=1) as etcd:
        empty = etcd.status().db_size_bytes
        xs, ys = [], []
        for i in range(writes):
            key = f"/registry/minions/node-{i % keys:03d}".encode()
            etcd.put(key, b"x" * (size_bytes - len(key)))
            if i % 10 == 9:
                xs.append(i + 1)
                ys.append(etcd.status().db_size_bytes)
    half = len(xs) // 2
    slope, intercept = np.polyfit(xs[half:], ys[half:], 1)
    return empty, float(slope), float(intercept)


def compaction_growth() -> int:
    """Growth of the file per compaction after the first, on improved heartbeat runs."""
    growth = []
    for nodes, quota_mib, horizon_s in ((20, 4, 300), (40, 8, 300), (30, 6, 600)):
        dims = HeartbeatDimensions(nodes=nodes, compaction_interval_s=60, horizon_s=horizon_s,
                                   other_kib_per_node=0.0)      # the heartbeats alone
        seq = heartbeat_writes(dims, "improved")
        per_interval = dims.compaction_interval_s // seq.step_s
        for _ in range(RUNS):
            with RealEtcd(quota_bytes=quota_mib * MiB, backend_batch_limit=1) as etcd:
                result = replay(RealStore(etcd), seq)
            # result row k*per_interval is the end of the step with the k-th tick; the
            # first compaction is at the second tick
            rows = [(k + 2) * per_interval for k in range(len(result.compactions))]
            at = result.db_size_bytes[rows]
            growth.append((at[-1] - at[0]) / (len(rows) - 1))
            print(f"{nodes} nodes, {horizon_s} s: first compaction {at[0]:,} B, then "
                  f"{growth[-1]:,.0f} B per compaction", file=sys.stderr)
    node_revision = write_bytes(HeartbeatDimensions().node_bytes)
    print(f"# growth per compaction after the first: {min(growth):,.0f} to {max(growth):,.0f} "
          f"B, mean {np.mean(growth):,.0f} B")
    print(f"FRAGMENTATION_COPIES = {np.mean(growth) / node_revision:.1f}")
    return 0


def main() -> int:
    if "--compaction" in sys.argv[1:]:
        return compaction_growth()
    empties, rows = [], []
    for size in SIZES:
        writes = 400 if size >= 2_000 else 800
        runs = [run(size, writes) for _ in range(RUNS)]
        empties += [r[0] for r in runs]
        slope = np.mean([r[1] for r in runs])
        pending = np.mean([r[2] - r[0] for r in runs])
        rows.append((size, slope, pending))
        print(f"{size:>6} B: {slope:>8.0f} B/write ({slope / size:.3f}x), pending "
              f"{pending:>8.0f} B   runs: {[(round(r[1]), round(r[2] - r[0])) for r in runs]}",
              file=sys.stderr)
    print(f"EMPTY_DB_BYTES = {int(np.median(empties))}   # all runs: {sorted(set(empties))}")
    print("WRITE_BYTES_MEASURED = (")
    for size, slope, pending in rows:
        print(f"    ({size:_}, {slope:_.0f}, {max(pending, 0):_.0f}),")
    print(")")
    for size in (300, 20_000):
        one = run(size, 400, keys=1)
        many = run(size, 400, keys=40)
        print(f"# per key, {size} B: 1 key {one[1]:.0f} B/write, 40 keys {many[1]:.0f} B/write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
