"""The stream hub contract (DESIGN §4): append an answer's events, attach to them live with
replay from `Last-Event-ID`, and the stop signal from the gateway to the worker.

Two implementations: `RedisStreamHub` (Redis Streams log + pub/sub, one pub/sub connection per
process) and `MemoryStreamHub` (one process, embedded mode).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from rechat_shared.errors import ServiceUnavailable
from rechat_shared.events import StreamEvent, StreamEventName

DEFAULT_LOG_TTL_SECONDS = 3600
DEFAULT_LOG_MAXLEN = 10_000
DEFAULT_CANCEL_TTL_SECONDS = 600


class StreamUnavailable(ServiceUnavailable):
    """Redis is unreachable or refused a command: streams cannot be written or followed (503)."""

    code = "stream_unavailable"


class StreamGap(Exception):
    """An append at `seq` was refused because the log ends before `seq - 1` (Redis lost the
    tail, e.g. it restarted empty or from an older AOF): the writer must append the events
    after `have` first."""

    def __init__(self, have: int) -> None:
        super().__init__(f"the log ends at {have}")
        self.have = have


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """What is known about an answer's stream right now."""

    exists: bool
    """False when nothing was appended yet, or the replay log expired."""
    last: StreamEvent | None
    """The latest event in the log."""

    @property
    def finished(self) -> bool:
        return self.last is not None and self.last.is_terminal

    @property
    def last_seq(self) -> int:
        return self.last.seq if self.last is not None else 0


class StreamSubscription(Protocol):
    """The events of one answer after the attach point, in `seq` order, without gaps or
    duplicates, ending after the terminal event (`done`/`error`).

    `__anext__` is cancellation-safe: wrapping it in `asyncio.wait_for(anext(sub), 15)` to
    send keep-alives loses nothing, and the next call picks up where the last one stopped.
    """

    @property
    def last_seq(self) -> int:
        """The seq of the last event handed out (or the attach point)."""
        ...

    def __aiter__(self) -> AsyncIterator[StreamEvent]: ...

    async def __anext__(self) -> StreamEvent: ...


class CancelSignal(Protocol):
    """A stop request for one message, watched by the worker running it."""

    def is_set(self) -> bool: ...

    async def wait(self) -> bool:
        """Return (True) once the stop was requested (at once if it was requested before)."""
        ...


class StreamHub(Protocol):
    async def append(
        self,
        message_id: str,
        event: StreamEventName,
        data: dict[str, Any] | None = None,
        *,
        seq: int | None = None,
        first: int = 1,
    ) -> StreamEvent:
        """Add the event to the capped, expiring replay log and publish it live, in one round
        trip (atomically).

        `seq=None`: the event takes the number after the log's last one. With `seq` (the
        worker numbers its own events): idempotent, an event already in the log is not added
        again (a retry whose first attempt got through); raises `StreamGap` when the log ends
        before `seq - 1`, unless `seq` is `first` (the writer's first event, which may follow
        a log it did not write, or none)."""
        ...

    def attach(
        self, message_id: str, last_event_id: int | None = None, *, new: bool = False
    ) -> AbstractAsyncContextManager[StreamSubscription]:
        """Subscribe to the message's live events; on entry the subscription is active, so
        the caller may then publish the request without a race (subscribe before publish).
        Iterating replays the log after `last_event_id` (None = from the start), then
        forwards live events. Use as `async with hub.attach(id, last) as events:`.

        `new`: nobody can have written to this stream yet (its request is not published), so
        the first log read is skipped; should events exist after all, the first live event
        shows a gap and the log is read then.
        """
        ...

    async def status(self, message_id: str) -> StreamStatus:
        """Is the message still streaming, finished, or unknown/expired?"""
        ...

    async def request_cancel(self, message_id: str) -> None:
        """Ask the worker running (or about to run) this message to stop it."""
        ...

    async def cancelled(self, message_id: str) -> bool:
        """Whether a stop was requested for this message (within the signal's lifetime)."""
        ...

    def watch_cancel(self, message_id: str) -> AbstractAsyncContextManager[CancelSignal]:
        """For the worker: a signal set when a stop is requested for this message, including
        one requested before the watch began (set soon after entry in that case: the watch
        may arm in the background). `async with hub.watch_cancel(id) as stop:`."""
        ...

    async def close(self) -> None:
        """Drop subscriptions and connections; open subscriptions end."""
        ...
