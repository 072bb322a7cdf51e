"""One streaming generation: status check, SSE decoding, terminal rules, deadline and watchdog.

Terminal rules (DIFY_API.md §2.6): ``message_end`` ends chat, agent and completion streams;
``workflow_finished`` ends workflow streams; ``error`` ends any stream. A chatflow sends both
``workflow_finished`` and ``message_end`` in either order: the first one completes the answer, the
second is awaited for ``terminal_grace`` seconds at most. EOF before any terminal event is a
failure (``DifyStreamIncompleteError``). Reading stops right after the terminal event(s); what
is left of the body is drained in the background so the connection can be reused.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx

from rechat_shared.dify.alarm import Expired, ReadAlarm
from rechat_shared.dify.apps import DifyTimeouts
from rechat_shared.dify.errors import (
    DifyDeadlineError,
    DifyError,
    DifyProtocolError,
    DifyStallError,
    DifyStreamError,
    DifyStreamIncompleteError,
    DifyTimeoutError,
    DifyTransportError,
    error_from_response,
)
from rechat_shared.dify.events import (
    DifyEvent,
    ErrorEvent,
    MessageEndEvent,
    PingEvent,
    WorkflowFinishedEvent,
    WorkflowStartedEvent,
    parse_event,
)
from rechat_shared.dify.sse import SSEDecoder

OpenResponse = Callable[[], Awaitable[httpx.Response]]
Chunks = AsyncIterator[bytes]


class DifyStream:
    """Async iterator of typed events of one generation; also an async context manager.

    ``async for event in stream`` yields every event but pings (unless ``include_pings``).
    An in-band ``error`` raises ``DifyStreamError`` (or is yielded when ``raise_on_error`` is
    false). ``task_id``, ``conversation_id``, ``message_id`` and ``workflow_run_id`` are filled
    in as soon as an event carries them (``task_id`` is what the stop endpoints take).
    """

    def __init__(
        self,
        open_response: OpenResponse,
        timeouts: DifyTimeouts,
        *,
        raise_on_error: bool = True,
        include_pings: bool = False,
    ) -> None:
        self._open = open_response
        self._timeouts = timeouts
        self._raise_on_error = raise_on_error
        self._include_pings = include_pings
        self._response: httpx.Response | None = None
        self._iterator: AsyncIterator[DifyEvent] | None = None
        self._alarm: ReadAlarm | None = None
        self._close_at = math.inf
        self._finished = False
        self.task_id: str | None = None
        self.conversation_id: str | None = None
        self.message_id: str | None = None
        self.workflow_run_id: str | None = None
        self.terminal: DifyEvent | None = None
        self.completed = False

    def __aiter__(self) -> AsyncIterator[DifyEvent]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def __aenter__(self) -> DifyStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection (safe to call more than once)."""
        if self._iterator is not None and hasattr(self._iterator, "aclose"):
            await self._iterator.aclose()
        if self._response is not None:
            await self._response.aclose()

    def close_at(self, when: float) -> None:
        """Stop reading at loop time ``when`` at the latest: iteration then ends without a
        terminal event (``completed`` stays false). Used to give a stopped generation a grace."""
        self._close_at = min(self._close_at, when)
        if self._alarm is not None:
            self._alarm.end_at(when, "close")

    async def _events(self) -> AsyncIterator[DifyEvent]:
        loop = asyncio.get_running_loop()
        self._alarm = alarm = ReadAlarm(loop.time() + self._timeouts.deadline, self._timeouts.stall)
        alarm.end_at(self._close_at, "close")
        try:
            try:
                alarm.check()
                self._response = response = await alarm.wait(self._open())
                await alarm.wait(_check_stream_response(response))
            except Expired as expired:
                if expired.limit == "close":
                    return
                raise DifyDeadlineError("no answer before the generation deadline") from None
            chunks = _body(response)
            try:
                async for event in self._read(chunks, alarm):
                    yield event
            finally:
                if self._finished:
                    self._response = None  # the drain owns it now
                    _drain_soon(chunks, response)
                else:
                    await response.aclose()
        finally:
            alarm.cancel()

    async def _read(self, chunks: Chunks, alarm: ReadAlarm) -> AsyncIterator[DifyEvent]:
        """Read chunk by chunk (the limits are checked per read, not per event: a fast server
        puts many events in one chunk) and yield their events."""
        decoder = SSEDecoder()
        state = _TerminalState()
        alarm.start_stall_watch()
        while not state.over:
            try:
                alarm.check()
                chunk = await alarm.wait(anext(chunks))
            except StopAsyncIteration:
                break
            except Expired as expired:
                if expired.limit in ("grace", "close") or state.done_once:
                    return
                if expired.limit == "deadline":
                    raise DifyDeadlineError(
                        f"generation exceeded its {self._timeouts.deadline:g} s deadline"
                    ) from None
                raise DifyStallError(f"no event but pings for {self._timeouts.stall:g} s") from None
            except httpx.TimeoutException as exc:
                raise DifyTimeoutError(f"read timed out: {type(exc).__name__}") from None
            except httpx.TransportError as exc:
                if state.done_once:
                    return
                raise DifyStreamIncompleteError(
                    f"connection lost before a terminal event: {type(exc).__name__}"
                ) from None
            for event in self._decode(decoder.feed(chunk), state, alarm):
                yield event
        if not state.done_once:
            raise DifyStreamIncompleteError("stream ended without a terminal event")

    def _decode(
        self, frames: Iterator[tuple[str | None, bytes]], state: _TerminalState, alarm: ReadAlarm
    ) -> Iterator[DifyEvent]:
        """The events of one chunk; ``state.over`` once nothing more should be read."""
        for name, data in frames:
            event = parse_event(data, name)
            if isinstance(event, PingEvent):
                if self._include_pings:
                    yield event
                continue
            self._remember(event)
            if isinstance(event, ErrorEvent):
                self.terminal, self.completed = event, False
                state.over = True
                if self._raise_on_error:
                    raise DifyStreamError(event.code, event.status, event.message)
                yield event
                return
            finished = state.observe(event)
            if state.done_once and self.terminal is None:
                self.terminal = event
                self.completed = True
                # a chatflow's second terminal event gets a grace period at most
                alarm.end_after(self._timeouts.terminal_grace, "grace")
            yield event
            if finished:
                state.over = self._finished = True
                return
            alarm.progressed()

    def _remember(self, event: DifyEvent) -> None:
        fields: dict[str, Any] = event.__dict__
        self.task_id = self.task_id or fields.get("task_id")
        self.conversation_id = self.conversation_id or fields.get("conversation_id")
        self.message_id = self.message_id or fields.get("message_id")
        self.workflow_run_id = self.workflow_run_id or fields.get("workflow_run_id")


