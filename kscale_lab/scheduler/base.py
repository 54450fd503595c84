"""What every release of the lab's scheduler shares: predicates, priorities, and the
bookkeeping (operation counts, wall time, an optional trace of one cycle).

Filters (predicates), cheap ones first as in ``kube-scheduler``'s predicate ordering:

1. ``PodFitsResources`` — CPU, memory and the node's pod count (``maxPods``);
2. ``MatchNodeSelector`` — every ``nodeSelector`` label on the node;
3. ``PodToleratesNodeTaints`` — every ``NoSchedule``/``NoExecute`` taint tolerated;
4. ``MatchInterPodAffinity`` — required pod anti-affinity, both directions
   (:mod:`~kscale_lab.scheduler.affinity`: *how* it is computed is what changed).

Priorities, 1.10–1.14 style (integer scores, ``MaxPriority`` = 10, weights 1):
``LeastRequestedPriority``, ``BalancedResourceAllocation`` and, for preferred anti-affinity
terms, ``InterPodAffinityPriority``. The highest total wins; ties are broken by the
scheduler's seeded random generator among the tied nodes in node order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kscale_lab.scheduler.cluster import Cache, NodeInfo, Pod

MAX_PRIORITY = 10


@dataclass
class Counts:
    """Deterministic operation counts of a run, and its wall time (for the benchmark only:
    no metric is ever computed from it)."""

    snapshot_walked: int = 0          # NodeInfos visited by the snapshot update
    node_infos_copied: int = 0        # NodeInfos cloned into the snapshot
    filter_checks: int = 0            # one per node a pod is filtered against
    affinity_checks: int = 0          # (term, existing pod) pair checks, topology comparisons
    score_evals: int = 0              # one per node scored
    scheduled: int = 0
    unschedulable: int = 0
    wall_s: float = 0.0

    @property
    def pods(self) -> int:
        return self.scheduled + self.unschedulable

    def per_pod(self, name: str) -> float:
        return getattr(self, name) / max(1, self.pods)

    @property
    def pods_per_s(self) -> float:
        """Pods per second of wall time (our Python, this machine: demonstration only)."""
        return self.pods / self.wall_s if self.wall_s > 0 else float("inf")


@dataclass(frozen=True)
class NodeTrace:
    """What one cycle did with one node (for the chapter's toy-scale trace)."""

    node: str
    verdict: str                      # "fits", "not searched", or the first failed predicate
    score: int | None = None


@dataclass(frozen=True)
class Decision:
    pod: str
    node: str | None                  # None: unschedulable
    score: int | None = None
    trace: tuple[NodeTrace, ...] = ()


def fits_resources(pod: Pod, info: NodeInfo) -> bool:
    n = info.node
    return (info.requested_cpu + pod.cpu_milli <= n.cpu_milli
            and info.requested_memory + pod.memory_bytes <= n.memory_bytes
            and len(info.pods) + 1 <= n.max_pods)


def matches_node_selector(pod: Pod, info: NodeInfo) -> bool:
    labels = info.node.labels
    return all(labels.get(k) == v for k, v in pod.node_selector.items())


def tolerates_taints(pod: Pod, info: NodeInfo) -> bool:
    return all(any(t.tolerates(taint) for t in pod.tolerations)
               for taint in info.node.taints if taint.effect in ("NoSchedule", "NoExecute"))


def basic_filter(pod: Pod, info: NodeInfo) -> str | None:
    """The first failing cheap predicate's name, or ``None`` if all pass."""
    if not fits_resources(pod, info):
        return "PodFitsResources"
    if not matches_node_selector(pod, info):
        return "MatchNodeSelector"
    if not tolerates_taints(pod, info):
        return "PodToleratesNodeTaints"
    return None


def score(pod: Pod, info: NodeInfo) -> int:
    """``LeastRequestedPriority`` + ``BalancedResourceAllocation`` (integers, 0–10 each)."""
    n = info.node
    cpu = info.requested_cpu + pod.cpu_milli
    mem = info.requested_memory + pod.memory_bytes
    least = (((n.cpu_milli - cpu) * MAX_PRIORITY // n.cpu_milli)
             + ((n.memory_bytes - mem) * MAX_PRIORITY // n.memory_bytes)) // 2
    cpu_f, mem_f = cpu / n.cpu_milli, mem / n.memory_bytes
    balanced = 0 if cpu_f >= 1 or mem_f >= 1 else int(MAX_PRIORITY - abs(cpu_f - mem_f)
                                                      * MAX_PRIORITY)
    return least + balanced


def violations(cache: Cache) -> list[str]:
    """Every rule the pods in ``cache`` break (empty for a valid placement): resources,
    node selectors, taints and *required* anti-affinity in both directions (preferred terms
    are wishes, not rules)."""
    problems = []
    for info in cache.node_infos:
        n = info.node
        cpu = sum(p.cpu_milli for p in info.pods)
        mem = sum(p.memory_bytes for p in info.pods)
        if cpu > n.cpu_milli or mem > n.memory_bytes or len(info.pods) > n.max_pods:
            problems.append(f"{n.name}: over its allocatable resources")
        for p in info.pods:
            if any(n.labels.get(k) != v for k, v in p.node_selector.items()):
                problems.append(f"{p.name} on {n.name}: node selector not matched")
            for taint in n.taints:
                if taint.effect in ("NoSchedule", "NoExecute") and not any(
                        t.tolerates(taint) for t in p.tolerations):
                    problems.append(f"{p.name} on {n.name}: taint {taint.key} not tolerated")
    pods = [(p, info.node) for info in cache.node_infos for p in info.pods]
    for p, node in pods:
        for term in p.required_terms:
            domain = node.labels.get(term.topology_key)
            for q, other in pods:
                if q is not p and term.matches(q.labels) and domain is not None \
                        and other.labels.get(term.topology_key) == domain:
                    problems.append(f"{p.name} on {node.name}: anti-affinity with {q.name} "
                                    f"on {other.name} ({term.topology_key})")
    return problems


@dataclass
class RunResult:
    """A whole run: the decisions and the counts (used by tests, the benchmark, the chapter)."""

    version: str
    decisions: list[Decision]
    counts: Counts
    cache: Cache = field(repr=False)

    @property
    def placements(self) -> dict[str, str | None]:
        return {d.pod: d.node for d in self.decisions}
