"""The IPVS proxier: virtual servers in the kernel's hash table, updated one entry at a time.

In IPVS mode (KEP-265, GA in 1.11) kube-proxy creates one IPVS *virtual server* per service
port (cluster IP, port, protocol) with one *real server* per endpoint, and binds the cluster
IPs to a dummy interface (``kube-ipvs0``). A handful of iptables rules remain, matching
ipsets rather than services, so their number does not grow with the cluster.

The kernel keeps virtual servers in ``ip_vs_svc_table``, a hash table of
:data:`SVC_TAB_SIZE` = 256 chains (``IP_VS_SVC_TAB_BITS`` = 8 in ``include/net/ip_vs.h``),
hashed by :func:`svc_hashkey` (``ip_vs_svc_hashkey`` in ``net/netfilter/ipvs/ip_vs_ctl.c``);
a new service goes to the head of its chain. A lookup walks one chain: with 10,000 services
that is ~39 entries per chain, so a *hash* table with a fixed bucket count is still linear in
the number of services — with a slope 1/512 of iptables'. :meth:`IpvsProxier.route` counts the
entries examined, plus the real servers the scheduler looks at:

* ``rr`` (round robin, kube-proxy's default) moves to the next real server: one examined;
* ``lc`` (least connection) scans every real server for the least ``(active << 8) + inactive``.

Updates are incremental: :meth:`IpvsProxier.set_endpoints` computes the difference and issues
one netlink operation (``IPVS_CMD_NEW_DEST`` / ``IPVS_CMD_DEL_DEST``) per changed endpoint.
:meth:`IpvsProxier.ipvsadm` renders the table as ``ipvsadm -Ln`` prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kscale_lab.kube_proxy.cluster import PROTOCOL_NUMBERS, Endpoint, Packet, Service, ip_str
from kscale_lab.kube_proxy.iptables import Route

SVC_TAB_BITS = 8
SVC_TAB_SIZE = 1 << SVC_TAB_BITS
SCHEDULERS = ("rr", "lc")
CONN_TAB_SIZE = 4096          # the connection table's size, which ``ipvsadm -Ln`` prints


def svc_hashkey(protocol: str, ip: int, port: int) -> int:
    """The kernel's ``ip_vs_svc_hashkey`` (without the per-namespace term)."""
    proto = PROTOCOL_NUMBERS[protocol]
    return (proto ^ ip ^ (port >> SVC_TAB_BITS) ^ port) & (SVC_TAB_SIZE - 1)


@dataclass
class RealServer:
    ip: int
    port: int
    weight: int = 1
    active_conns: int = 0
    inactive_conns: int = 0

    @property
    def overhead(self) -> int:
        """``ip_vs_dest_conn_overhead``: what ``lc`` minimises."""
        return (self.active_conns << 8) + self.inactive_conns


@dataclass
class VirtualServer:
    protocol: str
    ip: int
    port: int
    scheduler: str = "rr"
    reals: list[RealServer] = field(default_factory=list)
    rr_next: int = 0

    def schedule(self) -> tuple[RealServer | None, int]:
        """Pick a real server; returns it and how many real servers were examined."""
        live = [r for r in self.reals if r.weight > 0]
        if not live:
            return None, len(self.reals)
        if self.scheduler == "rr":
            n = len(self.reals)
            for k in range(n):                    # skip weight-0 (terminating) servers
                r = self.reals[(self.rr_next + k) % n]
                if r.weight > 0:
                    self.rr_next = (self.rr_next + k + 1) % n
                    return r, k + 1
        best = min(live, key=lambda r: r.overhead)  # lc: a full scan, first minimum wins
        return best, len(self.reals)


