"""Chapter 5's claims: scheduling throughput before and after the fixes of 1.11–1.14.

The cost model's one fitted constant (the unit of work) is calibrated on the talk's ~90 pods/s
at 2,000 nodes (1.10, the scheduler's client limit lifted as the talk's tests did), so that
point is a calibration, not a reproduction; the other two are predictions. Computed through
the chapter's public functions (``talk_points``, ``SchedulerModel``).
"""

from __future__ import annotations

from kscale_lab.scheduler import SchedulerDimensions, SchedulerModel, talk_points
from kscale_lab.talk import About, Below, Finding, Shows, claim

SLIDE = "Scheduling performance"


@claim("scheduler-2000", slide=SLIDE, says="~90/s in 2k-node cluster", how="calibrated",
       tolerance=About(90, 0.0, "pods/s"))
def at_2000() -> Finding:
    v = talk_points()[0].model_pods_per_s
    return Finding(v, f"{v:.0f} pods/s at 2,000 nodes (1.10, client limit lifted): the cost "
                      "model's unit of work is fitted to this point")


@claim("scheduler-5000", slide=SLIDE, says="~30/s in 5k-node cluster", how="predicted",
       tolerance=About(30, 0.3, "pods/s"))
def at_5000() -> Finding:
    v = talk_points()[1].model_pods_per_s
    return Finding(v, f"{v:.0f} pods/s at 5,000 nodes (1.10, client limit lifted)")


@claim("anti-affinity", slide=SLIDE,
       says="< 5 pods/min in 5k-node cluster when using pod anti-affinity", how="predicted",
       tolerance=Below(5, "pods/min"))
def anti_affinity() -> Finding:
    v = talk_points()[2].model_pods_per_s * 60
    return Finding(v, f"{v:.2f} pods/min at 5,000 nodes (1.10) when every deployment has "
                      "required anti-affinity (pair-check cost assumed, 0.05 unit)")


@claim("scheduler-fixes", slide=SLIDE,
       says="Score only a percentage of nodes; improved affinity computation (1.12); cache "
            "snapshot improvements (1.14)",
       how="predicted",
       tolerance=Shows("the 1.14 scheduler's loop is faster than 1.10's at 5,000 nodes, with "
                       "and without anti-affinity"))
def fixes() -> Finding:
    m = SchedulerModel()
    rows = []
    faster = True
    for fraction in (0.0, 1.0):
        d = SchedulerDimensions(nodes=5000, anti_affinity_fraction=fraction, version="1.14")
        a, b = m.naive(d).cycle_pods_per_s, m.improved(d).cycle_pods_per_s
        faster = faster and b > a
        rows.append(f"{'all' if fraction else 'no'} anti-affinity {a:.3g} → {b:.3g} pods/s")
    return Finding(faster, "5,000 nodes, the scheduling loop, 1.10 → 1.14: " + "; ".join(rows))
