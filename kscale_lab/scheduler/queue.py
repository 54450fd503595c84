"""Pod churn: a queue in front of the scheduler turns throughput into scheduling latency.

Pods arrive at ``arrival_rate`` pods/s (a Poisson process; whole deployments of
:data:`~kscale_lab.scheduler.cluster.GROUP_SIZE` replicas share their anti-affinity) and wait
in the scheduling queue; the scheduler takes them one at a time, each for its cycle time. A
pod's *scheduling latency* is its wait plus its own cycle. When pods arrive faster than the
scheduler's mean cycle allows (utilisation ρ = arrival rate × mean cycle ≥ 1) the backlog
grows without bound and there is no p99 to speak of: :func:`p99_latency_s` returns ``None``.

Two scales that agree (``tests/test_scheduler.py``): :func:`simulate_queue` runs the queue
event by event with SimPy; :func:`lindley_latencies` computes the same latencies with the
Lindley recursion, vectorised with NumPy (a reflected random walk), for 20,000 pods in a
millisecond.
"""

from __future__ import annotations

import numpy as np
import simpy

from kscale_lab.scheduler.cluster import GROUP_SIZE, SEED

#: Pods simulated per p99 estimate.
QUEUE_PODS = 20_000
#: SIG Scalability's pod startup SLO: p99 of stateless pod startup ≤ 5 s.
POD_STARTUP_SLO_S = 5.0


def arrivals(rate_per_s: float, count: int, anti_affinity_fraction: float,
             seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (s) of ``count`` pods, and which of them carry anti-affinity."""
    if rate_per_s <= 0:
        raise ValueError(f"arrival_rate must be positive; got {rate_per_s}")
    rng = np.random.default_rng([seed, 3])
    t = np.cumsum(rng.exponential(1.0 / rate_per_s, count))
    groups = -(-count // GROUP_SIZE)
    aff = np.repeat(rng.random(groups) < anti_affinity_fraction, GROUP_SIZE)[:count]
    return t, aff


def lindley_latencies(arrival_s: np.ndarray, service_s: np.ndarray) -> np.ndarray:
    """Wait + service of each pod in a FIFO single-server queue (Lindley's recursion
    ``W[n+1] = max(0, W[n] + S[n] - (A[n+1] - A[n]))``, solved as a reflected walk)."""
    if len(arrival_s) == 0:
        return np.zeros(0)
    steps = np.concatenate([[0.0], service_s[:-1] - np.diff(arrival_s)])
    walk = np.cumsum(steps)
    wait = walk - np.minimum(np.minimum.accumulate(walk), 0.0)
    return wait + service_s


def simulate_queue(arrival_s: np.ndarray, service_s: np.ndarray) -> np.ndarray:
    """The same queue, event by event: a SimPy ``Resource`` of capacity one (the scheduling
    loop) and one process per pod."""
    env = simpy.Environment()
    scheduler = simpy.Resource(env, capacity=1)
    latency = np.zeros(len(arrival_s))

    def pod(i: int):
        yield env.timeout(arrival_s[i] - env.now)
        with scheduler.request() as turn:
            yield turn
            yield env.timeout(service_s[i])
        latency[i] = env.now - arrival_s[i]

    def source():
        for i in range(len(arrival_s)):
            yield env.timeout(arrival_s[i] - env.now)
            env.process(pod(i))

    env.process(source())
    env.run()
    return latency


def p99_latency_s(rate_per_s: float, cycle_plain_s: float, cycle_affinity_s: float,
                  anti_affinity_fraction: float, count: int = QUEUE_PODS,
                  seed: int = SEED) -> tuple[float | None, float]:
    """(p99 scheduling latency in s — ``None`` when the backlog grows without bound — and the
    scheduler's utilisation ρ)."""
    f = anti_affinity_fraction
    mean = (1 - f) * cycle_plain_s + f * cycle_affinity_s
    rho = rate_per_s * mean
    if rho >= 1:
        return None, rho
    t, aff = arrivals(rate_per_s, count, f, seed)
    service = np.where(aff, cycle_affinity_s, cycle_plain_s)
    return float(np.percentile(lindley_latencies(t, service), 99)), rho
