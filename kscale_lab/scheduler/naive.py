"""The 1.11 scheduler: copy everything, filter everything, score everything.

Each scheduling cycle

1. takes a **full copy** of the cache: every NodeInfo is cloned, changed or not;
2. **filters every node**: the cheap predicates, then required pod anti-affinity computed the
   quadratic way — for *each node*, scan *every pod in the cluster*: does it match one of the
   pod's anti-affinity terms and sit in the node's topology domain? And scan every pod that
   carries anti-affinity: does its term match the pod being scheduled?;
3. **scores every feasible node** and picks the best (ties: the seeded generator).

So a cycle costs ~ nodes × (1 copy + 1 filter + 1 score) plus, with anti-affinity,
nodes × pods pair checks: quadratic in the cluster's size, since pods grow with nodes.
"""

from __future__ import annotations

from kscale_lab.scheduler.base import BaseScheduler, Decision, NodeTrace, basic_filter
from kscale_lab.scheduler.cluster import NodeInfo, Pod, Snapshot


class NaiveScheduler(BaseScheduler):
    """``kube-scheduler`` as of 1.11 (see the module docstring)."""

    version = "naive"

    def __init__(self, cache, seed: int = 0, trace: bool = False) -> None:
        super().__init__(cache, seed, trace)
        self.snapshot = Snapshot()

    def schedule_one(self, pod: Pod) -> Decision:
        c = self.counts
        c.node_infos_copied += self.snapshot.full_copy(self.cache)
        infos = self.snapshot.node_infos
        any_affinity = self.snapshot.pods_with_affinity > 0
        traces: dict[int, NodeTrace] | None = {} if self.trace else None
        feasible = []
        for info in infos:
            c.filter_checks += 1
            failed = basic_filter(pod, info)
            if failed is None and (pod.anti_affinity or any_affinity) \
                    and not self.anti_affinity_ok(pod, info, infos):
                failed = "MatchInterPodAffinity"
            if failed is None:
                feasible.append(info)
            elif traces is not None:
                traces[info.index] = NodeTrace(info.node.name, failed)
        return self.select_host(pod, feasible, traces)

    def anti_affinity_ok(self, pod: Pod, info: NodeInfo, infos: list[NodeInfo]) -> bool:
        """The quadratic check: every existing pod of the cluster, for this one node."""
        labels = info.node.labels
        checks = 0
        try:
            for term in pod.anti_affinity:                 # the pod's own terms
                domain = labels.get(term.topology_key)
                for other in infos:
                    same = domain is not None and other.node.labels.get(term.topology_key) == domain
                    for existing in other.pods:
                        checks += 1
                        if same and term.matches(existing.labels):
                            return False
            for other in infos:                            # terms of the pods already there
                for existing in other.pods_with_affinity:
                    for term in existing.anti_affinity:
                        checks += 1
                        domain = other.node.labels.get(term.topology_key)
                        if domain is not None and labels.get(term.topology_key) == domain \
                                and term.matches(pod.labels):
                            return False
            return True
        finally:
            self.counts.affinity_checks += checks