class IpvsProxier:
    """kube-proxy's IPVS mode: a hash table of virtual servers, changed incrementally."""

    def __init__(self, services: Iterable[Service] = (), scheduler: str = "rr") -> None:
        if scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}; "
                             f"got {scheduler!r}")
        self.scheduler = scheduler
        self.table: list[list[VirtualServer]] = [[] for _ in range(SVC_TAB_SIZE)]
        self.by_key: dict[str, VirtualServer] = {}
        self.operations = 0                    # netlink operations issued so far
        for svc in services:
            self.add_service(svc)

    def add_service(self, svc: Service) -> int:
        """``IPVS_CMD_NEW_SERVICE`` and one ``IPVS_CMD_NEW_DEST`` per endpoint."""
        if svc.key in self.by_key:
            raise ValueError(f"service port {svc.key!r} already exists")
        vs = VirtualServer(svc.protocol, svc.cluster_ip, svc.port, self.scheduler)
        self.table[svc_hashkey(svc.protocol, svc.cluster_ip, svc.port)].insert(0, vs)
        self.by_key[svc.key] = vs
        self.operations += 1
        return 1 + self.set_endpoints(svc.key, svc.endpoints)

    def remove_service(self, key: str) -> int:
        vs = self.by_key.pop(key)
        self.table[svc_hashkey(vs.protocol, vs.ip, vs.port)].remove(vs)
        self.operations += 1
        return 1

    def set_endpoints(self, key: str, endpoints: Iterable[Endpoint]) -> int:
        """Apply an Endpoints change as the difference; returns the netlink operations."""
        if key not in self.by_key:
            raise ValueError(f"unknown service port {key!r}")
        vs = self.by_key[key]
        want = {(e.ip, e.port) for e in endpoints}
        have = {(r.ip, r.port) for r in vs.reals}
        ops = 0
        for r in [r for r in vs.reals if (r.ip, r.port) not in want]:
            vs.reals.remove(r)                                 # IPVS_CMD_DEL_DEST
            ops += 1
        for ip, port in sorted(want - have):
            vs.reals.append(RealServer(ip, port))               # IPVS_CMD_NEW_DEST
            ops += 1
        if vs.reals:
            vs.rr_next %= len(vs.reals)
        self.operations += ops
        return ops

    @property
    def entries_total(self) -> int:
        """Virtual servers plus real servers."""
        return sum(1 + len(vs.reals) for vs in self.by_key.values())

    def lookup(self, packet: Packet) -> tuple[VirtualServer | None, int]:
        """``ip_vs_service_find``: walk one hash chain; returns the service and entries examined."""
        chain = self.table[svc_hashkey(packet.protocol, packet.dst_ip, packet.dst_port)]
        for k, vs in enumerate(chain):
            if vs.ip == packet.dst_ip and vs.port == packet.dst_port \
                    and vs.protocol == packet.protocol:
                return vs, k + 1
        return None, len(chain)

    def route(self, packet: Packet, rng: object = None) -> Route:
        """A new connection: find its virtual server, let the scheduler pick a real server.

        ``rng`` is accepted for symmetry with the iptables proxier; IPVS's schedulers are
        deterministic."""
        vs, examined = self.lookup(packet)
        if vs is None:
            return Route(None, examined, ("ip_vs_svc_table",))
        real, looked = vs.schedule()
        if real is None:
            return Route(None, examined + looked, ("ip_vs_svc_table", vs.scheduler))
        real.active_conns += 1
        return Route(Endpoint(real.ip, real.port), examined + looked,
                     ("ip_vs_svc_table", vs.scheduler))

    def ipvsadm(self) -> str:
        """The table as ``ipvsadm -Ln`` prints it (services and real servers sorted)."""
        lines = [f"IP Virtual Server version 1.2.1 (size={CONN_TAB_SIZE})",
                 "Prot LocalAddress:Port Scheduler Flags",
                 "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
        for vs in sorted(self.by_key.values(), key=lambda v: (v.protocol, v.ip, v.port)):
            lines.append(f"{vs.protocol.upper()}  {ip_str(vs.ip)}:{vs.port} {vs.scheduler}")
            for r in sorted(vs.reals, key=lambda r: (r.ip, r.port)):
                dest = f"{ip_str(r.ip)}:{r.port}"
                lines.append(f"  -> {dest:<28} {'Masq':<7} {r.weight:<6} "
                             f"{r.active_conns:<10} {r.inactive_conns}")
        return "\n".join(lines) + "\n"
