"""The scheduler's world: Nodes, Pods, the scheduler cache of ``NodeInfo`` and its Snapshot.

Named after the things they model in ``kube-scheduler`` (``pkg/scheduler/cache``):

* :class:`Node` — allocatable CPU (millicores), memory (bytes) and pods, labels (including
  ``kubernetes.io/hostname`` and ``topology.kubernetes.io/zone``) and taints;
* :class:`Pod` — requests, labels, a node selector, tolerations and *required* pod
  anti-affinity terms (a label selector and a topology key);
* :class:`NodeInfo` — what the scheduler knows about one node: the Node, the pods on it, the
  sum of their requests, the pods that carry affinity terms, and a **generation** number that
  the cache bumps whenever the NodeInfo changes;
* :class:`Cache` — every NodeInfo, kept up to date as pods are bound (the scheduler *assumes*
  a pod on its node as soon as it has decided);
* :class:`Snapshot` — the copy of the cache a scheduling cycle works on. ``full_copy``
  clones every NodeInfo (the 1.11 way); ``update`` refreshes only the NodeInfos whose
  generation is newer than the snapshot's (the 1.14 way, PR #74041).

:func:`make_cluster` and :func:`make_pods` build the lab's workloads, deterministically from a
seed: nodes with 16 cores and 64 GiB, spread over three zones, already running
``pods_per_node`` small pods each; pods grouped in "deployments" of :data:`GROUP_SIZE`
replicas labelled ``app=<name>``, a fraction of the groups with required anti-affinity to
their own replicas on ``kubernetes.io/hostname`` (one replica per node).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
ZONES = ("zone-a", "zone-b", "zone-c")

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
#: Replicas per "deployment"; anti-affinity is required between the replicas of one group.
GROUP_SIZE = 10
SEED = 2019


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
    """``requiredDuringSchedulingIgnoredDuringExecution`` pod anti-affinity: no pod matching
    ``match_labels`` may share the pod's domain of ``topology_key``."""

    match_labels: tuple[tuple[str, str], ...]
    topology_key: str = HOSTNAME

    def matches(self, labels: dict[str, str]) -> bool:
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
    """A node and the pods the scheduler believes run on it (``framework.NodeInfo``)."""

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
    """The scheduler cache: one :class:`NodeInfo` per node, in a fixed order.

    Every change bumps a global generation counter and stamps the changed NodeInfo with it,
    so a :class:`Snapshot` can tell which NodeInfos are newer than itself.
    """

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.generation = 0
        #: node indices in the order they changed (one entry per generation after the
        #: start): what 1.14's most-recently-updated list lets a snapshot walk
        self.changes: list[int] = []
        self.pods_with_affinity = 0
        self.node_infos: list[NodeInfo] = []
        self.by_name: dict[str, NodeInfo] = {}
        for i, node in enumerate(nodes):
            if node.name in self.by_name:
                raise ValueError(f"duplicate node name {node.name!r}")
            self.generation += 1
            info = NodeInfo(node, i, self.generation)
            self.node_infos.append(info)
            self.by_name[node.name] = info

    def add_pod(self, pod: Pod, node_name: str) -> None:
        """Bind (or *assume*) ``pod`` on ``node_name``."""
        info = self.by_name[node_name]
        pod.node_name = node_name
        info.add_pod(pod)
        self.pods_with_affinity += bool(pod.anti_affinity)
        self.generation += 1
        info.generation = self.generation
        self.changes.append(info.index)

    @property
    def pods(self) -> list[Pod]:
        return [p for info in self.node_infos for p in info.pods]

    def __len__(self) -> int:
        return len(self.node_infos)


class Snapshot:
    """The copy of the cache one scheduling cycle reads (``internalcache.Snapshot``)."""

    def __init__(self) -> None:
        self.node_infos: list[NodeInfo] = []
        self.generation = -1
        self.pods_with_affinity = 0
        self._seen_changes = 0

    def full_copy(self, cache: Cache) -> int:
        """Clone every NodeInfo, changed or not (1.11). Returns the number cloned."""
        self.node_infos = [info.clone() for info in cache.node_infos]
        self.generation = cache.generation
        self.pods_with_affinity = cache.pods_with_affinity
        self._seen_changes = len(cache.changes)
        return len(self.node_infos)

    def update(self, cache: Cache) -> int:
        """Clone only the NodeInfos whose generation is newer than the snapshot's (1.14,
        ``UpdateNodeInfoSnapshot``). Like 1.14's list of NodeInfos ordered by their last
        update, it walks only the changes since the last update, not every node. The first
        update (an empty snapshot) clones everything. Returns the number cloned."""
        if len(self.node_infos) != len(cache.node_infos) or self.generation < 0:
            return self.full_copy(cache)
        copied = 0
        for i in sorted(set(cache.changes[self._seen_changes:])):
            info = cache.node_infos[i]
            if info.generation > self.generation:
                self.node_infos[i] = info.clone()
                copied += 1
        self._seen_changes = len(cache.changes)
        self.generation = cache.generation
        self.pods_with_affinity = cache.pods_with_affinity
        return copied


