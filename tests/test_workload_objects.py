"""Chapter 2's default for everything else in etcd: derived from the thresholds, measured."""

import json

import pytest

from kscale_lab.endpoints.objects import backends, endpoints_object
from kscale_lab.heartbeats import HeartbeatDimensions
from kscale_lab.workload_objects import (
    BACKENDS_PER_SERVICE,
    OTHER_BYTES_PER_NODE,
    OTHER_KIB_PER_NODE,
    PODS_PER_NODE,
    SERVICES_PER_NODE,
    pod_object,
    service_object,
)


def compact(obj):
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def test_ratios_come_from_the_thresholds():
    # by hand: 150,000 pods and 10,000 services for 5,000 nodes
    assert (PODS_PER_NODE, SERVICES_PER_NODE, BACKENDS_PER_SERVICE) == (30, 2, 15)


def test_the_default_adds_up_the_objects_built_and_serialized_here():
    """Independent of chapter 8's size formulas: the Endpoints object is built with its 15
    backends and serialized whole."""
    eps = endpoints_object("web", backends("web", 15))
    by_hand = 30 * compact(pod_object()) + 2 * (compact(service_object()) + compact(eps))
    assert OTHER_BYTES_PER_NODE == by_hand


def test_the_default_is_the_derived_bytes_in_whole_kib():
    assert abs(OTHER_KIB_PER_NODE * 1024 - OTHER_BYTES_PER_NODE) <= 512
    assert HeartbeatDimensions().other_kib_per_node == OTHER_KIB_PER_NODE


def test_a_pod_is_a_few_kib_and_describes_its_backend():
    b = backends("web", 3, seed=7)[2]
    pod = pod_object(b)
    assert 1024 < compact(pod) < 8 * 1024
    assert (pod["metadata"]["name"], pod["metadata"]["uid"], pod["status"]["podIP"],
            pod["spec"]["nodeName"]) == (b.pod, b.uid, b.ip, b.node)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pods_of_fixed_width_backends_have_the_same_size(seed):
    assert compact(pod_object(backends("web", 1, seed=seed)[0])) == compact(pod_object())
