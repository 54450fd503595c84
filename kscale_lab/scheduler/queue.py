"""Pod churn: the scheduling queue and the client's rate limit turn throughput into latency.

Pods arrive at ``arrival_rate`` pods/s (a Poisson process; whole deployments of ``replicas``
pods share their anti-affinity) and wait in the scheduling queue; the scheduler takes them
one at a time, each for its cycle time. A placed pod's binding then waits for a token of the
scheduler's client rate limiter (``--kube-api-qps``: a token bucket of ``qps`` tokens a
second, ``burst`` deep, full at the start), and goes out. A pod's *scheduling latency* here
is its wait in the queue, its own cycle and its wait for a token. (The binding request's own
latency comes on top; the lab does not model it.)

When pods arrive faster than either stage can serve them — utilisation ρ = max(arrival rate ×
mean cycle, arrival rate ÷ qps) ≥ 1 — the backlog grows without bound and there is no p99 to
speak of: :func:`p99_latency_s` returns ``None``.

Two scales that agree (``tests/test_scheduler.py``): :func:`simulate_queue` runs the queue
and the limiter event by event with SimPy; :func:`lindley_latencies` and
:func:`token_grants` compute the same times in closed form, vectorised with NumPy, for
20,000 pods in a millisecond.
"""

from __future__ import annotations

import numpy as np
import simpy

from kscale_lab.scheduler.cluster import GROUP_SIZE, SEED

#: Pods simulated per p99 estimate.
QUEUE_PODS = 20_000
#: SIG Scalability's pod startup SLO: p99 of stateless pod startup ≤ 5 s ...
POD_STARTUP_SLO_S = 5.0
#: ... which holds only under its prerequisites, among them cluster churn ≤ 20 pods/s.
SLO_MAX_CHURN_PODS_PER_S = 20.0


