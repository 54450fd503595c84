"""The iptables proxier: the ``nat`` table kube-proxy builds, as rules that really route.

For every service port kube-proxy writes (``pkg/proxy/iptables/proxier.go``):

* one rule in ``KUBE-SERVICES`` matching the cluster IP, protocol and port, jumping to
* a chain ``KUBE-SVC-<hash>`` with one rule per endpoint: endpoint *i* of *n* is chosen with
  ``-m statistic --mode random --probability 1/(n-i)``, the last rule is unconditional — so
  every endpoint gets a 1/n share — each jumping to
* a chain ``KUBE-SEP-<hash>`` per endpoint with two rules: mark hairpin traffic (the pod
  talking to itself through the service) for masquerade (``-j KUBE-MARK-MASQ``), then
  ``-j DNAT --to-destination <pod IP>:<port>``.

The hashes are kube-proxy's: the first 16 characters of the base32 SHA-256 of the service
port name and protocol (plus the endpoint, for ``KUBE-SEP``). A few fixed rules complete the
table (the jumps from ``PREROUTING``/``OUTPUT``, ``KUBE-MARK-MASQ``, ``KUBE-POSTROUTING``, the
final ``KUBE-NODEPORTS`` rule of ``KUBE-SERVICES``): :data:`FIXED_RULES` of them.

:meth:`IptablesProxier.route` classifies a packet the way netfilter does: walk the chain in
order, evaluate each rule's matches, follow the first that matches (``statistic`` draws a
random number), until a ``DNAT`` — and count every rule evaluated. Long chains are searched
with NumPy (the same first-match semantics, vectorised), so 10,000 services route in
microseconds of Python per packet, but the *count* is exactly what the kernel evaluates.

iptables has no incremental API: :meth:`IptablesProxier.sync` rebuilds every chain, and
:meth:`IptablesProxier.save` renders the whole table as ``iptables-save`` text — what
``iptables-restore`` is handed on every sync.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from kscale_lab.kube_proxy.cluster import Endpoint, Packet, Service, ip_str

#: Rules that do not depend on the services: 3 jumps from built-in chains, 1 in
#: KUBE-MARK-MASQ, 3 in KUBE-POSTROUTING and the last rule of KUBE-SERVICES.
FIXED_RULES = 8
MASQ_MARK = "0x4000/0x4000"
#: Chains up to this length are walked in plain Python; longer ones with NumPy.
VECTOR_MIN = 48
BUILTIN = ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")
PROTO_CODE = {None: -1, "tcp": 6, "udp": 17}


def _hash16(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def svc_chain(svc: Service) -> str:
    """kube-proxy's ``servicePortChainName``: ``KUBE-SVC-`` + hash(port name + protocol)."""
    return "KUBE-SVC-" + _hash16(svc.key + svc.protocol.upper())


def sep_chain(svc: Service, ep: Endpoint) -> str:
    """kube-proxy's ``servicePortEndpointChainName``: ``KUBE-SEP-`` + hash(…, endpoint)."""
    return "KUBE-SEP-" + _hash16(svc.key + svc.protocol.upper() + str(ep))


def statistic_probability(p: float) -> tuple[int, str]:
    """The ``statistic`` match stores ``p`` as a 31-bit fraction; iptables-save prints it with
    11 decimals. Returns (stored value, printed text): 1/3 → (715827883, '0.33333333349')."""
    raw = int(round(p * 0x80000000))
    return raw, f"{raw / 0x80000000:.11f}"


