"""The scheduler's world: Nodes, Pods, the scheduler cache of ``NodeInfo`` and its Snapshot.

Named after the things they model in ``kube-scheduler`` (``pkg/scheduler/cache``):

* :class:`Node` — allocatable CPU (millicores), memory (bytes) and pods, labels (the
  hostname and the zone, under the label of the release: ``failure-domain.beta.kubernetes.io/
  zone`` before 1.17, ``topology.kubernetes.io/zone`` from 1.17) and taints;
* :class:`Pod` — requests, labels, a node selector, tolerations and pod anti-affinity terms,
  *required* (a filter) or *preferred* (a weight in scoring);
* :class:`NodeInfo` — what the scheduler knows about one node: the Node, the pods on it, the
  sum of their requests, the pods that carry affinity terms, and a **generation** number that
  the cache bumps whenever the NodeInfo changes;
* :class:`Cache` — every NodeInfo, kept up to date as pods are bound (the scheduler *assumes*
  a pod on its node as soon as it has decided), and kept in order of their last change;
* :class:`Snapshot` — the copy of the cache a scheduling cycle reads. Before 1.14,
  :meth:`Snapshot.update_walk_all` compared *every* NodeInfo's generation with its copy and
  cloned the changed ones; from 1.14 (PR #74041), :meth:`Snapshot.update_by_recency` walks
  the NodeInfos from the most recently changed and stops at the first one the snapshot
  already has.

:func:`make_cluster` and :func:`make_pods` build the lab's workloads, deterministically from a
seed: nodes with 16 cores and 64 GiB, spread over three zones, already running
``pods_per_node`` small pods each; pods grouped in "deployments" of ``replicas`` pods
labelled ``app=<name>``, a fraction of the deployments with anti-affinity to their own
replicas on ``kubernetes.io/hostname``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from kscale_lab.scheduler.releases import HOSTNAME, ZONE_BETA, ZONE_GA

ZONES = ("zone-a", "zone-b", "zone-c")
#: The zone label of the talk's era (before 1.17); ``ZONE_GA`` is the one from 1.17.
ZONE = ZONE_BETA

#: The lab's nodes: 16 cores, 64 GiB. ``maxPods`` is raised from the kubelet's default 110 to
#: 250 (a kubelet setting some providers use) so the pods/node dimension can go past the
#: 110 threshold of the envelope and still leave room for the pods being scheduled.
NODE_CPU_MILLI = 16_000
NODE_MEMORY_BYTES = 64 * 2**30
NODE_MAX_PODS = 250
#: Pod requests are drawn from these (millicores, MiB): small pods, as in SIG Scalability's
#: density tests, so that 150 of the largest still fit a node.
POD_CPU_MILLI = (25, 50, 75, 100)
POD_MEMORY_MIB = (64, 96, 128, 192)
#: Replicas per "deployment" by default.
GROUP_SIZE = 10
#: The weight of a preferred anti-affinity term (Kubernetes allows 1–100).
PREFERRED_WEIGHT = 100
SEED = 2019
KINDS = ("required", "preferred")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = "NoSchedule"          # NoSchedule and NoExecute keep pods off the node


@dataclass(frozen=True)
class Toleration:
    key: str
    value: str = ""
    operator: str = "Equal"             # "Equal" or "Exists"
    effect: str = ""                    # "" tolerates every effect

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


@dataclass(frozen=True)
class AntiAffinityTerm:
    """One pod anti-affinity term: pods matching ``match_labels`` should not share the pod's
    domain of ``topology_key``.

    ``weight`` ``None``: ``requiredDuringSchedulingIgnoredDuringExecution`` (a filter: nodes
    in such a domain are infeasible). A weight from 1 to 100: a
    ``preferredDuringSchedulingIgnoredDuringExecution`` term (scored: nodes in such a domain
    score lower, but stay feasible).
    """

    match_labels: tuple[tuple[str, str], ...]
    topology_key: str = HOSTNAME
    weight: int | None = None

    def __post_init__(self) -> None:
        if self.weight is not None and not 1 <= self.weight <= 100:
            raise ValueError(f"weight must be None (required) or from 1 to 100 (preferred); "
                             f"got {self.weight}")

    @property
    def required(self) -> bool:
        return self.weight is None

    def matches(self, labels: dict[str, str]) -> bool:
        if len(self.match_labels) == 1:                 # the common case, kept fast
            (k, v), = self.match_labels
            return labels.get(k) == v
        return all(labels.get(k) == v for k, v in self.match_labels)


@dataclass(eq=False)
class Pod:
    name: str
    cpu_milli: int
    memory_bytes: int
    labels: dict[str, str] = field(default_factory=dict)
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    anti_affinity: tuple[AntiAffinityTerm, ...] = ()
    node_name: str | None = None        # set when bound

    @cached_property
    def required_terms(self) -> tuple[AntiAffinityTerm, ...]:
        return tuple(t for t in self.anti_affinity if t.required)

    @cached_property
    def preferred_terms(self) -> tuple[AntiAffinityTerm, ...]:
        return tuple(t for t in self.anti_affinity if not t.required)

    def __repr__(self) -> str:
        return f"Pod({self.name!r} on {self.node_name!r})"


@dataclass(eq=False)
class Node:
    name: str
    labels: dict[str, str]
    cpu_milli: int = NODE_CPU_MILLI
    memory_bytes: int = NODE_MEMORY_BYTES
    max_pods: int = NODE_MAX_PODS
    taints: tuple[Taint, ...] = ()


class NodeInfo:
    """A node and the pods the scheduler believes run on it (``NodeInfo``)."""

    __slots__ = ("node", "pods", "pods_with_affinity", "requested_cpu", "requested_memory",
                 "generation", "index")

    def __init__(self, node: Node, index: int, generation: int = 0) -> None:
        self.node = node
        self.index = index                      # position in the cache's node list
        self.pods: list[Pod] = []
        self.pods_with_affinity: list[Pod] = []
        self.requested_cpu = 0
        self.requested_memory = 0
        self.generation = generation

    def add_pod(self, pod: Pod) -> None:
        self.pods.append(pod)
        if pod.anti_affinity:
            self.pods_with_affinity.append(pod)
        self.requested_cpu += pod.cpu_milli
        self.requested_memory += pod.memory_bytes

    def clone(self) -> NodeInfo:
        """A copy whose pod lists can change independently (``NodeInfo.Clone()``)."""
        c = NodeInfo.__new__(NodeInfo)
        c.node, c.index, c.generation = self.node, self.index, self.generation
        c.pods = list(self.pods)
        c.pods_with_affinity = list(self.pods_with_affinity)
        c.requested_cpu, c.requested_memory = self.requested_cpu, self.requested_memory
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.node.name!r}, {len(self.pods)} pods, gen {self.generation})"


class Cache:
    """The scheduler cache: one :class:`NodeInfo` per node, in a fixed order, plus the same
    NodeInfos ordered by their last change (1.14's list with the most recently updated at
    its head).

    Every change bumps a global generation counter and stamps the changed NodeInfo with it,
    so a :class:`Snapshot` can tell which NodeInfos are newer than itself.
    """

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.generation = 0
        self.pods_with_affinity = 0
        self.node_infos: list[NodeInfo] = []
        self.by_name: dict[str, NodeInfo] = {}
        #: node indices from least to most recently changed (a dict keeps insertion order)
        self._recency: dict[int, None] = {}
        for i, node in enumerate(nodes):
            if node.name in self.by_name:
                raise ValueError(f"duplicate node name {node.name!r}")
            self.generation += 1
            info = NodeInfo(node, i, self.generation)
            self.node_infos.append(info)
            self.by_name[node.name] = info
            self._recency[i] = None

    def touch(self, info: NodeInfo) -> None:
        """Record a change of ``info``: a new generation, and first in the recency order."""
        self.generation += 1
        info.generation = self.generation
        self._recency.pop(info.index, None)
        self._recency[info.index] = None

    def add_pod(self, pod: Pod, node_name: str) -> None:
        """Bind (or *assume*) ``pod`` on ``node_name``."""
        info = self.by_name[node_name]
        pod.node_name = node_name
        info.add_pod(pod)
        self.pods_with_affinity += bool(pod.anti_affinity)
        self.touch(info)

    def most_recent_first(self) -> Iterable[NodeInfo]:
        """The NodeInfos from the most recently changed to the least."""
        for i in reversed(self._recency):
            yield self.node_infos[i]

    @property
    def pods(self) -> list[Pod]:
        return [p for info in self.node_infos for p in info.pods]

    def __len__(self) -> int:
        return len(self.node_infos)


class Snapshot:
    """The copy of the cache one scheduling cycle reads.

    Both updates clone only the NodeInfos that changed since the last update; they differ in
    how they find them, and that is what they return besides: ``(walked, cloned)``.
    """

    def __init__(self) -> None:
        self.node_infos: list[NodeInfo] = []
        self.generation = -1
        self.pods_with_affinity = 0

    def _start(self, cache: Cache) -> tuple[int, int] | None:
        if len(self.node_infos) == len(cache.node_infos) and self.generation >= 0:
            return None
        self.node_infos = [info.clone() for info in cache.node_infos]   # first update
        self._finish(cache)
        return len(self.node_infos), len(self.node_infos)

    def _finish(self, cache: Cache) -> None:
        self.generation = cache.generation
        self.pods_with_affinity = cache.pods_with_affinity

    def update_walk_all(self, cache: Cache) -> tuple[int, int]:
        """Before 1.14 (``UpdateNodeNameToInfoMap``): compare every NodeInfo's generation
        with the snapshot's copy and clone those that differ. Walks all N."""
        first = self._start(cache)
        if first is not None:
            return first
        cloned = 0
        mine = self.node_infos
        for i, info in enumerate(cache.node_infos):
            if mine[i].generation != info.generation:
                mine[i] = info.clone()
                cloned += 1
        self._finish(cache)
        return len(mine), cloned

    def update_by_recency(self, cache: Cache) -> tuple[int, int]:
        """1.14 (``UpdateNodeInfoSnapshot``, PR #74041): walk the NodeInfos from the most
        recently changed, clone each one newer than the snapshot, and stop at the first one
        that is not."""
        first = self._start(cache)
        if first is not None:
            return first
        walked = cloned = 0
        for info in cache.most_recent_first():
            walked += 1
            if info.generation <= self.generation:
                break
            self.node_infos[info.index] = info.clone()
            cloned += 1
        self._finish(cache)
        return walked, cloned