# --- the lab's workloads ----------------------------------------------------------------------

def node_labels(i: int, name: str) -> dict[str, str]:
    return {HOSTNAME: name, ZONE: ZONES[i % len(ZONES)], "node-pool": "default"}


def make_nodes(nodes: int, tainted_fraction: float = 0.0, seed: int = SEED) -> list[Node]:
    """``nodes`` Nodes over three zones; a seeded ``tainted_fraction`` carries
    ``dedicated=gpu:NoSchedule`` and the ``node-pool=gpu`` label."""
    rng = np.random.default_rng(seed)
    tainted = rng.random(nodes) < tainted_fraction
    out = []
    for i in range(nodes):
        name = f"node-{i}"
        labels = node_labels(i, name)
        taints: tuple[Taint, ...] = ()
        if tainted[i]:
            labels["node-pool"] = "gpu"
            taints = (Taint("dedicated", "gpu"),)
        out.append(Node(name, labels, taints=taints))
    return out


def _anti_affinity(app: str, topology_key: str = HOSTNAME) -> tuple[AntiAffinityTerm, ...]:
    return (AntiAffinityTerm((("app", app),), topology_key),)


def anti_affinity_groups(groups: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Which of ``groups`` deployments carry anti-affinity: ``round(fraction × groups)`` of
    them, chosen by the seeded ``rng``."""
    chosen = np.zeros(groups, dtype=bool)
    chosen[rng.permutation(groups)[:round(fraction * groups)]] = True
    return chosen


def make_cluster(nodes: int, pods_per_node: int, anti_affinity_fraction: float = 0.0, *,
                 tainted_fraction: float = 0.0, uneven: bool = False, seed: int = SEED
                 ) -> Cache:
    """A cache of ``nodes`` nodes, each already running ``pods_per_node`` pods.

    Running pod ``k`` (numbered slot by slot: node ``k % nodes``, slot ``k // nodes``) belongs
    to deployment ``k // GROUP_SIZE``; with at most one slot's worth of consecutive numbers in
    a group, the replicas of a group sit on different nodes, so anti-affinity on the hostname
    holds in the starting cluster.

    ``uneven``: instead of exactly ``pods_per_node`` everywhere, node loads drawn uniformly
    from 0 to twice that (a cluster after a scale-up, some nodes new and empty). Only
    without anti-affinity, whose replicas this layout would not keep apart.
    """
    if uneven and anti_affinity_fraction > 0:
        raise ValueError("uneven clusters are built without anti-affinity; "
                         f"got anti_affinity_fraction={anti_affinity_fraction}")
    if GROUP_SIZE > nodes and anti_affinity_fraction > 0:
        group = max(1, nodes)
    else:
        group = GROUP_SIZE
    rng = np.random.default_rng([seed, 1])
    cache = Cache(make_nodes(nodes, tainted_fraction, seed))
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
                  anti_affinity=_anti_affinity(app) if with_aff[g] else ())
        pod.node_name = info.node.name
        info.add_pod(pod)
        cache.pods_with_affinity += bool(pod.anti_affinity)
    cache.generation += 1
    for info in cache.node_infos:               # one starting generation for all
        info.generation = cache.generation
    return cache


def make_pods(count: int, anti_affinity_fraction: float = 0.0, *, seed: int = SEED,
              topology_key: str = HOSTNAME, prefix: str = "new") -> list[Pod]:
    """``count`` pending pods in deployments of :data:`GROUP_SIZE`; a seeded
    ``anti_affinity_fraction`` of the deployments spread their replicas over ``topology_key``."""
    rng = np.random.default_rng([seed, 2])
    groups = -(-count // GROUP_SIZE) if count else 0
    with_aff = anti_affinity_groups(groups, anti_affinity_fraction, rng)
    cpu = rng.choice(POD_CPU_MILLI, count)
    mem = rng.choice(POD_MEMORY_MIB, count) * 2**20
    out = []
    for i in range(count):
        g = i // GROUP_SIZE
        app = f"{prefix}-app-{g}"
        out.append(Pod(f"{prefix}-{i}", int(cpu[i]), int(mem[i]), labels={"app": app},
                       anti_affinity=_anti_affinity(app, topology_key) if with_aff[g] else ()))
    return out