class Rule:
    """One rule: its matches (``None``: not matched on), its target and a comment."""

    __slots__ = ("chain", "src", "dst", "proto", "dport", "proto_module", "probability",
                 "prob_text", "dst_local", "opaque", "comment", "target", "target_args",
                 "dnat")

    def __init__(self, chain: str, target: str, *, src: int | None = None,
                 dst: int | None = None, proto: str | None = None, dport: int | None = None,
                 proto_module: bool = False, probability: float | None = None,
                 dst_local: bool = False, opaque: str = "", comment: str = "",
                 target_args: str = "", dnat: Endpoint | None = None) -> None:
        self.chain, self.target, self.src, self.dst = chain, target, src, dst
        self.proto, self.dport, self.proto_module = proto, dport, proto_module
        self.prob_text = ""
        if probability is not None:
            raw, self.prob_text = statistic_probability(probability)
            probability = raw / 0x80000000
        self.probability = probability
        self.dst_local, self.opaque, self.comment = dst_local, opaque, comment
        self.target_args, self.dnat = target_args, dnat

    def simple_match(self, p: Packet) -> bool:
        """The deterministic matches (addresses, protocol, port); ``opaque`` never matches."""
        return not self.opaque and (
            (self.dst is None or self.dst == p.dst_ip)
            and (self.src is None or self.src == p.src_ip)
            and (self.proto is None or self.proto == p.protocol)
            and (self.dport is None or self.dport == p.dst_port))

    def render(self) -> str:
        """The rule as ``iptables-save`` prints it."""
        parts = ["-A", self.chain]
        if self.src is not None:
            parts += ["-s", ip_str(self.src) + "/32"]
        if self.dst is not None:
            parts += ["-d", ip_str(self.dst) + "/32"]
        if self.proto is not None:
            parts += ["-p", self.proto]
        if self.opaque:
            parts.append(self.opaque)
        if self.comment:
            parts += ["-m", "comment", "--comment", f'"{self.comment}"']
        if self.proto_module:
            parts += ["-m", self.proto]
            if self.dport is not None:
                parts += ["--dport", str(self.dport)]
        if self.probability is not None:
            parts += ["-m statistic --mode random --probability", self.prob_text]
        if self.dst_local:
            parts.append("-m addrtype --dst-type LOCAL")
        parts += ["-j", self.target]
        if self.target_args:
            parts.append(self.target_args)
        return " ".join(parts)


@dataclass(frozen=True)
class Route:
    """Where a packet went: the backend (``None``: not DNATed), the rules evaluated on the
    way, and the chains it passed through."""

    backend: Endpoint | None
    rules_evaluated: int
    chains: tuple[str, ...]
    masquerade: bool = False
    steps: tuple[tuple[str, str], ...] = ()     # (rule, verdict), with ``explain=True``


@dataclass(frozen=True)
class SyncResult:
    """What one sync handed to the kernel."""

    rules_written: int
    chains_written: int


def _fixed_rules() -> list[Rule]:
    portals = "kubernetes service portals"
    return [
        Rule("PREROUTING", "KUBE-SERVICES", comment=portals),
        Rule("OUTPUT", "KUBE-SERVICES", comment=portals),
        Rule("POSTROUTING", "KUBE-POSTROUTING", comment="kubernetes postrouting rules"),
        Rule("KUBE-MARK-MASQ", "MARK", target_args=f"--set-xmark {MASQ_MARK}"),
        Rule("KUBE-POSTROUTING", "RETURN", opaque=f"-m mark ! --mark {MASQ_MARK}"),
        Rule("KUBE-POSTROUTING", "MARK", target_args="--set-xmark 0x4000/0x0"),
        Rule("KUBE-POSTROUTING", "MASQUERADE", target_args="--random-fully",
             comment="kubernetes service traffic requiring SNAT"),
    ]


