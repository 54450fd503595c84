"""Chapter 4: kube-proxy, iptables (linear chains, full restores) vs IPVS (hash table, one op)."""

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kscale_lab.kube_proxy import (
    FIXED_RULES,
    IPVS_OP_BYTES,
    IPVS_PER_OP_S,
    SVC_TAB_SIZE,
    Endpoint,
    IptablesProxier,
    IpvsProxier,
    KubeProxyDimensions,
    KubeProxyModel,
    Packet,
    growth_exponent,
    ip_int,
    ip_str,
    iptables_payload_bytes,
    iptables_rules,
    iptables_rules_per_packet,
    ipvs_entries_per_packet,
    make_services,
    random_packets,
    simulate,
    unknown_packet,
)
from kscale_lab.kube_proxy.iptables import sep_chain, statistic_probability, svc_chain
from kscale_lab.kube_proxy.latency import batched_latency, md1_latency, md1_wait_cdf
from kscale_lab.kube_proxy.model import (
    FULL_RESYNC_PERIOD_S,
    IPTABLES_PER_RULE_HELD_S,
    IPTABLES_PER_RULE_WRITTEN_S,
    IPTABLES_SYNC_BASE_S,
    batched_lag_s,
    iptables_append_s,
    iptables_one_by_one_s,
    iptables_rules_written,
    iptables_sync_s,
)

MODEL = KubeProxyModel()
SMALL = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


# --- the tables look like the real ones ----------------------------------------------------

def test_iptables_save_has_kube_proxys_structure():
    svcs = make_services(4, 3)
    text = IptablesProxier(svcs).save()
    lines = text.splitlines()
    assert lines[1] == "*nat" and lines[-2] == "COMMIT"
    declared = {m for m in re.findall(r"^:(\S+) ", text, re.M)}
    assert {"KUBE-SERVICES", "KUBE-MARK-MASQ", "KUBE-POSTROUTING", "KUBE-NODEPORTS"} <= declared
    svc_chains = {c for c in declared if re.fullmatch(r"KUBE-SVC-[A-Z2-7]{16}", c)}
    sep_chains = {c for c in declared if re.fullmatch(r"KUBE-SEP-[A-Z2-7]{16}", c)}
    assert len(svc_chains) == 4 and len(sep_chains) == 12
    for target in re.findall(r"-j (KUBE-\S+)", text):          # every jump has its chain
        assert target in declared
    s = svcs[0]
    entry = (f"-A KUBE-SERVICES -d {ip_str(s.cluster_ip)}/32 -p {s.protocol} -m comment "
             f'--comment "{s.key} cluster IP" -m {s.protocol} --dport {s.port} -j KUBE-SVC-')
    assert entry in text
    for chain in svc_chains:
        rules = [ln for ln in lines if ln.startswith(f"-A {chain} ")]
        assert [re.search(r"--probability (\S+)", r)[1] if "--probability" in r else None
                for r in rules] == ["0.33333333349", "0.50000000000", None]
    ep = s.endpoints[0]
    assert f"-s {ip_str(ep.ip)}/32 -m comment --comment \"{s.key}\" -j KUBE-MARK-MASQ" in text
    assert f"-m {s.protocol} -j DNAT --to-destination {ip_str(ep.ip)}:{ep.port}" in text
    assert "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000" in text


def test_statistic_probability_is_printed_as_iptables_save_does():
    assert statistic_probability(1 / 3) == (715827883, "0.33333333349")
    assert statistic_probability(0.5)[1] == "0.50000000000"
    assert statistic_probability(0.1)[1] == "0.10000000009"


