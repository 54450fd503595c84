"""Every claim of the talk that a chapter models is reproduced by that model."""

import pytest

from kscale_lab.talk import CLAIMS, claims_markdown


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.claim[:40])
def test_modelled_claims_are_reproduced(claim):
    finding = claim.check()
    assert finding.reproduced in (True, None)
    assert finding.computed


def test_table_has_a_row_per_claim():
    assert len(claims_markdown().splitlines()) == len(CLAIMS) + 2
