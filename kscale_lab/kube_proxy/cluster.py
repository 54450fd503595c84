"""The services both proxiers program: Services, their endpoints, and the packets sent to them.

A :class:`Service` here is one *service port* of a Kubernetes Service (kube-proxy programs
one set of rules per service port): a namespace and name, a port name, a protocol, the
cluster IP and port, and the ready endpoints (pod IP and target port). :func:`make_services`
builds a seeded, deterministic cluster of them:

* cluster IPs are drawn without replacement from the default service CIDR ``10.96.0.0/12``
  (the apiserver allocates them at random too); ``10.96.0.1`` is kept for ``kubernetes``;
* pod IPs are drawn without replacement from a pod CIDR ``10.128.0.0/9``;
* ports are drawn from a few common ones (HTTP, HTTPS, DNS over UDP, Redis, PostgreSQL …).

Addresses are kept as ``int`` (IPv4, host byte order) and formatted only when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SEED = 2019                                    # the talk's year; every random draw uses it

SERVICE_CIDR = (0x0A600000, 20)                # 10.96.0.0/12: 2**20 addresses
POD_CIDR = (0x0A800000, 23)                    # 10.128.0.0/9: 2**23 addresses
MAX_ENDPOINTS = 1_000_000                      # the real tables are built up to this size
SERVICES_PER_NAMESPACE = 100

#: (port name, protocol, service port, target port), drawn per service.
PORTS = (("http", "tcp", 80, 8080), ("https", "tcp", 443, 8443), ("dns", "udp", 53, 53),
         ("redis", "tcp", 6379, 6379), ("postgres", "tcp", 5432, 5432),
         ("metrics", "tcp", 9090, 9090))
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17}


def ip_str(ip: int) -> str:
    """``0x0A600001`` → ``'10.96.0.1'``."""
    return f"{ip >> 24 & 255}.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}"


def ip_int(text: str) -> int:
    """``'10.96.0.1'`` → ``0x0A600001``; ``ValueError`` for anything else."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError(f"not an IPv4 address: {text!r}")
    a, b, c, d = (int(p) for p in parts)
    return a << 24 | b << 16 | c << 8 | d


@dataclass(frozen=True)
class Endpoint:
    """One ready backend of a service port: a pod IP and the target port."""

    ip: int
    port: int

    def __str__(self) -> str:
        return f"{ip_str(self.ip)}:{self.port}"


@dataclass(frozen=True)
class Service:
    """One service port, as kube-proxy sees it."""

    namespace: str
    name: str
    port_name: str
    protocol: str                  # "tcp" or "udp"
    cluster_ip: int
    port: int
    endpoints: tuple[Endpoint, ...] = field(default=())

    @property
    def key(self) -> str:
        """kube-proxy's ``ServicePortName``: ``namespace/name:port``."""
        return f"{self.namespace}/{self.name}:{self.port_name}"

    def with_endpoints(self, endpoints: tuple[Endpoint, ...] | list[Endpoint]) -> Service:
        return Service(self.namespace, self.name, self.port_name, self.protocol,
                       self.cluster_ip, self.port, tuple(endpoints))


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection: where it comes from and where it goes."""

    src_ip: int
    dst_ip: int
    dst_port: int
    protocol: str = "tcp"


def make_services(services: int, backends_per_service: int, seed: int = SEED) -> list[Service]:
    """A deterministic cluster of ``services`` service ports with ``backends_per_service``
    endpoints each (same arguments, same cluster)."""
    if not 1 <= services <= SERVICE_CIDR_SIZE - 2:
        raise ValueError(f"services must be from 1 to {SERVICE_CIDR_SIZE - 2:,}; got {services}")
    if backends_per_service < 0:
        raise ValueError(f"backends_per_service must be 0 or more; got {backends_per_service}")
    if services * backends_per_service > MAX_ENDPOINTS:
        raise ValueError(f"services × backends_per_service must be at most {MAX_ENDPOINTS:,} "
                         f"for the real rule tables (use the closed-form model beyond); got "
                         f"{services * backends_per_service:,}")
    rng = np.random.default_rng(seed)
    base, bits = SERVICE_CIDR
    # offsets 0 (network) and 1 (the kubernetes service) are never drawn
    svc_ips = base + 2 + rng.choice((1 << bits) - 2, size=services, replace=False)
    pbase, pbits = POD_CIDR
    pod_ips = pbase + 1 + rng.choice((1 << pbits) - 2, size=services * backends_per_service,
                                     replace=False)
    ports = rng.integers(0, len(PORTS), size=services)
    out = []
    for i in range(services):
        port_name, proto, port, target = PORTS[ports[i]]
        eps = tuple(Endpoint(int(ip), target)
                    for ip in pod_ips[i * backends_per_service:(i + 1) * backends_per_service])
        out.append(Service(f"ns-{i // SERVICES_PER_NAMESPACE:03d}", f"svc-{i:05d}", port_name,
                           proto, int(svc_ips[i]), port, eps))
    return out


SERVICE_CIDR_SIZE = 1 << SERVICE_CIDR[1]


def random_packets(services: list[Service], count: int, seed: int = SEED) -> list[Packet]:
    """``count`` first packets, each to a service chosen uniformly at random, from a client
    pod that is not a backend (so no hairpin masquerade)."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(services), size=count)
    clients = 0x0A000000 + 1 + rng.integers(0, 1 << 16, size=count)     # 10.0.0.0/16
    return [Packet(int(c), services[w].cluster_ip, services[w].port, services[w].protocol)
            for w, c in zip(which, clients)]


def unknown_packet(services: list[Service], seed: int = SEED) -> Packet:
    """A packet to a service-CIDR address that no service has (it must fall through)."""
    used = {s.cluster_ip for s in services}
    rng = np.random.default_rng(seed)
    base, bits = SERVICE_CIDR
    while True:
        ip = base + 2 + int(rng.integers(0, (1 << bits) - 2))
        if ip not in used:
            return Packet(0x0A000002, ip, 80, "tcp")
