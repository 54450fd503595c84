"""Chapter 7, one layer down: a real etcd refuses a watch from a compacted revision as the
lab's Store does. Skips without an etcd binary — except with ``KSCALE_REQUIRE_REAL=1`` (CI),
where a missing binary fails."""

from __future__ import annotations

import pytest

from kscale_lab.real.compaction import compacted_watch
from kscale_lab.real.etcd import RealEtcd, real_required, unavailable_reason


@pytest.fixture(scope="module")
def real():
    reason = unavailable_reason()
    if reason is not None:
        if real_required():
            pytest.fail(f"KSCALE_REQUIRE_REAL=1 but: {reason}", pytrace=False)
        pytest.skip(reason)
    with RealEtcd() as etcd:
        yield compacted_watch(etcd)


def test_real_etcd_cancels_the_watch_reporting_the_compaction_point(real):
    """What etcd sends on the stream: a created response, then a canceled one that carries
    only the compacted revision (no error text)."""
    assert real.raw[0] == {"created": True}
    assert real.raw[-1] == {"canceled": True, "compact_revision": str(real.compacted_to)}


def test_real_etcd_and_the_lab_store_answer_the_same_sequence_alike(real):
    lab = compacted_watch()
    assert (lab.revisions, lab.compacted_to, lab.refused_compact_revision,
            lab.replayed_revisions) == (real.revisions, real.compacted_to,
                                        real.refused_compact_revision, real.replayed_revisions)


def test_a_read_at_the_compacted_revision_carries_etcds_error_text(real):
    assert real.read_error.endswith("etcdserver: mvcc: required revision has been compacted")