class _TerminalState:
    """Tracks which terminal events arrived; decides when the stream is over."""

    def __init__(self) -> None:
        self.workflow_started = False
        self.workflow_finished = False
        self.message_end = False
        self.chat_family = False
        self.over = False

    @property
    def done_once(self) -> bool:
        return self.workflow_finished or self.message_end

    def observe(self, event: DifyEvent) -> bool:
        """Record ``event``; True when nothing more should be read (False while the second
        terminal event of a chatflow may still come)."""
        if event.__dict__.get("message_id"):
            self.chat_family = True
        if isinstance(event, WorkflowStartedEvent):
            self.workflow_started = True
        elif isinstance(event, MessageEndEvent):
            self.message_end = True
            return not (self.workflow_started and not self.workflow_finished)
        elif isinstance(event, WorkflowFinishedEvent):
            self.workflow_finished = True
            return not (self.chat_family and not self.message_end)
        return False


_DRAIN_SECONDS = 1.0
_draining: set[asyncio.Task[None]] = set()
"""Drains under way (the event loop keeps only weak references to tasks)."""


def _body(response: httpx.Response) -> Chunks:
    """The body as it arrives: raw unless compressed or already read (one layer and a decoder
    less per chunk)."""
    identity = response.headers.get("content-encoding", "identity") == "identity"
    if identity and not response.is_stream_consumed:
        return response.aiter_raw()
    return response.aiter_bytes()


def _drain_soon(chunks: Chunks, response: httpx.Response) -> None:
    task = asyncio.get_running_loop().create_task(_drain(chunks, response))
    _draining.add(task)
    task.add_done_callback(_draining.discard)


async def _drain(chunks: Chunks, response: httpx.Response) -> None:
    """Read the rest of a finished stream (usually only the end of the chunked body), so its
    connection goes back to the pool: closing it unread would cost the next generation a new
    connection, and with TLS a handshake. A rest that takes longer is cut off."""
    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for _ in chunks:
                pass
    except (TimeoutError, httpx.HTTPError):
        pass
    finally:
        await response.aclose()


async def _check_stream_response(response: httpx.Response) -> None:
    """A 4xx/5xx (JSON or HTML) or a non-SSE body before the stream is a typed error."""
    try:
        if response.status_code >= 400:
            body = await response.aread()
            raise error_from_response(response, body)
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            await response.aread()
            raise DifyProtocolError(f"expected an event stream, got {content_type or 'nothing'}")
    except DifyError:
        await response.aclose()
        raise
    except httpx.HTTPError as exc:
        await response.aclose()
        raise DifyTransportError(f"reading the error body failed: {type(exc).__name__}") from None
