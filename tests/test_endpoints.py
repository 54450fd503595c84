"""Chapter 8, EndpointSlices: the objects, their measured sizes, the closed form, and the
event-by-event run through the control plane — one invariant per test."""

from __future__ import annotations

import math

import pytest

from kscale_lab.endpoints import (
    ETCD_MAX_REQUEST_BYTES,
    EndpointsDimensions,
    EndpointsModel,
    backends,
    endpoint_slices,
    endpoints_object,
    json_bytes,
    object_sizes,
    per_change,
    protobuf_bytes,
    side_in,
)
from kscale_lab.endpoints.controller import rolling_update
from kscale_lab.endpoints.wire import encode, varint

MODEL = EndpointsModel()
MEASURE = {"json": json_bytes, "protobuf-like": protobuf_bytes}


def test_varint_matches_protobufs_documented_example():
    # protobuf.dev "Encoding": 150 is 96 01, and 300 is AC 02
    assert varint(150) == bytes([0x96, 0x01])
    assert varint(300) == bytes([0xAC, 0x02])


def test_the_encoder_refuses_a_field_the_api_object_does_not_have():
    with pytest.raises(ValueError, match="zone"):
        encode({"ip": "10.0.0.1", "zone": "a"}, "EndpointAddress")    # Endpoints: no zone


@pytest.mark.parametrize("encoding", ["json", "protobuf-like"])
@pytest.mark.parametrize("n", [1, 2, 7, 100, 127, 128, 300, 1234])
def test_endpoints_size_formula_equals_serializing_the_real_object(encoding, n):
    built = endpoints_object("web", backends("web", n))
    assert object_sizes(encoding).endpoints_bytes(n) == MEASURE[encoding](built)


@pytest.mark.parametrize("encoding", ["json", "protobuf-like"])
@pytest.mark.parametrize("n, m", [(1, 100), (250, 100), (37, 5), (1000, 1000)])
def test_slice_size_formula_equals_serializing_the_real_slices(encoding, n, m):
    slices = endpoint_slices("web", backends("web", n), m)
    sizes = object_sizes(encoding)
    assert [sizes.slice_bytes(len(s["endpoints"])) for s in slices] == \
        [MEASURE[encoding](s) for s in slices]


def test_slices_hold_every_backend_once_and_at_most_m_each():
    members = backends("web", 257)
    slices = endpoint_slices("web", members, 100)
    ips = [e["addresses"][0] for s in slices for e in s["endpoints"]]
    assert sorted(ips) == sorted(b.ip for b in members)
    assert max(len(s["endpoints"]) for s in slices) == 100 and len(slices) == 3


def test_etcd_limit_is_the_last_size_that_fits():
    limit = object_sizes("json").max_backends_within(ETCD_MAX_REQUEST_BYTES)
    assert json_bytes(endpoints_object("web", backends("web", limit))) <= ETCD_MAX_REQUEST_BYTES
    assert json_bytes(endpoints_object("web", backends("web", limit + 1))) \
        > ETCD_MAX_REQUEST_BYTES


def test_naive_change_sends_the_whole_object_to_every_node():
    dims = EndpointsDimensions(nodes=700, backends_per_service=90)
    whole = protobuf_bytes(endpoints_object("web", backends("web", 90)))
    assert MODEL.naive(dims).bytes_per_update == 700 * whole


def test_improved_change_bytes_do_not_grow_with_the_service_once_slices_are_full():
    a = MODEL.improved(EndpointsDimensions(backends_per_service=300))
    b = MODEL.improved(EndpointsDimensions(backends_per_service=2000))
    assert a.bytes_per_update == b.bytes_per_update


def test_naive_rolling_update_grows_with_the_square_of_the_backends():
    a = per_change(500, "naive")["rolling_bytes"]
    b = per_change(1000, "naive")["rolling_bytes"]
    assert 3.9 < b / a < 4.0          # 2 × (2 × E(500) - fixed part) / E(500): just under 4


def test_slice_count_is_the_ceiling():
    for n, m in [(1, 100), (100, 100), (101, 100), (999, 7)]:
        assert per_change(n, "improved", max_endpoints_per_slice=m)["objects"] == math.ceil(n / m)


@pytest.mark.parametrize("version", ["naive", "improved"])
def test_simpy_rolling_update_agrees_with_the_closed_form(version):
    """Tolerance stated before comparing: exact to 0.1 % (fixed-width backends make every
    replacement the same size, so the two should agree to the byte)."""
    run = rolling_update(23, 5, version, max_endpoints_per_slice=4)
    closed = per_change(23, version, max_endpoints_per_slice=4)
    assert run.watch_bytes == pytest.approx(5 * closed["rolling_bytes"], rel=1e-3)
    assert run.etcd_write_bytes == pytest.approx(closed["rolling_bytes"], rel=1e-3)


@pytest.mark.parametrize("version", ["naive", "improved"])
def test_every_kube_proxy_ends_with_exactly_the_new_backends(version):
    assert rolling_update(17, 3, version, max_endpoints_per_slice=5).kube_proxies_agree


def test_both_versions_write_once_and_send_one_event_per_kube_proxy_per_change():
    for version in ("naive", "improved"):
        run = rolling_update(10, 4, version, max_endpoints_per_slice=3)
        updates = [w for w in run.writes if w.t_s >= 1.0]
        assert len(updates) == 10 and len(run.received) == 10 * 4


def test_load_watch_bytes_are_changes_times_bytes_per_change():
    dims = EndpointsDimensions(endpoint_changes_per_s=7.0)
    for version in MODEL.versions:
        out = MODEL.run(dims, version)
        assert out.load.watch_bytes_per_s == pytest.approx(7.0 * out.bytes_per_update)
        assert out.load.watches_open == dims.nodes


def test_versions_pick_the_side_by_release():
    assert side_in("endpoints", "1.18") == "naive" and side_in("endpoints", "1.19.0") == \
        "improved"
    assert side_in("priority", "v1.19") == "naive" and side_in("priority", "1.20") == \
        "improved"
    with pytest.raises(ValueError, match="version must look like"):
        side_in("endpoints", "latest")
