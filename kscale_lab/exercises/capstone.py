"""Self-checks for chapter 9, "Capstone: which bottleneck bites first" (``exercises/09-capstone``).

Eight questions, from easy to hard: one chapter's headroom by hand (q1); a prediction of
which bottleneck bites first for a cluster the chapter did not show (q2); why a patch release
stopped nodes flapping, with the release table's misreadings as wrong options (q3); which
chapter's fix bought the most headroom for one workload (q4); which single dimension can grow
the most (q5); how many nodes, when two chapters share etcd's quota (q6); the first release
of an upgrade path on which nothing breaks (q7); and a synthesis of chapters 4, 8 and 9: how
many services today's release can run in iptables mode (q8).

Every expected answer is computed here by running the capstone (:mod:`kscale_lab.capstone`)
on the cluster the question describes, inside the question's check, each time it runs; no
module-level name holds or returns an answer. The
clusters are module constants, none of them one the chapter uses, so the notebooks, the
solutions and the tests share them.
"""

from __future__ import annotations

from typing import Any

from kscale_lab.capstone import CapstoneDimensions, CapstoneModel, assess
from kscale_lab.capstone.headroom import MECHANISMS
from kscale_lab.capstone.tour import first_clear_release, room
from kscale_lab.exercises import check_choice, check_number, scoring
from kscale_lab.versions import RELEASES, TODAY, release