def arrivals(rate_per_s: float, count: int, anti_affinity_fraction: float,
             seed: int = SEED, replicas: int = GROUP_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (s) of ``count`` pods, and which of them carry anti-affinity (whole
    deployments of ``replicas``)."""
    if rate_per_s <= 0:
        raise ValueError(f"arrival_rate must be positive; got {rate_per_s}")
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1; got {replicas}")
    rng = np.random.default_rng([seed, 3])
    t = np.cumsum(rng.exponential(1.0 / rate_per_s, count))
    groups = -(-count // replicas)
    aff = np.repeat(rng.random(groups) < anti_affinity_fraction, replicas)[:count]
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


def token_grants(ready_s: np.ndarray, qps: float, burst: int) -> np.ndarray:
    """When each request, ready at ``ready_s`` (non-decreasing), gets its token from a token
    bucket of ``qps`` tokens/s and ``burst`` tokens, full at time 0, served in order.

    In closed form (the generic cell rate algorithm): with ``T = 1/qps`` and the theoretical
    arrival time ``U[i] = max(U[i-1], r[i]) + T = (i+1)T + max_{j≤i}(r[j] − jT)``, request
    ``i`` is granted at ``max(r[i], U[i-1] − (burst − 1)T)``.

    Parameters
    ----------
    ready_s : array of float
        When each request is ready (s), in order.
    qps : float
        Tokens added per second (> 0).
    burst : int
        Bucket size in tokens (≥ 1).

    Returns
    -------
    array of float
        When each request gets its token (s).
    """
    if not qps > 0:
        raise ValueError(f"qps must be a number of requests/s above 0; got {qps}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1 token; got {burst}")
    r = np.asarray(ready_s, dtype=float)
    if len(r) == 0:
        return r.copy()
    period = 1.0 / qps
    i = np.arange(len(r))
    u = (i + 1) * period + np.maximum.accumulate(r - i * period)
    previous = np.concatenate([[-np.inf], u[:-1]])
    return np.maximum(r, previous - (burst - 1) * period)


class TokenBucket:
    """The client's rate limiter, event by event: reservations in order, as client-go's
    limiter hands them out (tokens may go negative; a reservation waits until its token
    would exist)."""

    def __init__(self, env: simpy.Environment, qps: float, burst: int) -> None:
        self.env, self.qps, self.burst = env, qps, burst
        self.tokens = float(burst)
        self.last_s = 0.0

    def wait(self):
        """A SimPy process: take a token, waiting as long as it takes to exist."""
        now = self.env.now
        self.tokens = min(self.burst, self.tokens + (now - self.last_s) * self.qps)
        self.last_s = now
        self.tokens -= 1
        if self.tokens < 0:
            yield self.env.timeout(-self.tokens / self.qps)


def simulate_queue(arrival_s: np.ndarray, service_s: np.ndarray, qps: float | None = None,
                   burst: int = 1) -> np.ndarray:
    """The same, event by event: a SimPy ``Resource`` of capacity one (the scheduling loop),
    one process per pod, then (with ``qps``) a :class:`TokenBucket`. Returns each pod's
    latency (s)."""
    env = simpy.Environment()
    scheduler = simpy.Resource(env, capacity=1)
    limiter = TokenBucket(env, qps, burst) if qps is not None else None
    latency = np.zeros(len(arrival_s))

    def pod(i: int):
        yield env.timeout(arrival_s[i] - env.now)
        with scheduler.request() as turn:
            yield turn
            yield env.timeout(service_s[i])
        if limiter is not None:
            yield env.process(limiter.wait())
        latency[i] = env.now - arrival_s[i]

    def source():
        for i in range(len(arrival_s)):
            yield env.timeout(arrival_s[i] - env.now)
            env.process(pod(i))

    env.process(source())
    env.run()
    return latency


def latencies(arrival_s: np.ndarray, service_s: np.ndarray, qps: float | None = None,
              burst: int = 1) -> np.ndarray:
    """Each pod's latency (s): queue + cycle (Lindley), then the token wait (closed form)."""
    done = arrival_s + lindley_latencies(arrival_s, service_s)
    if qps is None:
        return done - arrival_s
    return token_grants(done, qps, burst) - arrival_s


def p99_latency_s(rate_per_s: float, cycle_plain_s: float, cycle_affinity_s: np.ndarray | float,
                  anti_affinity_fraction: float, *, qps: float | None = None, burst: int = 1,
                  replicas: int = GROUP_SIZE, count: int = QUEUE_PODS,
                  seed: int = SEED) -> tuple[float | None, float]:
    """The p99 scheduling latency of a Poisson stream of pods through the loop and the limit.

    Parameters
    ----------
    rate_per_s : float
        Pods arriving per second.
    cycle_plain_s : float
        The cycle of a pod without anti-affinity (s).
    cycle_affinity_s : float or array
        The cycle of a pod with anti-affinity (s): one value, or one per replica position
        ``m`` = 0 … replicas − 1 (its earlier replicas already placed).
    anti_affinity_fraction : float
        Fraction of deployments with anti-affinity.
    qps, burst : float, int
        The client's rate limit; ``None``: no limit.
    replicas : int
        Pods per deployment.
    count, seed : int
        Pods simulated, and the seed of their arrivals.

    Returns
    -------
    p99_s : float or None
        The p99 of queue + cycle + token wait (s); ``None`` when the backlog grows without
        bound.
    utilisation : float
        ρ of the busier stage: max(rate × mean cycle, rate ÷ qps).
    """
    f = anti_affinity_fraction
    per_replica = np.broadcast_to(np.asarray(cycle_affinity_s, dtype=float), (replicas,))
    mean = (1 - f) * cycle_plain_s + f * float(per_replica.mean())
    rho = rate_per_s * mean
    if qps is not None:
        rho = max(rho, rate_per_s / qps)
    if rho >= 1:
        return None, rho
    t, aff = arrivals(rate_per_s, count, f, seed, replicas)
    position = np.arange(count) % replicas
    service = np.where(aff, per_replica[position], cycle_plain_s)
    return float(np.percentile(latencies(t, service, qps, burst), 99)), rho
