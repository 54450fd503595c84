"""Pod anti-affinity as each release computed it: the predicate (required terms) and the
priority (preferred terms).

**Required terms** are a filter, ``MatchInterPodAffinity``, run on every node that passed
the cheaper predicates. It asks two questions: do the pod's own terms forbid this node (an
existing pod matching a term sits in the node's topology domain)? And does a term of an
existing pod forbid the pod here? Each cycle first builds *predicate metadata* once, then
checks each node. What the metadata holds is what changed:

* ``"scan"`` (1.10): the metadata holds the existing pods' terms that match the pod (one pass
  over the pods that have terms). The pod's own terms are checked per node by scanning
  **every existing pod in the cluster**: nodes × pods pair checks per pod — quadratic in
  the cluster's size, since pods grow with nodes.
* ``"by-node"`` (1.11, PR #62211): one pass over the existing pods finds those matching the
  pod's terms, by node; each node is then compared with the nodes holding them.
* ``"topology-pairs"`` (1.12, PRs #66948, #67788): the same pass counts matching pods per
  (topology key, value) pair, and notes the pairs existing pods' terms forbid; each node is
  then one lookup of its own pair per topology key.

A pod *without* terms never scans other pods per node in any release: the existing pods'
terms that match it come from the metadata.

**Preferred terms** are a priority, ``InterPodAffinityPriority``, run on the nodes being
scored: one pass over the existing pods (all of them if the pod has terms, else only those
with terms) collects the matches; each match is then compared with every scored node's
topology, and the per-node sums are normalised to 0–10 (a node in the domain of a matching
pod scores lower). The lab keeps that structure in every release; what changes is how many
nodes are scored (``percentageOfNodesToScore``).

Every class counts its work in ``checks``: one per (term, existing pod) pair matched, one
per topology comparison or lookup.

The course's sources name the fixes (PR #62211 in 1.11; #66948, #67788 in 1.12) and say that
1.10 scanned existing pods across nodes for a pod with terms while precomputing the existing
pods' matching terms once per cycle. How #62211 organised its precomputation and how the
priority looped over matches and nodes are the lab's reconstruction (unverified).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter

from kscale_lab.scheduler.base import MAX_PRIORITY
from kscale_lab.scheduler.cluster import AntiAffinityTerm, Node, NodeInfo, Pod

__all__ = ["ByNodeAffinity", "ScanAffinity", "TopologyPairsAffinity", "predicate_metadata",
           "preferred_scores"]


class _Predicate(ABC):
    """Per-cycle metadata of ``MatchInterPodAffinity`` and its per-node check."""

    def __init__(self, pod: Pod, infos: list[NodeInfo], pods_with_affinity: int = -1) -> None:
        self.pod = pod
        self.infos = infos
        self.checks = 0
        self.own = pod.required_terms
        #: pods with terms in the snapshot (-1: unknown); 0 lets the pass below be skipped
        self.pods_with_affinity = pods_with_affinity

    def existing_terms_matching(self) -> list[tuple[AntiAffinityTerm, Node]]:
        """One pass over the pods that have terms: their required terms matching the pod."""
        found: list[tuple[AntiAffinityTerm, Node]] = []
        if self.pods_with_affinity == 0:
            return found
        for info in self.infos:
            for existing in info.pods_with_affinity:
                for term in existing.required_terms:
                    self.checks += 1
                    if term.matches(self.pod.labels):
                        found.append((term, info.node))
        return found

    @property
    @abstractmethod
    def active(self) -> bool:
        """Whether any node can fail this predicate (else it is skipped)."""

    @abstractmethod
    def ok(self, info: NodeInfo) -> bool:
        """Whether the pod may go on ``info``'s node."""


class _ExistingTermsByList(_Predicate):
    """1.10 and 1.11: the matching existing terms kept as a list, compared with each node."""

    def __init__(self, pod: Pod, infos: list[NodeInfo], pods_with_affinity: int = -1) -> None:
        super().__init__(pod, infos, pods_with_affinity)
        self.matching_terms = self.existing_terms_matching()

    @property
    def active(self) -> bool:
        return bool(self.own or self.matching_terms)

    def existing_terms_ok(self, labels: dict[str, str]) -> bool:
        for term, node in self.matching_terms:
            self.checks += 1
            domain = node.labels.get(term.topology_key)
            if domain is not None and labels.get(term.topology_key) == domain:
                return False
        return True


class ScanAffinity(_ExistingTermsByList):
    """1.10: the pod's own terms checked per node by scanning every existing pod."""

    def ok(self, info: NodeInfo) -> bool:
        labels = info.node.labels
        if not self.existing_terms_ok(labels):
            return False
        for term in self.own:
            domain = labels.get(term.topology_key)
            for other in self.infos:
                if domain is None or other.node.labels.get(term.topology_key) != domain:
                    self.checks += len(other.pods)      # matched, but in another domain
                    continue
                for existing in other.pods:
                    self.checks += 1
                    if term.matches(existing.labels):
                        return False
        return True


