"""Chapter 1's claim: scalability is multi-dimensional."""

from __future__ import annotations

from kscale_lab.envelope import ClusterDimensions, EnvelopeModel
from kscale_lab.talk import Finding, Shows, claim


@claim("envelope", slide="Background", says="Scalability is a multi-dimensional problem",
       how="illustrated",
       tolerance=Shows("a cluster of at most 5,000 nodes that #nodes alone accepts and the "
                       "envelope rejects (5,000 nodes × 40 pods/node)"))
def envelope() -> Finding:
    c = EnvelopeModel().compare(ClusterDimensions(nodes=5000, pods_per_node=40))
    shown = c.naive.within_envelope and not c.improved.within_envelope
    naive = "supported" if c.naive.within_envelope else "not supported"
    return Finding(shown, f"5,000 nodes × 40 pods/node: #nodes alone says {naive}; the "
                          f"envelope says {'not' if not c.improved.within_envelope else 'yes'} "
                          f"({c.improved.violations} threshold(s) exceeded, worst "
                          f"{c.improved.worst_dimension} at {c.improved.worst_ratio:.2f}× its "
                          "limit). The thresholds are published data.")
