"""Chapter 4's claims: iptables' linear lists, IPVS's hash tables.

Rule counts follow kube-proxy's real chain layout (predicted); times use the chapter's
per-rule costs, calibrated on one measurement of iptables-legacy on the machine that built
the chapter (1,000 services × 10 backends), so claims about time at other sizes are
predictions.
Computed through the chapter's public model (``KubeProxyModel.compare``).
"""

from __future__ import annotations

import math

from kscale_lab.kube_proxy import KubeProxyDimensions, KubeProxyModel
from kscale_lab.talk import Finding, Shows, claim

SLIDE = "Iptables performance"


def _slope(metric: str, side: str, backends: int = 10) -> float:
    """Growth of ``metric`` with #services over the decade 1,000 → 10,000 (log-log slope)."""
    m = KubeProxyModel()
    a, b = (getattr(m.compare(KubeProxyDimensions(services=s, backends_per_service=backends))
                    .outcome(m.version(side)), metric) for s in (1000, 10_000))
    return math.log10(b / a)


@claim("iptables-rules", slide=SLIDE,
       says="Iptables maintains a linear list of rules, so packet routing can be slow",
       how="predicted",
       tolerance=Shows("rules evaluated for a connection's first packet grow about linearly "
                       "with #services: log-log slope above 0.9 from 1,000 to 10,000 services"))
def iptables_rules() -> Finding:
    k = _slope("rules_per_packet", "naive")
    c = KubeProxyModel().compare(KubeProxyDimensions(services=10_000, backends_per_service=10))
    return Finding(k > 0.9, f"10,000 services × 10 backends: iptables evaluates "
                            f"{c.naive.rules_per_packet:,.0f} of {c.naive.rules_total:,} rules "
                            f"for a first packet; growth ∝ services^{k:.2f}")


@claim("iptables-updates", slide=SLIDE, says="Updating the rules can be slow",
       how="predicted",
       tolerance=Shows("every change restores the whole table, so an update's time grows "
                       "about linearly with #services: slope above 0.9 from 1,000 to 10,000 "
                       "(per-rule costs calibrated on one iptables-legacy measurement)"))
def iptables_updates() -> Finding:
    k = _slope("update_latency_s", "naive")
    c = KubeProxyModel().compare(KubeProxyDimensions(services=10_000, backends_per_service=10))
    return Finding(k > 0.9, f"10,000 services × 10 backends: one endpoint change costs a "
                            f"{c.naive.update_latency_s:.1f} s restore; growth ∝ "
                            f"services^{k:.2f}")


@claim("ipvs", slide=SLIDE,
       says="IPVS uses hash tables, much more efficient than linear list",
       how="predicted",
       tolerance=Shows("at 10,000 services × 10 backends IPVS examines over 100× fewer "
                       "entries per first packet than iptables evaluates rules"))
def ipvs() -> Finding:
    c = KubeProxyModel().compare(KubeProxyDimensions(services=10_000, backends_per_service=10))
    shown = c.naive.rules_per_packet > 100 * c.improved.rules_per_packet
    return Finding(shown, f"IPVS examines {c.improved.rules_per_packet:.0f} hash-table "
                          f"entries per first packet (iptables: "
                          f"{c.naive.rules_per_packet:,.0f} rules, "
                          f"{c.naive.rules_per_packet / c.improved.rules_per_packet:.0f}× more); "
                          f"a change takes {c.improved.update_latency_s * 1000:.1f} ms "
                          "(illustrative cost)")