class ByNodeAffinity(_ExistingTermsByList):
    """1.11 (PR #62211): the pods matching the pod's own terms found once, by node."""

    def __init__(self, pod: Pod, infos: list[NodeInfo], pods_with_affinity: int = -1) -> None:
        super().__init__(pod, infos, pods_with_affinity)
        self.matching_nodes: list[tuple[AntiAffinityTerm, list[Node]]] = []
        for term in self.own:
            nodes = []
            for info in infos:
                self.checks += len(info.pods)
                if any(term.matches(p.labels) for p in info.pods):
                    nodes.append(info.node)
            self.matching_nodes.append((term, nodes))

    def ok(self, info: NodeInfo) -> bool:
        labels = info.node.labels
        if not self.existing_terms_ok(labels):
            return False
        for term, nodes in self.matching_nodes:
            domain = labels.get(term.topology_key)
            for node in nodes:
                self.checks += 1
                if domain is not None and node.labels.get(term.topology_key) == domain:
                    return False
        return True


class TopologyPairsAffinity(_Predicate):
    """1.12 (PRs #66948, #67788): counts per (topology key, value); one lookup per key."""

    def __init__(self, pod: Pod, infos: list[NodeInfo], pods_with_affinity: int = -1) -> None:
        super().__init__(pod, infos, pods_with_affinity)
        self.matching: Counter = Counter()
        for term in self.own:
            key = term.topology_key
            for info in infos:
                self.checks += len(info.pods)
                domain = info.node.labels.get(key)
                if domain is None:
                    continue
                hits = sum(term.matches(p.labels) for p in info.pods)
                if hits:
                    self.matching[(key, domain)] += hits
        self.forbidden = {(term.topology_key, node.labels.get(term.topology_key))
                          for term, node in self.existing_terms_matching()
                          if node.labels.get(term.topology_key) is not None}
        self.keys = sorted({t.topology_key for t in self.own} | {k for k, _ in self.forbidden})

    @property
    def active(self) -> bool:
        return bool(self.keys)

    def ok(self, info: NodeInfo) -> bool:
        labels = info.node.labels
        for key in self.keys:
            self.checks += 1
            pair = (key, labels.get(key))
            if self.matching.get(pair, 0) > 0 or pair in self.forbidden:
                return False
        return True


_ERAS = {"scan": ScanAffinity, "by-node": ByNodeAffinity,
         "topology-pairs": TopologyPairsAffinity}


def predicate_metadata(era: str, pod: Pod, infos: list[NodeInfo],
                       pods_with_affinity: int = -1) -> _Predicate:
    """The ``MatchInterPodAffinity`` metadata of one cycle, computed the ``era``'s way
    (``Release.affinity``). ``pods_with_affinity`` (the snapshot's count, if known) lets a
    cycle skip the pass over the existing pods' terms when there are none."""
    try:
        cls = _ERAS[era]
    except KeyError:
        raise ValueError(f"era must be one of {', '.join(_ERAS)}; got {era!r}") from None
    return cls(pod, infos, pods_with_affinity)


def preferred_scores(pod: Pod, infos: list[NodeInfo], scored: list[NodeInfo],
                     pods_with_affinity: int = -1) -> tuple[list[int] | None, int]:
    """``InterPodAffinityPriority`` for preferred anti-affinity terms.

    Parameters
    ----------
    pod : Pod
        The pod being scheduled.
    infos : list of NodeInfo
        Every node of the snapshot (the existing pods live there).
    scored : list of NodeInfo
        The feasible nodes being scored.
    pods_with_affinity : int
        Pods with terms in the snapshot, if known (-1): with none, and none on the pod,
        there is nothing to pass over.

    Returns
    -------
    scores : list of int or None
        0–10 per scored node (``None``: no preferred term applies, every node scores 0).
    checks : int
        Pair checks and topology comparisons made.
    """
    own = pod.preferred_terms
    checks = 0
    matches: list[tuple[str, str, int]] = []          # (topology key, domain, -weight)
    if not own and pods_with_affinity == 0:
        return None, checks
    for info in infos:
        labels = info.node.labels
        if own:
            for term in own:
                checks += len(info.pods)
                hits = sum(term.matches(p.labels) for p in info.pods)
                domain = labels.get(term.topology_key)
                if domain is not None:
                    matches += [(term.topology_key, domain, -term.weight)] * hits
        for existing in info.pods_with_affinity:
            for term in existing.preferred_terms:
                checks += 1
                domain = labels.get(term.topology_key)
                if term.matches(pod.labels) and domain is not None:
                    matches.append((term.topology_key, domain, -term.weight))
    if not matches or not scored:
        return None, checks
    counts = [0.0] * len(scored)
    for key, domain, weight in matches:
        checks += len(scored)
        for i, info in enumerate(scored):
            if info.node.labels.get(key) == domain:
                counts[i] += weight
    hi, lo = max(0.0, *counts), min(0.0, *counts)
    if hi - lo <= 0:
        return [0] * len(scored), checks
    return [int(MAX_PRIORITY * (c - lo) / (hi - lo)) for c in counts], checks
