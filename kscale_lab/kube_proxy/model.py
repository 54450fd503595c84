"""Chapter 4 at cluster scale: closed-form costs of both proxiers, and the chapter's model.

The counts here are the ones the real tables (:mod:`~kscale_lab.kube_proxy.iptables`,
:mod:`~kscale_lab.kube_proxy.ipvs`) produce, in closed form so that a sweep or a slider move
costs microseconds (``tests/test_kube_proxy.py`` checks both agree):

* **iptables rules**: ``FIXED_RULES + services × (1 + 3 × backends)`` — one ``KUBE-SERVICES``
  rule per service port, and per endpoint one ``KUBE-SVC`` rule and a two-rule ``KUBE-SEP``.
* **iptables rules per packet** (the first packet of a connection; later packets follow
  conntrack): the ``PREROUTING`` jump, on average ``(services + 1) / 2`` rules of
  ``KUBE-SERVICES`` until the service's own, ``(backends + 1) / 2`` probability rules of its
  ``KUBE-SVC`` chain, and the 2 rules of the chosen ``KUBE-SEP``.
* **IPVS entries per packet**: one hash chain of a 256-bucket table, on average
  ``1 + (services - 1) / 512`` entries, plus the real servers the scheduler examines
  (1 for ``rr``).

Time costs are not measured on a kernel; they are stated here, with what each stands for:

* :data:`IPTABLES_SYNC_BASE_S` and :data:`IPTABLES_PER_RULE_S` — a sync generates the whole
  table and runs ``iptables-restore`` on it, which replaces the table in the kernel, so its
  time is a fixed part plus a part per rule. Both are **illustrative**, chosen so that a
  10,000-service, 10-backend cluster (310,008 rules) takes about 3 s per sync: the order of
  magnitude reported by operators of iptables-mode clusters of that size.
* :data:`IPVS_PER_OP_S` — one netlink operation (add or delete a real server) and the
  proxier's bookkeeping around it. **Illustrative** (sub-millisecond).
* :data:`RESTORE_SERVICE_BYTES`, :data:`RESTORE_ENDPOINT_BYTES`, :data:`RESTORE_FIXED_BYTES` —
  the ``iptables-restore`` input per service port and per endpoint. **Calibrated** on this
  lab's own ``iptables-save`` rendering (least squares over 9 clusters, within 0.3 %).
* :data:`IPVS_OP_BYTES` — one ``IPVS_CMD_NEW_DEST`` generic-netlink message, **computed**
  from its attribute layout (header 20 B, service attributes 48 B, destination 72 B).

Endpoint churn: kube-proxy's iptables proxier applies every change pending when a sync starts
and syncs again as soon as one ends if more changes came meanwhile (a minimum sync period of
0). With Poisson changes at rate λ and a sync of ``S`` seconds, a change waits on average
``S × (1 + ρ/2)``, where ``ρ = S / (S + e^(-λS)/λ)`` is the fraction of time the proxier is
busy (see :func:`batched_lag_s`). IPVS applies changes one by one, an M/D/1 queue
(:func:`queued_lag_s`). :mod:`~kscale_lab.kube_proxy.sync` simulates both with SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kscale_lab.control_plane.load import ApiLoad
from kscale_lab.dimensions import Dimensions, dimension, shared
from kscale_lab.kube_proxy.iptables import FIXED_RULES
from kscale_lab.kube_proxy.ipvs import SVC_TAB_SIZE
from kscale_lab.model import Model, Outcome, Version, metric

#: iptables sync, fixed part: start ``iptables-restore``, take the xtables lock, read the
#: current chains. Illustrative.
IPTABLES_SYNC_BASE_S = 0.02
#: iptables sync, per rule: generate it, parse it, and copy it into the new kernel table.
#: Illustrative (310,008 rules → 3.1 s).
IPTABLES_PER_RULE_S = 10e-6
#: IPVS, per netlink operation (add or delete one real server). Illustrative.
IPVS_PER_OP_S = 100e-6
#: ``iptables-restore`` input bytes: fixed chains and rules, per service port, per endpoint
#: (calibrated on :meth:`IptablesProxier.save`, whose lines are kube-proxy's).
RESTORE_FIXED_BYTES = 986
RESTORE_SERVICE_BYTES = 129
RESTORE_ENDPOINT_BYTES = 463
#: One ``IPVS_CMD_NEW_DEST`` message: nlmsghdr + genlmsghdr (20 B), the nested service
#: attributes (AF, protocol, address, port: 48 B) and destination attributes (address, port,
#: forwarding method, weight, thresholds, address family: 72 B).
IPVS_OP_BYTES = 20 + 48 + 72


@dataclass(frozen=True)
class KubeProxyDimensions(Dimensions):
    """The dimensions that suffer (#services, #backends/service) and the endpoint churn."""

    services: int = shared("services", 10_000, help="Here: service ports")
    backends_per_service: int = shared("backends_per_service", 10,
                                       help="Here: ready endpoints per service port")
    endpoint_changes_per_s: float = dimension(
        5.0, lo=0.1, hi=1000.0, unit="changes/s", log=True, label="endpoint churn",
        help="Endpoint changes per second across the cluster (pods starting, stopping, "
             "becoming ready): each one must reach every node's proxier")


@dataclass(frozen=True)
class KubeProxyOutcome(Outcome):
    """What one proxier costs at one size of cluster."""

    rules_total: int = metric(unit="rules", help="iptables rules in the nat table, or IPVS "
                                                  "virtual + real server entries")
    rules_per_packet: float = metric(unit="rules", help="Rules (entries) evaluated to route "
                                     "the first packet of a connection to a random service")
    update_latency_s: float = metric(unit="s", help="Time to apply one endpoint change "
                                                    "(iptables: a full sync)")
    rolling_update_s: float = metric(unit="s", help="Proxier time to apply a rolling update "
                                     "of one service: 2 changes per backend, each applied alone")
    sync_payload_bytes: int = metric(unit="B", help="Bytes handed to the kernel for one "
                                                    "endpoint change")
    rule_lag_s: float = metric(unit="s", help="Mean time from an endpoint change to its rule "
                                              "in the kernel, at the given churn")
    busy_fraction: float = metric(unit="", help="Fraction of the time the proxier is busy "
                                                "applying changes, at the given churn")
    curve: dict | None = field(default=None, repr=False)
    """This proxier's ``rules_per_packet`` and ``update_latency_s`` over
    :data:`SWEEP_SERVICES`, at the same backends per service (for the figure)."""


# --- closed forms (NumPy-friendly: services and backends may be arrays) ---------------------

def iptables_rules(services: Any, backends: Any) -> Any:
    """Rules in the ``nat`` table."""
    return FIXED_RULES + np.asarray(services) * (1 + 3 * np.asarray(backends))


def iptables_rules_per_packet(services: Any, backends: Any) -> Any:
    """Mean rules evaluated for the first packet to a uniformly random service."""
    return 1 + (np.asarray(services) + 1) / 2 + (np.asarray(backends) + 1) / 2 + 2


def iptables_sync_s(services: Any, backends: Any) -> Any:
    """One full sync: the fixed part plus every rule."""
    return IPTABLES_SYNC_BASE_S + IPTABLES_PER_RULE_S * iptables_rules(services, backends)


def iptables_payload_bytes(services: Any, backends: Any) -> Any:
    """``iptables-restore`` input of one sync (the whole table)."""
    s, b = np.asarray(services), np.asarray(backends)
    return RESTORE_FIXED_BYTES + s * RESTORE_SERVICE_BYTES + s * b * RESTORE_ENDPOINT_BYTES


def ipvs_entries(services: Any, backends: Any) -> Any:
    """Virtual servers plus real servers."""
    return np.asarray(services) * (1 + np.asarray(backends))


def ipvs_entries_per_packet(services: Any, backends: Any = 1, scheduler: str = "rr") -> Any:
    """Mean hash-chain entries examined (uniform hashing) plus real servers scheduled."""
    lookup = 1 + (np.asarray(services) - 1) / (2 * SVC_TAB_SIZE)
    return lookup + (1 if scheduler == "rr" else np.asarray(backends))


def batched_lag_s(sync_s: Any, rate_per_s: float) -> tuple[Any, Any]:
    """Mean lag and busy fraction of a proxier that applies all pending changes per sync.

    A change arriving while idle waits one sync; one arriving during a sync waits for its
    rest (on average half, for Poisson arrivals) and then a whole sync of its own."""
    s = np.asarray(sync_s, dtype=float)
    busy = s / (s + np.exp(-rate_per_s * s) / rate_per_s)
    return s * (1 + busy / 2), busy


def queued_lag_s(op_s: float, rate_per_s: float) -> tuple[float, float]:
    """Mean lag and utilisation of changes applied one at a time (M/D/1; ``inf`` if λ·c ≥ 1)."""
    rho = rate_per_s * op_s
    if rho >= 1:
        return float("inf"), 1.0
    return op_s + rate_per_s * op_s ** 2 / (2 * (1 - rho)), rho


def growth_exponent(x: Any, y: Any, decades: float = 1.0) -> float:
    """Slope of ``log y`` against ``log x`` over the top ``decades`` of ``x`` (least squares):
    1 means linear growth, 0 none."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    top = x >= x.max() / 10 ** decades
    return float(np.polyfit(np.log10(x[top]), np.log10(y[top]), 1)[0])


SWEEP_SERVICES = np.unique(np.geomspace(10, 50_000, 45).round().astype(int))


class KubeProxyModel(Model):
    """kube-proxy at cluster scale: iptables (naive) vs IPVS (improved)."""

    key = "kube-proxy"
    chapter = 4
    title = "kube-proxy"
    dimensions = KubeProxyDimensions
    versions = (Version("naive", "iptables"), Version("improved", "IPVS"))
    figure_class = "kscale_lab.figures.kube_proxy:KubeProxyFigure"

    def run(self, dims: KubeProxyDimensions, version: Version) -> KubeProxyOutcome:
        """The proxier's work on one node. Its load on the control plane (the Endpoints
        that every kube-proxy watches) is chapter 8's subject: not counted here."""
        return self._naive(dims) if version.is_naive else self._improved(dims)

    def _naive(self, dims: KubeProxyDimensions) -> KubeProxyOutcome:
        s, n = dims.services, dims.backends_per_service
        sync = float(iptables_sync_s(s, n))
        lag, busy = batched_lag_s(sync, dims.endpoint_changes_per_s)
        return KubeProxyOutcome(
            rules_total=int(iptables_rules(s, n)),
            rules_per_packet=float(iptables_rules_per_packet(s, n)),
            update_latency_s=sync, rolling_update_s=2 * n * sync,
            sync_payload_bytes=int(iptables_payload_bytes(s, n)),
            rule_lag_s=float(lag), busy_fraction=float(busy),
            curve=self.sweep(dims)["naive"] | {"services": SWEEP_SERVICES}, load=ApiLoad())

    def _improved(self, dims: KubeProxyDimensions) -> KubeProxyOutcome:
        s, n = dims.services, dims.backends_per_service
        lag, busy = queued_lag_s(IPVS_PER_OP_S, dims.endpoint_changes_per_s)
        return KubeProxyOutcome(
            rules_total=int(ipvs_entries(s, n)),
            rules_per_packet=float(ipvs_entries_per_packet(s, n)),
            update_latency_s=IPVS_PER_OP_S, rolling_update_s=2 * n * IPVS_PER_OP_S,
            sync_payload_bytes=IPVS_OP_BYTES, rule_lag_s=lag, busy_fraction=busy,
            curve=self.sweep(dims)["improved"] | {"services": SWEEP_SERVICES}, load=ApiLoad())

    def sweep(self, dims: KubeProxyDimensions, services: Any = SWEEP_SERVICES) -> dict:
        """Both proxiers' per-packet work and update latency over ``services`` (closed form)."""
        n = dims.backends_per_service
        return {"services": services,
                "naive": {"rules_per_packet": iptables_rules_per_packet(services, n),
                          "update_latency_s": iptables_sync_s(services, n)},
                "improved": {"rules_per_packet": ipvs_entries_per_packet(services, n),
                             "update_latency_s": np.full(len(services), IPVS_PER_OP_S)}}