# --- the lab's workloads ----------------------------------------------------------------------

def _check_count(name: str, value: int, lo: int = 0) -> int:
    """``value`` if it is a whole number ``>= lo``, else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be a whole number >= {lo}; got {value!r}")
    return int(value)


def _check_fraction(name: str, value: float) -> float:
    """``value`` if it is a number from 0 to 1, else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be from 0 to 1; got {value!r}")
    return float(value)


def node_labels(i: int, name: str, zone_label: str = ZONE) -> dict[str, str]:
    return {HOSTNAME: name, zone_label: ZONES[i % len(ZONES)], "node-pool": "default"}


def make_nodes(nodes: int, tainted_fraction: float = 0.0, seed: int = SEED,
               zone_label: str = ZONE) -> list[Node]:
    """``nodes`` Nodes over three zones (labelled with ``zone_label``); a seeded
    ``tainted_fraction`` carries ``dedicated=gpu:NoSchedule`` and the ``node-pool=gpu``
    label."""
    nodes = _check_count("nodes", nodes)
    tainted_fraction = _check_fraction("tainted_fraction", tainted_fraction)
    if zone_label not in (ZONE_BETA, ZONE_GA):
        raise ValueError(f"zone_label must be {ZONE_BETA!r} or {ZONE_GA!r}; got {zone_label!r}")
    rng = np.random.default_rng(seed)
    tainted = rng.random(nodes) < tainted_fraction
    out = []
    for i in range(nodes):
        name = f"node-{i}"
        labels = node_labels(i, name, zone_label)
        taints: tuple[Taint, ...] = ()
        if tainted[i]:
            labels["node-pool"] = "gpu"
            taints = (Taint("dedicated", "gpu"),)
        out.append(Node(name, labels, taints=taints))
    return out