__all__ = ["MODEL", "Q1_CLUSTER", "Q2_CHOICES", "Q2_CLUSTER", "Q3_CHOICES", "Q4_CHOICES",
           "Q4_CLUSTER", "Q5_CHOICES", "Q5_CLUSTER", "Q6_CLUSTER", "Q7_CHOICES", "Q7_CLUSTER",
           "Q8_CLUSTER", "not_yet", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

MODEL = CapstoneModel()

#: Q1: 3,000 nodes on 1.12.7 (the NodeStatus heartbeat), the defaults otherwise.
Q1_CLUSTER = CapstoneDimensions(version="1.12.7", nodes=3000)
#: Q2: 1,200 nodes of 90 pods with 4 secrets and configmaps each, 1,500 services, on 1.13.
Q2_CLUSTER = CapstoneDimensions(version="1.13", nodes=1200, pods_per_node=90,
                                objects_per_pod=4, services=1500, namespaces=300)
Q2_CHOICES = ("heartbeats", "secrets", "kube-proxy", "scheduler", "events")
#: Q3: why moving a 1.13.4 cluster to 1.13.5 stopped its nodes flapping NotReady.
Q3_CHOICES = {
    "a": "1.13.5's kubelet is built with Go 1.12, which opens another connection when "
         "its streams run out.",
    "b": "1.13.5's kubelet polls its secrets and configmaps again, so no watch holds a "
         "stream of its connection.",
    "c": "1.13.5 turns the node Lease on, so the heartbeat no longer needs the connection.",
    "d": "1.13.5's apiserver allows more streams per connection.",
}
#: Q4: a service-heavy 1.13 cluster: 1,500 nodes of 40 pods, 12,000 services of 5 backends
#: (every pod backs one).
Q4_CLUSTER = CapstoneDimensions(version="1.13", nodes=1500, pods_per_node=40,
                                services=12_000, backends_per_service=5, namespaces=1000)
Q4_CHOICES = ("heartbeats", "secrets", "kube-proxy", "watch", "endpoints")
#: Q5 and Q6: 3,000 nodes of 40 pods, 2,500 services of 8 backends, 15 pods a second, on
#: 1.14.2 (Lease, secrets watched with Go 1.12, iptables restored in full); no pod loops.
Q5_CLUSTER = CapstoneDimensions(version="1.14.2", nodes=3000, pods_per_node=40,
                                services=2500, backends_per_service=8, pod_churn=15,
                                hot_objects_per_node=0.0)
Q5_CHOICES = ("nodes", "services", "backends_per_service", "pod_churn")
#: Q6: the same cluster with fewer, bigger Services (1,000 of 120 backends: every pod backs
#: one) and kube-proxy in IPVS mode.
Q6_CLUSTER = Q5_CLUSTER.replace(services=1000, backends_per_service=120, proxy_mode="ipvs")
#: Q7: 2,500 nodes of 60 pods with 5 secrets each, 1,800 services, on 1.12.
Q7_CLUSTER = CapstoneDimensions(version="1.12", nodes=2500, pods_per_node=60,
                                objects_per_pod=5, services=1800, namespaces=500)
Q7_CHOICES = tuple(v for v in RELEASES if release(v).version >= release("1.12").version)
#: Q8: 5,000 nodes of 30 pods, services of 12 backends, 20 pods a second, today's release,
#: kube-proxy in iptables mode.
Q8_CLUSTER = CapstoneDimensions(version=TODAY, nodes=5000, pods_per_node=30,
                                backends_per_service=12, namespaces=1000)


__dir__, score, not_yet = scoring.check_module(__name__, __all__)


# --- q1 ------------------------------------------------------------------------------------

def q1(answer: Any) -> bool:
    """The heartbeats' headroom ratio of a 3,000-node 1.12.7 cluster."""
    def expected() -> float:
        return assess(Q1_CLUSTER, Q1_CLUSTER.version).headroom["heartbeats"]

    d = Q1_CLUSTER
    node = 4500 + 280 * d.images_per_node + 5 * 300
    one_interval = d.nodes * node * (1 + 300 / 10) / (d.quota_gib * 2**30)
    return check_number(
        answer, expected(), rel_tol=0.02,
        right="past 1: the quota is gone within two compaction intervals, and every write in "
              "the cluster stops. A ratio says how far past, which is what an upgrade plan "
              "needs to know.",
        why={one_interval: "the apiserver compacts to the revision of its previous tick: "
                           "how many intervals of history are held just before a tick?"},
        hint="what etcd holds at the peak is the live Node objects plus two compaction "
             "intervals (5 min each) of NodeStatus writes every 10 s; divide by the quota "
             "(2 GiB = 2 × 2³⁰ bytes). The Node is chapter 2's: 4,500 B + 280 B per image + "
             "300 B per volume (5 volumes).")


# --- q2 ------------------------------------------------------------------------------------

def q2(answer: Any) -> bool:
    """Which mechanism bites first for the cluster of question 2, on 1.13?"""
    def expected() -> str:
        return assess(Q2_CLUSTER, Q2_CLUSTER.version).first_bottleneck

    return check_choice(
        answer, expected(), Q2_CHOICES,
        right="1.13.0–1.13.4 watched every object a kubelet needs on one HTTP/2 connection "
              "with a client that waits when the streams run out: the number of objects per "
              "node, not the number of nodes, decides.",
        why={"heartbeats": "at this size the NodeStatus history fits the quota: compute the "
                           "ratio, or read it in model.naive(ex.Q2_CLUSTER).headroom.",
             "kube-proxy": "1,500 services of 10 backends take well under a second to restore.",
             "scheduler": "20 pods a second is below what the scheduler places, and within "
                          "the SLO.",
             "events": "six events a pod at 20 pods a second stay under a million in an "
                       "hour."},
        hint="count what one kubelet needs on its connection on 1.13.0: a watch per distinct "
             "secret and configmap of its pods (a quarter of them shared by every pod), plus "
             "its heartbeat; compare with 250 streams. Then check the other ratios with "
             "model.naive(ex.Q2_CLUSTER).ranked().")


# --- q3 ------------------------------------------------------------------------------------

def q3(answer: Any) -> bool:
    """Why did 1.13.5 stop the nodes of a dense 1.13.4 cluster flapping NotReady?"""
    def claims() -> dict[str, bool]:
        """Each option of q3 as a claim the release table can test."""
        before, after = release("1.13.4"), release("1.13.5")
        return {"a": after.secrets_strategy == "Watch" and after.go_client == "go1.12",
                "b": before.secrets_strategy == "Watch" and after.secrets_strategy == "Cache",
                "c": after.node_lease and not before.node_lease,
                "d": (after.http2_max_streams_per_connection
                      > before.http2_max_streams_per_connection)}

    def expected() -> str:
        true = [k for k, holds in claims().items() if holds]
        if len(true) != 1:
            raise RuntimeError(f"question 3 no longer matches the release table: {true} hold")
        return true[0]

    return check_choice(
        answer, expected(), Q3_CHOICES,
        right="a fix that could not be made safe at once was switched off in a patch "
              "release, and the stopgap — polling, with its GETs and seats — came back until "
              "the Go client was fixed.",
        why={"a": "the Go 1.12 client came with 1.14.2 (read release(\"1.13.5\").go_client).",
             "c": "the Lease was alpha and off in 1.13; on by default from 1.14.",
             "d": "the apiserver's limit only ever went down (to 100, late 2023)."},
        hint="compare release(\"1.13.4\") and release(\"1.13.5\") attribute by attribute "
             "(.differences(...)): what does the kubelet do with its secrets in each?")


# --- q4 ------------------------------------------------------------------------------------

def q4(answer: Any) -> bool:
    """Which chapter's fix bought this workload the most headroom, from 1.13 to today?"""
    def drops_by_mechanism() -> dict[str, float]:
        """How much each mechanism's ratio falls from the cluster's release to today's."""
        a, b = assess(Q4_CLUSTER, Q4_CLUSTER.version), assess(Q4_CLUSTER, TODAY)
        return {k: a.headroom[k] - b.headroom[k] for k in MECHANISMS}

    def expected() -> str:
        drops = drops_by_mechanism()
        return max((k for k in Q4_CHOICES), key=lambda k: drops[k])

    return check_choice(
        answer, expected(), Q4_CHOICES,
        right="the fix that matters is the one for the dimension your workload stresses: "
              "here the services, not the nodes. Read the ratios before planning an "
              "upgrade — and note this one is still past its limit today.",
        why={"heartbeats": "the Lease helps every cluster, but 1,500 nodes were within the "
                           "quota already: how far did the ratio fall?",
             "secrets": "40 pods of 4 objects need far fewer than 250 streams: the stream "
                        "trap never sprang here.",
             "watch": "kubelets' pod watches were far from their limit on both releases.",
             "endpoints": "5 backends make a small object in either API."},
        hint="for each mechanism, subtract today's ratio from 1.13's: model.compare("
             "ex.Q4_CLUSTER) gives both sides' headroom dicts.")


# --- q5 ------------------------------------------------------------------------------------

def q5(answer: Any) -> bool:
    """Which single dimension of the question-5 cluster can grow by the largest factor?"""
    def room_factors() -> dict[str, float]:
        """How many times each dimension of :data:`Q5_CHOICES` can grow."""
        return {dim: room(Q5_CLUSTER, dim).factor for dim in Q5_CHOICES}

    def expected() -> str:
        rooms = room_factors()
        return max(Q5_CHOICES, key=lambda k: rooms[k])

    return check_choice(
        answer, expected(), Q5_CHOICES,
        right="each dimension meets a different chapter's limit, at a different distance: "
              "\"how big can it grow?\" has one answer per dimension, not one per cluster.",
        why={"nodes": "the shared etcd quota stops the nodes sooner: heartbeats and "
                      "Endpoints both hold bytes there.",
             "services": "kube-proxy restores the whole iptables table on 1.14.2: how much "
                         "room is left under a second of syncing?",
             "backends_per_service": "the backends multiply kube-proxy's rules just as the "
                                     "services do."},
        hint="for each dimension, find the largest value at which nothing breaks "
             "(tour.room(ex.Q5_CLUSTER, dimension), or bisect with "
             "model.naive(cluster.replace(...)).first_bottleneck) and divide by today's "
             "value.")


# --- q6 ------------------------------------------------------------------------------------

def q6(answer: Any) -> bool:
    """The most nodes the question-6 cluster can have on 1.14.2 before something breaks."""
    def expected() -> int:
        return int(room(Q6_CLUSTER, "nodes").largest)

    d = Q6_CLUSTER
    from kscale_lab.heartbeats import LEASE_BYTES

    node = 4500 + 280 * d.images_per_node + 1500
    per_node = node + LEASE_BYTES + 600 * (LEASE_BYTES / 10 + node / 60)
    heartbeats_alone = int(d.quota_gib * 2**30 / per_node)
    return check_number(
        answer, expected(), rel_tol=0.01, unit="nodes",
        right="the quota is shared: every chapter that writes to the main etcd spends it, so "
              "the heartbeats' room depends on the Services too.",
        why={heartbeats_alone: "that is the heartbeats alone. What else is written to the "
                               "main etcd, and how often?"},
        hint="grow the nodes with everything else fixed; the first limit is the main etcd's "
             "quota, which the Leases, the 1-minute NodeStatus reports and the Endpoints "
             "objects (with their history) share. Bisect with "
             "model.naive(cluster.replace(nodes=n)).first_bottleneck.")


# --- q7 ------------------------------------------------------------------------------------

def q7(answer: Any) -> bool:
    """The first release, from 1.12 on, on which nothing of the question-7 cluster breaks."""
    def expected() -> str:
        return first_clear_release(Q7_CLUSTER)

    return check_choice(
        answer, expected(), Q7_CHOICES,
        right="an upgrade path is a list of limits falling one by one; the release that "
              "clears the last one is where the plan can stop — and the table says which "
              "patch releases to skip on the way.",
        why={"1.12.7": "the patch release switched the secret watch off, but did it change "
                       "the heartbeat?",
             "1.13": "1.13's Lease is alpha: off by default.",
             "1.13.5": "the patch release switched the secret watch off, but did it change "
                       "the heartbeat?",
             "1.14.2": "nothing breaks there, but is it the first such release?"},
        hint="run the cluster on each release in turn (model.run(ex.Q7_CLUSTER.replace("
             "version=v), model.version(\"naive\")).first_bottleneck) and see what bites "
             "first on each; releases are strings such as \"1.14.2\".")


# --- q8 ------------------------------------------------------------------------------------

def q8(answer: Any) -> bool:
    """Synthesis: the most services of 12 backends today's release runs in iptables mode."""
    def expected() -> int:
        return int(room(Q8_CLUSTER, "services").largest)

    d = Q8_CLUSTER
    full = int((1 - 0.005) / 14e-6 / (1 + 3 * d.backends_per_service))
    return check_number(
        answer, expected(), rel_tol=0.02, unit="services",
        right="the partial restore (KEP-3453) writes less text, but iptables-legacy still "
              "reads and rewrites the whole table on every call: the rules held, not the "
              "rules changed, set the limit. IPVS or nftables lift it.",
        why={full: "that is a full restore of every rule each second; today's release "
                   "restores in part."},
        hint="kube-proxy syncs at most once a second here: a sync costs 5 ms, 7 µs per rule "
             "written (the Services' jump rules and the changed Services' chains) and 7 µs "
             "per rule held (every Service: 1 + 3 × backends rules). Find where it reaches "
             "1 s of syncing a second, or bisect on services with model.naive(...).")