def service_rules(svc: Service) -> tuple[Rule, list[tuple[str, list[Rule]]]]:
    """The ``KUBE-SERVICES`` rule of one service port and its chains (SVC, then each SEP)."""
    svc_name = svc_chain(svc)
    entry = Rule("KUBE-SERVICES", svc_name, dst=svc.cluster_ip, proto=svc.protocol,
                 dport=svc.port, proto_module=True, comment=f"{svc.key} cluster IP")
    n = len(svc.endpoints)
    svc_rules, chains = [], []
    for i, ep in enumerate(svc.endpoints):
        sep = sep_chain(svc, ep)
        svc_rules.append(Rule(svc_name, sep, comment=f"{svc.key} -> {ep}",
                              probability=1.0 / (n - i) if i < n - 1 else None))
        chains.append((sep, [
            Rule(sep, "KUBE-MARK-MASQ", src=ep.ip, comment=svc.key),
            Rule(sep, "DNAT", proto=svc.protocol, proto_module=True, comment=svc.key,
                 target_args=f"--to-destination {ep}", dnat=ep)]))
    return entry, [(svc_name, svc_rules), *chains]


class IptablesProxier:
    """kube-proxy's iptables mode: the whole ``nat`` table, rebuilt on every sync."""

    def __init__(self, services: Iterable[Service] = (), local_ips: Iterable[int] = ()) -> None:
        self.services: dict[str, Service] = {s.key: s for s in services}
        self.local_ips = frozenset(local_ips)
        self.chains: dict[str, list[Rule]] = {}
        self._vectors: dict[str, tuple[np.ndarray, ...]] = {}
        self.syncs = 0
        self.sync()

    # --- updates: there is no incremental API ---------------------------------------------
    def sync(self) -> SyncResult:
        """Rebuild every chain from the services (what ``iptables-restore`` receives)."""
        chains: dict[str, list[Rule]] = {name: [] for name in BUILTIN}
        for name in ("KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"):
            chains[name] = []
        for r in _fixed_rules():
            chains[r.chain].append(r)
        for svc in self.services.values():
            if not svc.endpoints:          # kube-proxy REJECTs these in the filter table
                continue
            entry, own = service_rules(svc)
            chains["KUBE-SERVICES"].append(entry)
            for name, rules in own:
                chains[name] = rules
        chains["KUBE-SERVICES"].append(Rule(
            "KUBE-SERVICES", "KUBE-NODEPORTS", dst_local=True,
            comment="kubernetes service nodeports; NOTE: this must be the last rule in this "
                    "chain"))
        self.chains = chains
        self._vectors = {}
        self.syncs += 1
        return SyncResult(self.rules_total, len(chains))

    def set_endpoints(self, key: str, endpoints: Iterable[Endpoint]) -> SyncResult:
        """An Endpoints change for one service port; the proxier must re-sync everything."""
        if key not in self.services:
            raise ValueError(f"unknown service port {key!r}")
        self.services[key] = self.services[key].with_endpoints(tuple(endpoints))
        return self.sync()

    @property
    def rules_total(self) -> int:
        return sum(len(rules) for rules in self.chains.values())

    # --- the packet path ---------------------------------------------------------------------
    def route(self, packet: Packet, rng: np.random.Generator, explain: bool = False) -> Route:
        """Classify the first packet of a connection, from ``PREROUTING``, as netfilter does.

        With ``explain``, every rule evaluated is recorded in :attr:`Route.steps` with its
        verdict (slower: no vectorised search)."""
        state: dict = {"evaluated": 0, "chains": [], "mark": False,
                       "steps": [] if explain else None}
        backend = self._walk("PREROUTING", packet, rng, state)
        steps = tuple(state["steps"]) if explain else ()
        return Route(backend, state["evaluated"], tuple(state["chains"]), state["mark"], steps)

    def _walk(self, name: str, p: Packet, rng: np.random.Generator, state: dict) -> Endpoint | None:
        rules = self.chains[name]
        state["chains"].append(name)
        steps = state["steps"]
        mask = self._mask(name, p) if len(rules) >= VECTOR_MIN and steps is None else None
        i, n = 0, len(rules)
        while i < n:
            if mask is None:
                j = i
                while j < n and not rules[j].simple_match(p):
                    if steps is not None:
                        steps.append((rules[j].render(), "no match"))
                    j += 1
            else:
                off = int(mask[i:].argmax())
                j = i + off if mask[i + off] else n
            state["evaluated"] += min(j, n - 1) - i + 1
            if j == n:
                return None
            r = rules[j]
            i = j + 1
            if r.probability is not None and not rng.random() < r.probability:
                if steps is not None:
                    steps.append((r.render(), "no match (random draw)"))
                continue
            if r.dst_local and p.dst_ip not in self.local_ips:
                if steps is not None:
                    steps.append((r.render(), "no match (not a local address)"))
                continue
            if steps is not None:
                steps.append((r.render(), "match"))
            if r.target == "DNAT":
                return r.dnat
            if r.target == "MARK":
                state["mark"] = True
            elif r.target == "RETURN":
                return None
            elif r.target in self.chains:
                found = self._walk(r.target, p, rng, state)
                if found is not None:
                    return found
        return None

    def _mask(self, name: str, p: Packet) -> np.ndarray:
        vec = self._vectors.get(name)
        if vec is None:
            rules = self.chains[name]
            vec = tuple(np.array(col, dtype=np.int64) for col in zip(*(
                (-1 if r.dst is None else r.dst, -1 if r.src is None else r.src,
                 PROTO_CODE[r.proto], -1 if r.dport is None else r.dport, bool(r.opaque))
                for r in rules)))
            self._vectors[name] = vec
        dst, src, proto, dport, opaque = vec
        return (((dst == -1) | (dst == p.dst_ip)) & ((src == -1) | (src == p.src_ip))
                & ((proto == -1) | (proto == PROTO_CODE[p.protocol]))
                & ((dport == -1) | (dport == p.dst_port)) & (opaque == 0))

    # --- iptables-save -------------------------------------------------------------------------
    def save(self) -> str:
        """The ``nat`` table as ``iptables-save`` prints it (and ``iptables-restore`` reads)."""
        user = sorted(c for c in self.chains if c not in BUILTIN)
        lines = ["# Generated by iptables-save v1.8.7 (kscale_lab model of kube-proxy)", "*nat"]
        lines += [f":{c} ACCEPT [0:0]" for c in BUILTIN]
        lines += [f":{c} - [0:0]" for c in user]
        for c in (*BUILTIN, *user):
            lines += [r.render() for r in self.chains[c]]
        lines += ["COMMIT", "# Completed by iptables-save"]
        return "\n".join(lines) + "\n"

    def restore_payload_bytes(self) -> int:
        """Bytes of ``iptables-restore`` input for one sync: the whole table."""
        return len(self.save().encode())

    def save_partial(self, changed: Iterable[str]) -> str:
        """The input of a KEP-3453 partial restore after the services ``changed`` changed.

        ``iptables-restore --noflush`` reads it: every chain it declares is flushed and
        rewritten, every other chain is left as it is. kube-proxy still writes
        ``KUBE-SERVICES`` and ``KUBE-NODEPORTS`` in full on every sync (and, in the ``filter``
        table this lab does not model, ``KUBE-EXTERNAL-SERVICES``), but only the changed
        services' ``KUBE-SVC``/``KUBE-SEP`` chains.

        Parameters
        ----------
        changed : iterable of str
            Service port keys (``namespace/name:port``) whose endpoints changed.

        Returns
        -------
        str
            ``iptables-restore --noflush`` input for the ``nat`` table.
        """
        names = ["KUBE-NODEPORTS", "KUBE-SERVICES"]
        for key in changed:
            if key not in self.services:
                raise ValueError(f"unknown service port {key!r}")
            svc = self.services[key]
            if svc.endpoints:
                names += [svc_chain(svc)] + [sep_chain(svc, ep) for ep in svc.endpoints]
        lines = ["*nat", *(f":{c} - [0:0]" for c in names)]
        for c in names:
            lines += [r.render() for r in self.chains[c]]
        lines.append("COMMIT")
        return "\n".join(lines) + "\n"