def anti_affinity_terms(app: str, kind: str = "required", topology_key: str = HOSTNAME
                        ) -> tuple[AntiAffinityTerm, ...]:
    """One term keeping a deployment's replicas apart on ``topology_key``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    weight = None if kind == "required" else PREFERRED_WEIGHT
    return (AntiAffinityTerm((("app", app),), topology_key, weight),)


def anti_affinity_groups(groups: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Which of ``groups`` deployments carry anti-affinity: ``round(fraction × groups)`` of
    them, chosen by the seeded ``rng``."""
    chosen = np.zeros(groups, dtype=bool)
    chosen[rng.permutation(groups)[:round(fraction * groups)]] = True
    return chosen


def effective_replicas(replicas: int, nodes: int, fraction: float, kind: str) -> int:
    """Replicas per running deployment: ``replicas``, but no more than ``nodes`` when
    required anti-affinity on the hostname has to keep them on different nodes."""
    if kind == "required" and fraction > 0:
        return max(1, min(replicas, nodes))
    return replicas


def make_cluster(nodes: int, pods_per_node: int, anti_affinity_fraction: float = 0.0, *,
                 kind: str = "required", replicas: int = GROUP_SIZE,
                 tainted_fraction: float = 0.0, uneven: bool = False,
                 zone_label: str = ZONE, seed: int = SEED) -> Cache:
    """A cache of ``nodes`` nodes, each already running ``pods_per_node`` pods.

    Running pod ``k`` (numbered slot by slot: node ``k % nodes``, slot ``k // nodes``) belongs
    to deployment ``k // replicas``; with at most one slot's worth of consecutive numbers in
    a deployment, its replicas sit on different nodes, so required anti-affinity on the
    hostname holds in the starting cluster (``replicas`` is capped at ``nodes`` for that,
    :func:`effective_replicas`).

    ``uneven``: instead of exactly ``pods_per_node`` everywhere, node loads drawn uniformly
    from 0 to twice that (a cluster after a scale-up, some nodes new and empty). Only
    without anti-affinity, whose replicas this layout would not keep apart.

    Raises ``ValueError`` naming the parameter, its range and the value for negative counts,
    fewer than 1 replica, or a fraction outside 0 … 1.
    """
    nodes = _check_count("nodes", nodes)
    pods_per_node = _check_count("pods_per_node", pods_per_node)
    replicas = _check_count("replicas", replicas, lo=1)
    anti_affinity_fraction = _check_fraction("anti_affinity_fraction", anti_affinity_fraction)
    tainted_fraction = _check_fraction("tainted_fraction", tainted_fraction)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if uneven and anti_affinity_fraction > 0:
        raise ValueError("uneven clusters are built without anti-affinity; "
                         f"got anti_affinity_fraction={anti_affinity_fraction}")
    group = effective_replicas(replicas, nodes, anti_affinity_fraction, kind)
    rng = np.random.default_rng([seed, 1])
    cache = Cache(make_nodes(nodes, tainted_fraction, seed, zone_label))
    if uneven:
        per_node = rng.integers(0, 2 * pods_per_node + 1, nodes)
    else:
        per_node = np.full(nodes, pods_per_node)
    slots = [n for s in range(int(per_node.max(initial=0))) for n in np.flatnonzero(per_node > s)]
    total = len(slots)
    groups = -(-total // group) if total else 0
    with_aff = anti_affinity_groups(groups, anti_affinity_fraction, rng)
    cpu = rng.choice(POD_CPU_MILLI, total)
    mem = rng.choice(POD_MEMORY_MIB, total) * 2**20
    tolerate = (Toleration("dedicated", "gpu"),)
    for k in range(total):
        info = cache.node_infos[slots[k]]
        g = k // group
        app = f"app-{g}"
        pod = Pod(f"running-{k}", int(cpu[k]), int(mem[k]), labels={"app": app},
                  tolerations=tolerate if info.node.taints else (),
                  anti_affinity=anti_affinity_terms(app, kind) if with_aff[g] else ())
        pod.node_name = info.node.name
        info.add_pod(pod)
        cache.pods_with_affinity += bool(pod.anti_affinity)
    cache.generation += 1
    for info in cache.node_infos:               # one starting generation for all
        info.generation = cache.generation
    return cache


def make_pods(count: int, anti_affinity_fraction: float = 0.0, *, kind: str = "required",
              replicas: int = GROUP_SIZE, seed: int = SEED, topology_key: str = HOSTNAME,
              prefix: str = "new") -> list[Pod]:
    """``count`` pending pods in deployments of ``replicas``; a seeded
    ``anti_affinity_fraction`` of the deployments keep their replicas apart on
    ``topology_key``, with terms of ``kind`` (``"required"`` or ``"preferred"``).

    Raises ``ValueError`` naming the parameter, its range and the value for a negative
    ``count``, fewer than 1 replica, or a fraction outside 0 … 1."""
    count = _check_count("count", count)
    replicas = _check_count("replicas", replicas, lo=1)
    anti_affinity_fraction = _check_fraction("anti_affinity_fraction", anti_affinity_fraction)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    rng = np.random.default_rng([seed, 2])
    groups = -(-count // replicas) if count else 0
    with_aff = anti_affinity_groups(groups, anti_affinity_fraction, rng)
    cpu = rng.choice(POD_CPU_MILLI, count)
    mem = rng.choice(POD_MEMORY_MIB, count) * 2**20
    out = []
    for i in range(count):
        g = i // replicas
        app = f"{prefix}-app-{g}"
        out.append(Pod(f"{prefix}-{i}", int(cpu[i]), int(mem[i]), labels={"app": app},
                       anti_affinity=anti_affinity_terms(app, kind, topology_key)
                       if with_aff[g] else ()))
    return out