def test_ipvsadm_layout():
    svcs = make_services(3, 2)
    text = IpvsProxier(svcs).ipvsadm()
    lines = text.splitlines()
    assert lines[:3] == ["IP Virtual Server version 1.2.1 (size=4096)",
                         "Prot LocalAddress:Port Scheduler Flags",
                         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
    s = svcs[0]
    assert f"{s.protocol.upper()}  {ip_str(s.cluster_ip)}:{s.port} rr" in lines
    dest = f"  -> {ip_str(s.endpoints[0].ip)}:{s.endpoints[0].port}"
    row = next(ln for ln in lines if ln.startswith(dest))
    assert row == f"{dest:<33} Masq    1      0          0"
    assert len(lines) == 3 + 3 * (1 + 2)


def test_ip_helpers_round_trip():
    assert ip_str(ip_int("10.96.0.1")) == "10.96.0.1"
    with pytest.raises(ValueError, match="not an IPv4 address"):
        ip_int("10.96.0")


# --- correctness: every packet to one of its own service's backends -----------------------

@SMALL
@given(services=st.integers(1, 40), backends=st.integers(1, 8), seed=st.integers(0, 10**6))
def test_both_proxiers_send_packets_only_to_their_services_backends(services, backends, seed):
    svcs = make_services(services, backends, seed=seed)
    owner = {(s.cluster_ip, s.port, s.protocol): set(s.endpoints) for s in svcs}
    ipt, ipv = IptablesProxier(svcs), IpvsProxier(svcs)
    rng = np.random.default_rng(seed)
    for p in random_packets(svcs, 30, seed=seed):
        mine = owner[(p.dst_ip, p.dst_port, p.protocol)]
        for proxier in (ipt, ipv):
            route = proxier.route(p, rng)
            assert route.backend in mine
    # a packet for an address no service has falls through both, untouched
    lost = unknown_packet(svcs, seed=seed)
    r = ipt.route(lost, rng)
    assert r.backend is None
    assert r.chains == ("PREROUTING", "KUBE-SERVICES")
    assert r.rules_evaluated == 1 + services + 1        # the jump, every service, NODEPORTS
    assert ipv.route(lost).backend is None


def test_explain_lists_every_rule_evaluated():
    svcs = make_services(60, 3)                     # KUBE-SERVICES long enough for NumPy
    ipt = IptablesProxier(svcs)
    for k, p in enumerate(random_packets(svcs, 10)):
        fast = ipt.route(p, np.random.default_rng(k))
        slow = ipt.route(p, np.random.default_rng(k), explain=True)
        assert (fast.backend, fast.rules_evaluated) == (slow.backend, slow.rules_evaluated)
        assert len(slow.steps) == slow.rules_evaluated
        assert slow.steps[-1][1] == "match" and "-j DNAT" in slow.steps[-1][0]


def test_right_ip_wrong_port_falls_through():
    svcs = make_services(5, 2)
    s = svcs[2]
    p = Packet(0x0A000002, s.cluster_ip, s.port + 1, s.protocol)
    assert IptablesProxier(svcs).route(p, np.random.default_rng(0)).backend is None
    assert IpvsProxier(svcs).route(p).backend is None


def test_iptables_probability_chain_gives_each_backend_an_equal_share():
    """n = 5 backends, 20,000 connections, seed 7: every share within 0.0125 of 1/5
    (the standard error of one share is 0.0028, so this is ~4.5 sigma)."""
    svcs = make_services(3, 5)
    ipt = IptablesProxier(svcs)
    rng = np.random.default_rng(7)
    s = svcs[1]
    p = Packet(0x0A000002, s.cluster_ip, s.port, s.protocol)
    counts = Counter(ipt.route(p, rng).backend for _ in range(20_000))
    assert set(counts) == set(s.endpoints)
    for ep in s.endpoints:
        assert counts[ep] / 20_000 == pytest.approx(1 / 5, abs=0.0125)


def test_ipvs_round_robin_and_least_connection():
    svcs = make_services(2, 4)
    s = svcs[0]
    p = Packet(0x0A000002, s.cluster_ip, s.port, s.protocol)
    rr = IpvsProxier(svcs)
    got = [rr.route(p) for _ in range(8)]
    assert Counter(r.backend for r in got) == {ep: 2 for ep in s.endpoints}
    assert all(r.rules_evaluated == got[0].rules_evaluated for r in got)
    lc = IpvsProxier(svcs, scheduler="lc")
    vs = lc.by_key[s.key]
    vs.reals[2].active_conns = -5                         # make one clearly least loaded
    r = lc.route(p)
    assert r.backend == Endpoint(vs.reals[2].ip, vs.reals[2].port)
    lookup = lc.lookup(p)[1]
    assert r.rules_evaluated == lookup + 4               # lc scans every real server
    with pytest.raises(ValueError, match="scheduler must be one of rr, lc; got 'wrr'"):
        IpvsProxier(svcs, scheduler="wrr")


# --- counts: the real tables and the closed forms agree ----------------------------------

@pytest.mark.parametrize("services, backends", [(1, 1), (7, 3), (250, 10), (1000, 1)])
def test_rule_counts_match_the_closed_form(services, backends):
    svcs = make_services(services, backends)
    assert IptablesProxier(svcs).rules_total == iptables_rules(services, backends)
    assert iptables_rules(services, backends) == FIXED_RULES + services * (1 + 3 * backends)
    assert IpvsProxier(svcs).entries_total == services * (1 + backends)


@pytest.mark.parametrize("services, backends", [(100, 3), (1500, 10), (40, 60)])
def test_restore_payload_matches_the_closed_form(services, backends):
    rendered = IptablesProxier(make_services(services, backends)).restore_payload_bytes()
    assert iptables_payload_bytes(services, backends) == pytest.approx(rendered, rel=0.01)


def test_mean_rules_per_packet_match_the_closed_form():
    """2,000 services × 5 backends, 3,000 packets (seeded): within 3 % (the sampling error of
    the iptables mean is ~1 %)."""
    svcs = make_services(2000, 5)
    packets = random_packets(svcs, 3000)
    rng = np.random.default_rng(1)
    ipt, ipv = IptablesProxier(svcs), IpvsProxier(svcs)
    a = np.mean([ipt.route(p, rng).rules_evaluated for p in packets])
    b = np.mean([ipv.route(p).rules_evaluated for p in packets])
    assert a == pytest.approx(iptables_rules_per_packet(2000, 5), rel=0.03)
    assert b == pytest.approx(ipvs_entries_per_packet(2000, 5), rel=0.05)
    # the IPVS hash table really has 256 chains, filled evenly by the kernel's hash
    lengths = [len(chain) for chain in ipv.table]
    assert len(lengths) == SVC_TAB_SIZE and max(lengths) < 3 * 2000 / SVC_TAB_SIZE


# --- updates: a full restore vs one operation --------------------------------------------

def test_an_endpoint_change_rewrites_every_iptables_rule_but_one_ipvs_entry():
    svcs = make_services(50, 4)
    ipt, ipv = IptablesProxier(svcs), IpvsProxier(svcs)
    s = svcs[10]
    new = Endpoint(ip_int("10.250.0.9"), s.endpoints[0].port)
    eps = (*s.endpoints[1:], new)                        # one pod replaced by another
    sync = ipt.set_endpoints(s.key, eps)
    assert sync.rules_written == ipt.rules_total == iptables_rules(50, 4)
    assert ipv.set_endpoints(s.key, eps) == 2            # one DEL_DEST, one NEW_DEST
    assert ipv.set_endpoints(s.key, eps) == 0            # nothing changed: nothing to do
    rng = np.random.default_rng(3)
    p = Packet(0x0A000002, s.cluster_ip, s.port, s.protocol)
    for proxier in (ipt, ipv):
        seen = {proxier.route(p, rng).backend for _ in range(200)}
        assert seen == set(eps) and s.endpoints[0] not in seen
    with pytest.raises(ValueError, match="unknown service port"):
        ipt.set_endpoints("nope/nope:http", eps)


def test_a_service_without_endpoints_gets_no_rules_and_drops_nothing_elsewhere():
    svcs = make_services(3, 2)
    ipt = IptablesProxier(svcs)
    ipt.set_endpoints(svcs[0].key, ())
    assert ipt.rules_total == FIXED_RULES + 2 * (1 + 3 * 2)
    s = svcs[1]
    p = Packet(0x0A000002, s.cluster_ip, s.port, s.protocol)
    assert ipt.route(p, np.random.default_rng(0)).backend in s.endpoints


# --- the model ----------------------------------------------------------------------------

def test_talk_scale_contract_and_the_mechanism():
    c = MODEL.compare()
    d = c.dimensions
    assert (d.services, d.backends_per_service) == (10_000, 10)
    a, b = c.naive, c.improved
    assert a.rules_total == 310_008 and b.rules_total == 110_000
    assert a.rules_per_packet == 1 + 10_001 / 2 + 11 / 2 + 2
    assert b.rules_per_packet == pytest.approx(2 + 9_999 / 512)
    assert a.rolling_update_s == pytest.approx(20 * a.update_latency_s)
    assert b.update_latency_s == IPVS_PER_OP_S and b.sync_payload_bytes == IPVS_OP_BYTES
    assert a.sync_payload_bytes > 40 * 2**20                 # ~45 MiB per change
    assert a.update_latency_s > 1000 * b.update_latency_s
    assert 0 < b.busy_fraction < a.busy_fraction <= 1
    assert a.rule_lag_s > a.update_latency_s                 # changes queue behind syncs


def test_growth_exponents_in_the_log_log_sweep():
    sw = MODEL.sweep(KubeProxyDimensions())
    xs = sw["services"]
    assert growth_exponent(xs, sw["naive"]["rules_per_packet"]) == pytest.approx(1, abs=0.02)
    assert growth_exponent(xs, sw["naive"]["update_latency_s"]) == pytest.approx(1, abs=0.03)
    assert growth_exponent(xs, sw["improved"]["update_latency_s"]) == pytest.approx(0)
    ipvs = growth_exponent(xs, sw["improved"]["rules_per_packet"])
    assert 0.5 < ipvs < 1                 # 256 buckets: chains grow, from a far lower start
    assert growth_exponent([1, 10, 100], [3, 30, 300]) == pytest.approx(1)


def test_more_backends_cost_iptables_rules_and_syncs_but_not_ipvs_lookups():
    few = MODEL.compare(backends_per_service=5)
    many = MODEL.compare(backends_per_service=50)
    assert many.naive.rules_total > 9 * few.naive.rules_total
    assert many.naive.update_latency_s > 5 * few.naive.update_latency_s
    assert many.improved.rules_per_packet == few.improved.rules_per_packet
    assert many.improved.rolling_update_s == pytest.approx(10 * few.improved.rolling_update_s)


def test_same_dimensions_same_numbers():
    assert MODEL.compare().as_dict() == MODEL.compare().as_dict()
    a = [p.dst_ip for p in random_packets(make_services(30, 2), 20)]
    assert a == [p.dst_ip for p in random_packets(make_services(30, 2), 20)]


def test_real_tables_refuse_sizes_meant_for_the_closed_form():
    with pytest.raises(ValueError, match="at most 1,000,000"):
        make_services(20_000, 500)


# --- two scales that agree: SimPy vs the closed forms ------------------------------------

@pytest.mark.parametrize("services, rate", [(2000, 3), (10_000, 1), (300, 20)])
@pytest.mark.parametrize("version", ["naive", "improved"])
def test_simpy_lag_agrees_with_the_closed_form(services, rate, version):
    """Poisson churn for 1,500 s (seeded), no rollout: the mean lag within 6 %."""
    d = KubeProxyDimensions(services=services, endpoint_changes_per_s=rate)
    run = simulate(d, version, horizon_s=1500, rollout_at_s=None)
    out = getattr(MODEL, version)(d)
    assert run.mean_lag_s() == pytest.approx(out.rule_lag_s, rel=0.06)
    assert run.busy_fraction() == pytest.approx(out.busy_fraction, rel=0.06, abs=0.002)


def test_the_rollout_lags_behind_with_iptables_only():
    d = KubeProxyDimensions()
    ipt, ipv = simulate(d, "naive"), simulate(d, "improved")
    last_change = 4.0 + (d.backends_per_service - 1) * 2.0
    assert ipv.rollout_done_s() == pytest.approx(last_change, abs=0.01)
    assert ipt.rollout_done_s() > last_change + ipt.op_s
    assert all(n >= 1 for _, _, n in ipt.syncs)
    assert max(n for _, _, n in ipt.syncs) > 1             # changes were batched
    assert len(ipt.changes) == len(ipv.changes)
    with pytest.raises(ValueError, match="version must be 'naive' or 'improved'"):
        simulate(d, "nftables")


def test_figures_draw_both_versions():
    import matplotlib.pyplot as plt

    from kscale_lab import style
    from kscale_lab.figures.kube_proxy import plot_rollout

    fig = MODEL.figure()
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    (legend,) = fig.legends                       # one legend, under the panels
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["iptables", "IPVS"]
    lines = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert lines[0].startswith("routing a packet\niptables ∝ S^1.00 · IPVS ∝ S^")
    plt.close(fig)
    fig = style.new_figure(4.6)
    d = KubeProxyDimensions()
    plot_rollout([simulate(d, "naive"), simulate(d, "improved")], fig)
    assert len(fig.axes) == 2
    plt.close(fig)


def test_cli_json_has_the_contract_keys(capsys):
    import json

    from kscale_lab.cli import main

    assert main(["run", "kube-proxy", "--services", "2000", "--backends-per-service", "5",
                 "--endpoint-changes-per-s", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chapter"] == "kube-proxy"
    assert data["dimensions"] == {"services": 2000, "backends_per_service": 5,
                                  "endpoint_changes_per_s": 2.0, "min_sync_period_s": 1.0,
                                  "iptables_restore": "full"}
    for version in ("naive", "improved"):
        for key in ("rules_total", "rules_per_packet", "update_latency_s", "rolling_update_s",
                    "sync_payload_bytes", "network_programming_latency_p50_s",
                    "network_programming_latency_p99_s"):
            assert data[version][key] > 0
    assert data["naive"]["rules_total"] == 32_008


# --- partial restore (KEP-3453) -------------------------------------------------------------

@pytest.mark.parametrize("services, backends, changed", [(50, 3, 1), (400, 10, 4), (40, 60, 2)])
def test_partial_restore_input_matches_the_closed_forms(services, backends, changed):
    ipt = IptablesProxier(make_services(services, backends))
    text = ipt.save_partial(list(ipt.services)[:changed])
    rules = [ln for ln in text.splitlines() if ln.startswith("-A ")]
    assert len(rules) == iptables_rules_written(services, backends, changed, "partial")
    assert len(text.encode()) == pytest.approx(
        iptables_payload_bytes(services, backends, "partial", changed), rel=0.02)


def test_partial_restore_names_kube_services_and_only_the_changed_chains():
    svcs = make_services(30, 2)
    text = IptablesProxier(svcs).save_partial([svcs[4].key])
    declared = set(re.findall(r"^:(\S+) ", text, re.M))
    assert declared == {"KUBE-SERVICES", "KUBE-NODEPORTS", svc_chain(svcs[4]),
                        *(sep_chain(svcs[4], ep) for ep in svcs[4].endpoints)}
    assert text.count("-A KUBE-SERVICES ") == 30 + 1


def test_a_partial_sync_still_pays_for_every_rule_held():
    """Legacy back end: the kernel table is copied whole; only the text shrinks."""
    s, b = 10_000, 10
    full, part = iptables_sync_s(s, b, "full"), iptables_sync_s(s, b, "partial", 1)
    held = IPTABLES_PER_RULE_HELD_S * iptables_rules(s, b)
    written = IPTABLES_PER_RULE_WRITTEN_S * (s + 1 + 3 * b)
    assert part == pytest.approx(IPTABLES_SYNC_BASE_S + held + written)
    assert full == pytest.approx(IPTABLES_SYNC_BASE_S + held
                                 + IPTABLES_PER_RULE_WRITTEN_S * iptables_rules(s, b))


def test_one_rule_at_a_time_is_quadratic():
    """The closed form equals the sum of every append's cost, call by call."""
    for rules in (1, 10, 777):
        brute = sum(float(iptables_append_s(k)) for k in range(rules))
        assert iptables_one_by_one_s(rules) == pytest.approx(brute, rel=1e-12)
    ratio = iptables_one_by_one_s(400_000) / iptables_one_by_one_s(200_000)
    assert ratio == pytest.approx(4, rel=0.02)           # double the rules, four times the time


# --- network programming latency ------------------------------------------------------------

def test_with_no_minimum_period_the_mean_is_the_batched_queue_formula():
    for sync, rate in ((0.5, 3.0), (3.0, 0.2), (0.01, 50.0)):
        mean, busy = batched_lag_s(sync, rate)
        dist = batched_latency(sync, 0.0, rate)
        assert dist.mean_s() == pytest.approx(float(mean), rel=1e-12)
        assert dist.busy_fraction == pytest.approx(float(busy), rel=1e-12)


def test_latency_quantiles_invert_the_distribution():
    dist = batched_latency(0.8, 2.0, 0.7)
    for q in (0.1, 0.5, 0.9, 0.99):
        t = dist.quantile_s(q)
        assert dist.cdf(t) >= q - 1e-9 and dist.cdf(t - 1e-6) <= q + 1e-9


def test_md1_waiting_time_matches_a_lindley_recursion():
    """Erlang's formula against 400,000 seeded customers of W' = max(0, W + c - A)."""
    lam, c = 2_000.0, 100e-6                            # rho = 0.2
    rng = np.random.default_rng(9)
    gaps = rng.exponential(1 / lam, 400_000)
    w, waits = 0.0, np.empty(gaps.size)
    for i, a in enumerate(gaps):
        waits[i] = w
        w = max(0.0, w + c - a)
    for t in (0.0, 0.5 * c, c, 2.5 * c):
        assert md1_wait_cdf(t, lam, c) == pytest.approx(np.mean(waits <= t), abs=0.004)
    assert md1_latency(c, lam).quantile_s(0.99) == pytest.approx(
        c + np.quantile(waits, 0.99), rel=0.03)


def test_ipvs_p99_is_one_operation_when_few_changes_wait():
    out = MODEL.improved(KubeProxyDimensions(endpoint_changes_per_s=5))
    assert out.network_programming_latency_p99_s == pytest.approx(IPVS_PER_OP_S)


@pytest.mark.parametrize("changes", [
    dict(services=2000, endpoint_changes_per_s=3, min_sync_period_s=0),
    dict(services=10_000, endpoint_changes_per_s=1),
    dict(services=5000, endpoint_changes_per_s=2, min_sync_period_s=10),
    dict(services=10_000, endpoint_changes_per_s=5, iptables_restore="partial"),
])
def test_simpy_percentiles_agree_with_the_closed_form(changes):
    """3,000 s of seeded churn, no rollout: p50 and p99 within 5 %, the mean within 4 %."""
    d = KubeProxyDimensions(**changes)
    run = simulate(d, "naive", horizon_s=3000, rollout_at_s=None)
    out = MODEL.naive(d)
    assert run.lag_quantile_s(0.5) == pytest.approx(out.network_programming_latency_p50_s,
                                                    rel=0.05)
    assert run.lag_quantile_s(0.99) == pytest.approx(out.network_programming_latency_p99_s,
                                                     rel=0.05)
    assert run.mean_lag_s() == pytest.approx(out.rule_lag_s, rel=0.04)


def test_simpy_partial_proxier_runs_full_resyncs_on_its_period():
    d = KubeProxyDimensions(services=1000, endpoint_changes_per_s=1, iptables_restore="partial")
    run = simulate(d, "naive", horizon_s=1000, rollout_at_s=None, resync_period_s=100)
    full_s = float(iptables_sync_s(1000, 10))
    starts = [s for s, e, _ in run.syncs if e - s == pytest.approx(full_s)]
    assert len(starts) == run.full_syncs and 9 <= run.full_syncs <= 10
    gaps = np.diff([0.0, *starts])                   # a period, plus at most one sync's wait
    assert all(100 <= g <= 100 + full_s + d.min_sync_period_s for g in gaps)
    assert min(e - s for s, e, _ in run.syncs) < 0.6 * full_s


def test_a_longer_minimum_period_batches_more_and_waits_longer():
    base = KubeProxyDimensions(services=2000)
    a = MODEL.naive(base.replace(min_sync_period_s=1))
    b = MODEL.naive(base.replace(min_sync_period_s=10))
    assert b.busy_fraction < a.busy_fraction
    assert b.network_programming_latency_p50_s > a.network_programming_latency_p50_s
    # p99 approaches one sync plus the whole period: nearly every change waits for a start
    sync = b.update_latency_s
    assert b.network_programming_latency_p99_s == pytest.approx(sync + 0.99 * 10, rel=0.01)


def test_full_resync_period_is_rare_at_the_defaults():
    """The unverified resync period hardly moves p99: a full resync is ~0.1 % of the time."""
    d = KubeProxyDimensions(iptables_restore="partial")
    assert (MODEL.naive(d).update_latency_s + iptables_sync_s(d.services, 10)) \
        / FULL_RESYNC_PERIOD_S < 0.01
