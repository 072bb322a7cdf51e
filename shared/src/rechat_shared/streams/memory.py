"""In-process stream hub for embedded mode: the same sequencing, capped expiring replay log,
live fan-out and stop signals as the Redis hub, inside one process."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from rechat_shared.events import StreamEvent, StreamEventName
from rechat_shared.streams.base import (
    DEFAULT_CANCEL_TTL_SECONDS,
    DEFAULT_LOG_MAXLEN,
    DEFAULT_LOG_TTL_SECONDS,
    StreamGap,
    StreamStatus,
)
from rechat_shared.streams.cancel import CancelWatch
from rechat_shared.streams.subscription import LogSubscription

_SWEEP_EVERY = 256


@dataclass(slots=True)
class _Stream:
    log: deque[StreamEvent]
    expires_at: float
    seq: int = 0
    subscribers: set[LogSubscription] = field(default_factory=set)


class MemoryState:
    """Streams and stop signals of one `memory://` URL and prefix, shared by its hubs."""

    def __init__(self) -> None:
        self.streams: dict[str, _Stream] = {}
        self.cancels: dict[str, float] = {}
        self.cancel_waiters: dict[str, set[CancelWatch]] = {}
        self._created = itertools.count()

    def stream(self, message_id: str, *, create: bool, maxlen: int) -> _Stream | None:
        now = time.monotonic()
        stream = self.streams.get(message_id)
        if stream is not None and stream.expires_at <= now and not stream.subscribers:
            del self.streams[message_id]
            stream = None
        if stream is None and create:
            if next(self._created) % _SWEEP_EVERY == 0:
                self._sweep(now)
            stream = self.streams[message_id] = _Stream(deque(maxlen=maxlen), now)
        return stream

    def _sweep(self, now: float) -> None:
        for key in [
            k for k, s in self.streams.items() if s.expires_at <= now and not s.subscribers
        ]:
            del self.streams[key]
        for key in [k for k, deadline in self.cancels.items() if deadline <= now]:
            del self.cancels[key]


_states: dict[str, MemoryState] = {}


class MemoryStreamHub:
    """`StreamHub` inside one process; hubs on the same URL and prefix share their streams."""

    def __init__(
        self,
        url: str = "memory://",
        prefix: str = "",
        *,
        log_ttl: int = DEFAULT_LOG_TTL_SECONDS,
        log_maxlen: int = DEFAULT_LOG_MAXLEN,
        cancel_ttl: int = DEFAULT_CANCEL_TTL_SECONDS,
    ) -> None:
        self.state = _states.setdefault(f"{url}|{prefix}", MemoryState())
        self.log_ttl = log_ttl
        self.log_maxlen = log_maxlen
        self.cancel_ttl = cancel_ttl
        self._open: set[LogSubscription] = set()

    async def append(
        self,
        message_id: str,
        event: StreamEventName,
        data: dict[str, Any] | None = None,
        *,
        seq: int | None = None,
        first: int = 1,
    ) -> StreamEvent:
        stream = self.state.stream(message_id, create=True, maxlen=self.log_maxlen)
        assert stream is not None
        if seq is None:
            seq = stream.seq + 1
        elif seq <= stream.seq:
            return StreamEvent(seq=seq, event=event, data=data or {})  # in the log already
        elif seq > stream.seq + 1 and seq != first:
            raise StreamGap(stream.seq)
        stream.seq = seq
        stream_event = StreamEvent(seq=stream.seq, event=event, data=data or {})
        stream.log.append(stream_event)
        stream.expires_at = time.monotonic() + self.log_ttl
        for subscription in stream.subscribers:
            subscription.live.put_nowait(stream_event)
        return stream_event

    async def _read_log(self, message_id: str, after: int) -> list[StreamEvent]:
        stream = self.state.stream(message_id, create=False, maxlen=self.log_maxlen)
        if stream is None:
            return []
        return [event for event in stream.log if event.seq > after]

    @asynccontextmanager
    async def attach(
        self, message_id: str, last_event_id: int | None = None, *, new: bool = False
    ) -> AsyncIterator[LogSubscription]:
        async def read_log(after: int) -> list[StreamEvent]:
            return await self._read_log(message_id, after)

        async def read_last() -> StreamEvent | None:
            return (await self.status(message_id)).last

        subscription = LogSubscription(read_log, read_last, last_event_id, replay=not new)
        stream = self.state.stream(message_id, create=True, maxlen=self.log_maxlen)
        assert stream is not None
        stream.subscribers.add(subscription)
        self._open.add(subscription)
        try:
            yield subscription
        finally:
            stream.subscribers.discard(subscription)
            self._open.discard(subscription)

    async def status(self, message_id: str) -> StreamStatus:
        stream = self.state.stream(message_id, create=False, maxlen=self.log_maxlen)
        if stream is None or not stream.log:
            return StreamStatus(exists=False, last=None)
        return StreamStatus(exists=True, last=stream.log[-1])

    async def request_cancel(self, message_id: str) -> None:
        self.state.cancels[message_id] = time.monotonic() + self.cancel_ttl
        for waiter in self.state.cancel_waiters.get(message_id, ()):
            waiter.set()

    async def cancelled(self, message_id: str) -> bool:
        deadline = self.state.cancels.get(message_id)
        return deadline is not None and deadline > time.monotonic()

    @asynccontextmanager
    async def watch_cancel(self, message_id: str) -> AsyncIterator[CancelWatch]:
        signal = CancelWatch()
        waiters = self.state.cancel_waiters.setdefault(message_id, set())
        waiters.add(signal)
        if await self.cancelled(message_id):
            signal.set()
        try:
            yield signal
        finally:
            waiters.discard(signal)
            if not waiters:
                self.state.cancel_waiters.pop(message_id, None)

    async def close(self) -> None:
        for subscription in list(self._open):
            subscription.close()
