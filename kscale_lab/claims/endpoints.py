"""Chapter 8's claims: the talk's "Peep into the future" — a new Endpoints API — and the
bound on backends per Service it set out to raise.

The talk makes no number for these; what the lab can check is that the mechanism it
describes does what the talk expected, from object sizes measured on real objects and the
EndpointSlice controller's default of 100 endpoints per slice.
"""

from __future__ import annotations

from kscale_lab.endpoints import EndpointsDimensions, EndpointsModel
from kscale_lab.talk import Finding, Shows, claim
from kscale_lab.units import human_bytes


@claim("endpoints-api", slide="Peep into the future", says="New Endpoints API",
       how="predicted",
       tolerance=Shows("at 5,000 nodes and 1,000 backends per Service, one backend change "
                       "sends at least 5× fewer bytes to the kube-proxies with EndpointSlices "
                       "than with one Endpoints object, for the same number of etcd writes "
                       "and watch events"))
def endpoints_api() -> Finding:
    c = EndpointsModel().compare(EndpointsDimensions(backends_per_service=1000))
    n, i = c.naive, c.improved
    ratio = n.bytes_per_update / i.bytes_per_update
    same = (n.etcd_writes_per_update == i.etcd_writes_per_update
            and n.watch_events_per_update == i.watch_events_per_update)
    return Finding(ratio >= 5 and same,
                   f"1,000 backends, 5,000 kube-proxies: one change sends "
                   f"{human_bytes(n.bytes_per_update)} (Endpoints) vs "
                   f"{human_bytes(i.bytes_per_update)} (slices of 100), {ratio:.1f}× less; "
                   f"{n.etcd_writes_per_update} etcd write and {n.watch_events_per_update:,} "
                   "events either way")


@claim("backends-bound", slide="Background",
       says="Started working on improving various bounds: # Backends/service",
       how="predicted",
       tolerance=Shows("with EndpointSlices the bytes one backend change sends stop growing "
                       "with the Service's size beyond 100 backends (within 10 % from 200 to "
                       "2,000), while with one Endpoints object they grow in proportion"))
def backends_bound() -> Finding:
    m = EndpointsModel()
    small = m.compare(EndpointsDimensions(backends_per_service=200))
    big = m.compare(EndpointsDimensions(backends_per_service=2000))
    grow_i = big.improved.bytes_per_update / small.improved.bytes_per_update
    grow_n = big.naive.bytes_per_update / small.naive.bytes_per_update
    return Finding(abs(grow_i - 1) <= 0.10 and grow_n >= 8,
                   f"200 → 2,000 backends: per change ×{grow_n:.1f} with Endpoints, "
                   f"×{grow_i:.2f} with EndpointSlices")
