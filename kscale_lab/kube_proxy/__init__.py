"""Chapter 4 — kube-proxy: iptables' linear rule chains vs IPVS hash tables.

The talk: *"Iptables maintains a linear list of rules, so packet routing can be slow and
updating the rules can be slow. Networking performance affected with number/size of
services"*; the fix, *"IPVS as an alternative to iptables for kube-proxy: IPVS uses hash
tables, much more efficient than linear list"* (GA in 1.11).

* :mod:`~kscale_lab.kube_proxy.cluster` — services, endpoints and packets (seeded);
* :mod:`~kscale_lab.kube_proxy.iptables` — the ``nat`` table kube-proxy builds, rendered as
  ``iptables-save`` text, that routes packets by walking its chains and counts the rules;
* :mod:`~kscale_lab.kube_proxy.ipvs` — virtual and real servers in the kernel's 256-bucket
  hash table, ``rr`` and ``lc`` schedulers, incremental updates, ``ipvsadm -Ln`` text;
* :mod:`~kscale_lab.kube_proxy.model` — the same counts in closed form, the cost constants
  (calibrated on the real ``iptables-legacy``), full and partial (KEP-3453) restores, and
  :class:`KubeProxyModel` (``kscale run kube-proxy``);
* :mod:`~kscale_lab.kube_proxy.latency` — network programming latency (p50, p99) of a
  batching proxier with a minimum sync period, of partial restores with full resyncs, and of
  IPVS's one-change-at-a-time queue;
* :mod:`~kscale_lab.kube_proxy.sync` — SimPy: a rolling update's endpoint changes arriving
  while the proxier syncs.

The real ``iptables`` runs beside the model in :mod:`kscale_lab.real.iptables`.
"""

from kscale_lab.kube_proxy.cluster import (
    SEED,
    Endpoint,
    Packet,
    Service,
    ip_int,
    ip_str,
    make_services,
    random_packets,
    unknown_packet,
)
from kscale_lab.kube_proxy.iptables import FIXED_RULES, IptablesProxier, Route
from kscale_lab.kube_proxy.ipvs import SVC_TAB_SIZE, IpvsProxier
from kscale_lab.kube_proxy.latency import LatencyDistribution
from kscale_lab.kube_proxy.model import (
    FULL_RESYNC_PERIOD_S,
    IPTABLES_PER_RULE_HELD_S,
    IPTABLES_PER_RULE_S,
    IPTABLES_PER_RULE_WRITTEN_S,
    IPTABLES_SYNC_BASE_S,
    IPVS_OP_BYTES,
    IPVS_PER_OP_S,
    KubeProxyDimensions,
    KubeProxyModel,
    KubeProxyOutcome,
    batched_lag_s,
    growth_exponent,
    iptables_append_s,
    iptables_one_by_one_s,
    iptables_payload_bytes,
    iptables_rules,
    iptables_rules_per_packet,
    iptables_rules_written,
    iptables_sync_s,
    ipvs_entries,
    ipvs_entries_per_packet,
    queued_lag_s,
)
from kscale_lab.kube_proxy.sync import Change, Proxier, SyncRun, simulate

__all__ = [
    "FIXED_RULES", "FULL_RESYNC_PERIOD_S", "IPTABLES_PER_RULE_HELD_S", "IPTABLES_PER_RULE_S",
    "IPTABLES_PER_RULE_WRITTEN_S", "IPTABLES_SYNC_BASE_S", "IPVS_OP_BYTES", "IPVS_PER_OP_S",
    "SEED", "SVC_TAB_SIZE", "Change", "Endpoint", "IptablesProxier", "IpvsProxier",
    "KubeProxyDimensions", "KubeProxyModel", "KubeProxyOutcome", "LatencyDistribution",
    "Packet", "Proxier", "Route", "Service", "SyncRun", "batched_lag_s", "growth_exponent",
    "ip_int", "ip_str", "iptables_append_s", "iptables_one_by_one_s", "iptables_payload_bytes",
    "iptables_rules", "iptables_rules_per_packet", "iptables_rules_written", "iptables_sync_s",
    "ipvs_entries", "ipvs_entries_per_packet", "make_services", "queued_lag_s",
    "random_packets", "simulate", "unknown_packet",
]
