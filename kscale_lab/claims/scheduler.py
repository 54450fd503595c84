"""Chapter 5's claims: scheduling throughput before and after 1.12–1.14.

The cost model's unit of work is calibrated on the talk's ~90 pods/s at 2,000 nodes (1.11),
so that point is a calibration, not a reproduction; the affinity pair check's cost (0.05
unit) is assumed. Computed through the chapter's public model (``SchedulerModel``).
"""

from __future__ import annotations

from kscale_lab.scheduler import SchedulerDimensions, SchedulerModel
from kscale_lab.talk import About, Below, Finding, Shows, claim

SLIDE = "Scheduling performance"


def _naive_pods_per_s(**dims: float) -> float:
    return SchedulerModel().naive(SchedulerDimensions(**dims)).pods_per_s


@claim("scheduler-2000", slide=SLIDE, says="~90/s in 2k-node cluster", how="calibrated",
       tolerance=About(90, 0.0, "pods/s"))
def at_2000() -> Finding:
    v = _naive_pods_per_s(nodes=2000)
    return Finding(v, f"{v:.0f} pods/s at 2,000 nodes (1.11): the cost model's unit of work "
                      "is fitted to this point")


@claim("scheduler-5000", slide=SLIDE, says="~30/s in 5k-node cluster", how="predicted",
       tolerance=About(30, 0.3, "pods/s"))
def at_5000() -> Finding:
    v = _naive_pods_per_s(nodes=5000)
    return Finding(v, f"{v:.0f} pods/s at 5,000 nodes (1.11)")


@claim("anti-affinity", slide=SLIDE,
       says="< 5 pods/min in 5k-node cluster when using pod anti-affinity", how="predicted",
       tolerance=Below(5, "pods/min"))
def anti_affinity() -> Finding:
    v = _naive_pods_per_s(nodes=5000, anti_affinity_fraction=1.0) * 60
    return Finding(v, f"{v:.2f} pods/min at 5,000 nodes (1.11) when every pod has "
                      "anti-affinity (pair-check cost assumed, 0.05 unit)")


@claim("scheduler-fixes", slide=SLIDE,
       says="Score only a percentage of nodes; improved affinity computation (1.12); cache "
            "snapshot improvements (1.14)",
       how="predicted",
       tolerance=Shows("the 1.12–1.14 scheduler is faster than 1.11 at 5,000 nodes, with and "
                       "without anti-affinity"))
def fixes() -> Finding:
    m = SchedulerModel()
    rows = []
    faster = True
    for fraction in (0.0, 1.0):
        d = SchedulerDimensions(nodes=5000, anti_affinity_fraction=fraction)
        a, b = m.naive(d).pods_per_s, m.improved(d).pods_per_s
        faster = faster and b > a
        rows.append(f"{'all' if fraction else 'no'} anti-affinity {a:.3g} → {b:.3g} pods/s")
    return Finding(faster, "5,000 nodes, 1.11 → 1.12–1.14: " + "; ".join(rows))
