"""Chapter 8, part 2 — API Priority and Fairness: does the heartbeat survive a flood?

* :mod:`~kscale_lab.priority.queueing` — Erlang's formulas, fair shares, Lease renewal
  latency and runs of refusals, in closed form;
* :mod:`~kscale_lab.priority.model` — :class:`PriorityModel` (``kscale run priority``):
  the max-inflight pools vs APF's priority levels at cluster scale;
* :mod:`~kscale_lab.priority.simulate` — the same clients event by event (SimPy) through the
  shared control plane: :class:`~kscale_lab.control_plane.ApiServer` and its pools, or
  :class:`~kscale_lab.control_plane.flowcontrol.ApfServer`.

The mechanism itself lives in the control plane: :mod:`kscale_lab.control_plane.flowcontrol`.
"""

from kscale_lab.priority.model import (
    EVENT_BYTES,
    LEASE_RENEW_S,
    NOISY_CLIENTS,
    Level,
    PriorityDimensions,
    PriorityModel,
    PriorityOutcome,
    api_load,
    level_of,
    levels,
)
from kscale_lab.priority.queueing import (
    erlang_b,
    erlang_c,
    max_min_fair,
    renewal_latency_quantile,
    run_probability,
    wait_tail,
)

__all__ = ["EVENT_BYTES", "LEASE_RENEW_S", "NOISY_CLIENTS", "Level", "PriorityDimensions",
           "PriorityModel", "PriorityOutcome", "api_load", "erlang_b", "erlang_c", "level_of",
           "levels", "max_min_fair", "renewal_latency_quantile", "run_probability",
           "wait_tail"]
