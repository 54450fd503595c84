"""One client's HTTP/2 connection to the apiserver, and the stream limit that can stall it.

All of a kubelet's API requests — its watches, GETs, NodeStatus and Lease updates — share one
HTTP/2 connection (kubernetes #74302, #74412). Each request is a *stream*; the server caps
the concurrent streams per connection: Go's HTTP/2 server default is 250 (the talk's era),
and kube-apiserver has used 100 since late 2023 (PR #121120,
``--http2-max-streams-per-connection``). A watch holds its stream for its whole life.

What the Go client does when every stream is busy depends on its version (golang/go#27044):

* Go ≤ 1.9 — opens another TCP connection;
* **Go 1.10–1.11 — blocks every new request on that connection until a stream frees**;
* Go ≥ 1.12 — opens another connection again (``StrictMaxConcurrentStreams`` false).

So a kubelet built with Go 1.10–1.11 that watches more objects than the limit (one watch per
referenced secret or configmap) has no stream left for its heartbeat: its Lease and NodeStatus
updates wait until some watch ends. That is chapter 3's trap.

When several requests wait, Go wakes them all and one wins; here they are served first come,
first served.
"""

from __future__ import annotations

import math
from collections import deque
from enum import Enum

import simpy

#: Go's HTTP/2 server default ``MaxConcurrentStreams`` (x/net ``http2/server.go``).
GO_MAX_CONCURRENT_STREAMS = 250
#: kube-apiserver's own default since late 2023 (kubernetes PR #121120).
APISERVER_MAX_CONCURRENT_STREAMS = 100


class GoClient(Enum):
    """The Go HTTP/2 client's behaviour when every stream of its connection is busy."""

    GO_1_9 = "Go <= 1.9"
    GO_1_10_11 = "Go 1.10-1.11"
    GO_1_12 = "Go >= 1.12"

    @property
    def blocks_when_full(self) -> bool:
        """True if new requests wait for a stream instead of opening a TCP connection."""
        return self is GoClient.GO_1_10_11


class Http2Connection:
    """A client's HTTP/2 connection(s) to the apiserver, streams capped per connection.

    A request takes a stream with :meth:`open_stream` (an event that fires with the stream
    once it is granted) and gives it back with :meth:`close_stream`.

    Parameters
    ----------
    env : simpy.Environment
    max_concurrent_streams : int
        The server's limit per TCP connection: 250 (Go's default, the talk's era); 100 for
        kube-apiserver since late 2023.
    client : GoClient
        The client's Go version behaviour; ``GO_1_12`` (today's) by default.

    >>> env = simpy.Environment()
    >>> conn = Http2Connection(env, max_concurrent_streams=2, client=GoClient.GO_1_10_11)
    >>> watches = [conn.open_stream(), conn.open_stream()]   # two long-running watches
    >>> lease_update = conn.open_stream()
    >>> env.run(until=60); lease_update.triggered, conn.waiting_requests
    (False, 1)
    >>> conn.close_stream(watches[0].value)                   # a watch ends
    >>> env.run(until=61); lease_update.triggered
    True
    >>> conn12 = Http2Connection(env, max_concurrent_streams=2, client=GoClient.GO_1_12)
    >>> _ = [conn12.open_stream() for _ in range(3)]; conn12.tcp_connections
    2
    """

    def __init__(self, env: simpy.Environment, *,
                 max_concurrent_streams: int = GO_MAX_CONCURRENT_STREAMS,
                 client: GoClient = GoClient.GO_1_12, name: str = "") -> None:
        if not (isinstance(max_concurrent_streams, int) and max_concurrent_streams >= 1):
            raise ValueError(f"max_concurrent_streams must be an integer >= 1; "
                             f"got {max_concurrent_streams!r}")
        if not isinstance(client, GoClient):
            raise ValueError(f"client must be a GoClient ({', '.join(c.name for c in GoClient)}); "
                             f"got {client!r}")
        self.env = env
        self.max_concurrent_streams = max_concurrent_streams
        self.client = client
        self.name = name
        self._streams: list[int] = [0]            # streams in use on each TCP connection
        self._waiting: deque[tuple[simpy.Event, float]] = deque()   # (request, since)
        self.requests = 0
        """Streams asked for."""
        self.blocked_requests = 0
        """Requests that had to wait for a stream."""
        self.blocked_s = 0.0
        """Total time requests spent waiting for a stream."""
        self.peak_streams = 0

    @property
    def streams_in_use(self) -> int:
        return sum(self._streams)

    @property
    def tcp_connections(self) -> int:
        return len(self._streams)

    @property
    def waiting_requests(self) -> int:
        return len(self._waiting)

    def open_stream(self) -> simpy.Event:
        """An event that fires with a stream (its TCP connection's index) once one is free."""
        self.requests += 1
        event = self.env.event()
        limit = self.max_concurrent_streams
        for i, used in enumerate(self._streams):
            if used < limit:
                self._grant(event, i)
                return event
        if self.client.blocks_when_full:
            self.blocked_requests += 1
            self._waiting.append((event, self.env.now))
        else:
            self._streams.append(0)
            self._grant(event, len(self._streams) - 1)
        return event

    def _grant(self, event: simpy.Event, i: int) -> None:
        self._streams[i] += 1
        self.peak_streams = max(self.peak_streams, self.streams_in_use)
        event.succeed(i)

    def close_stream(self, stream: int) -> None:
        """The request on ``stream`` has finished (a watch ended): the stream is free."""
        if not 0 <= stream < len(self._streams) or self._streams[stream] == 0:
            raise ValueError(f"stream must be an open stream's connection index; got {stream}")
        if self._waiting and stream == 0:
            waiter, since_s = self._waiting.popleft()   # hand the stream over at once
            self.blocked_s += self.env.now - since_s
            waiter.succeed(stream)
        else:
            self._streams[stream] -= 1


    def abandon(self, request: simpy.Event) -> None:
        """The client gave up on ``request`` (an :meth:`open_stream` event): stop waiting, or
        give back the stream if it was already granted."""
        for i, (waiting, _since) in enumerate(self._waiting):
            if waiting is request:
                del self._waiting[i]
                return
        if request.triggered:
            self.close_stream(request.value)


def tcp_connections_needed(streams: float, max_concurrent_streams: int = GO_MAX_CONCURRENT_STREAMS,
                           client: GoClient = GoClient.GO_1_12) -> int:
    """TCP connections a client holds for ``streams`` concurrent requests (closed form)."""
    if streams < 0:
        raise ValueError(f"streams must be >= 0; got {streams}")
    if client.blocks_when_full:
        return 1
    return max(1, math.ceil(streams / max_concurrent_streams))


def blocks(long_running_streams: float,
           max_concurrent_streams: int = GO_MAX_CONCURRENT_STREAMS,
           client: GoClient = GoClient.GO_1_12) -> bool:
    """Whether every other request of the client must wait for a watch to end (closed form).

    True when the client blocks on a full connection (Go 1.10–1.11) and its long-running
    requests (watches) fill every stream.
    """
    return client.blocks_when_full and long_running_streams >= max_concurrent_streams
