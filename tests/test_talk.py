"""Every claim of the talk that a chapter models is reproduced by that model."""

import pytest

from kscale_lab.talk import CLAIMS, claims_html, claims_table


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.claim[:40])
def test_modelled_claims_are_reproduced(claim):
    finding = claim.check()
    assert finding.reproduced in (True, None)
    assert finding.computed


def test_table_has_a_row_per_claim_and_escapes_html():
    assert len(claims_table()) == len(CLAIMS)
    html = claims_html()
    assert html.count("<tr>") == len(CLAIMS) + 1
    assert "× 40 pods/node" in html and "<td>yes</td>" in html
