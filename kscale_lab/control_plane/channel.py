"""A stream of items from one producer to one consumer: the shape of every watch.

A watch — etcd's, the apiserver's, the one a reflector reads — is a Go channel: the producer
sends events into it, the consumer receives them one at a time, and closing it ends the stream
(a receive on a closed, drained channel returns the zero value at once). :class:`Channel` is
that channel for SimPy, unbuffered in the sense that matters here: it never blocks or drops
the producer (the apiserver's per-watcher buffer limit is not modelled).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy


class Channel:
    """An unbounded FIFO a SimPy process can wait on; ``None`` marks the end of the stream.

    Without a SimPy environment the items simply queue up, to be taken with :meth:`drain`.

    >>> env = simpy.Environment()
    >>> ch = Channel(env)
    >>> def consumer(env, ch, seen):
    ...     while (item := (yield ch.get())) is not None:
    ...         seen.append((env.now, item))
    >>> seen = []
    >>> _ = env.process(consumer(env, ch, seen))
    >>> def producer(env, ch):
    ...     yield env.timeout(1); ch.put("a")
    ...     yield env.timeout(1); ch.put("b"); ch.close()
    >>> _ = env.process(producer(env, ch))
    >>> env.run()
    >>> seen
    [(1, 'a'), (2, 'b')]
    """

    def __init__(self, env: simpy.Environment | None = None) -> None:
        self.env = env
        self.items: deque[Any] = deque()
        """Items sent but not yet received."""
        self.closed = False
        """True once the producer closed the stream (items may remain to be received)."""
        self.sent = 0
        """Items ever sent into the channel."""
        self._getter: simpy.Event | None = None
        self._on_close: list[Callable[[], None]] = []

    def put(self, item: Any) -> bool:
        """Send ``item``; returns False (and drops it) if the channel is closed."""
        if self.closed:
            return False
        self.sent += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            getter.succeed(item)
        else:
            self.items.append(item)
        return True

    def get(self) -> simpy.Event:
        """An event that fires with the next item, or with ``None`` once closed and drained."""
        if self.env is None:
            raise RuntimeError("Channel.get needs a SimPy environment; use drain() without one")
        if self._getter is not None:
            raise RuntimeError("a Channel has one consumer: a get() is already waiting")
        event = self.env.event()
        if self.items:
            event.succeed(self.items.popleft())
        elif self.closed:
            event.succeed(None)
        else:
            self._getter = event
        return event

    def drain(self) -> list[Any]:
        """Take every item waiting in the channel now."""
        out = list(self.items)
        self.items.clear()
        return out

    def close(self) -> None:
        """End the stream: a waiting consumer receives ``None``; close callbacks run once."""
        if self.closed:
            return
        self.closed = True
        getter = self._getter
        if getter is not None:
            self._getter = None
            getter.succeed(None)
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the channel is closed (at once if it already is)."""
        if self.closed:
            callback()
        else:
            self._on_close.append(callback)

    def __len__(self) -> int:
        return len(self.items)
