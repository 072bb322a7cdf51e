"""The answer's stream as a `text/event-stream` response: keep-alives, no buffering, and the
subscription released however the connection ends (closing it never stops the generation).

The response is a lean ASGI one rather than Starlette's `StreamingResponse` (an anyio task group
per stream, an empty chunk after the last event): the last event goes out with the end of the
body in one write, and one idle task per stream watches for the client leaving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncGenerator, Iterable
from contextlib import AsyncExitStack

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from rechat_shared.events import StreamEvent
from rechat_shared.streams import StreamSubscription

logger = logging.getLogger(__name__)

KEEP_ALIVE = b": keep-alive\n\n"
_END = object()
SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
    "Connection": "keep-alive",
}


class KeepAliveTicker:
    """One timer for the whole process: every `interval` seconds each open stream gets a
    keep-alive marker, so no stream pays for a timer per event."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._queues: weakref.WeakSet[asyncio.Queue[object]] = weakref.WeakSet()
        self._task: asyncio.Task[None] | None = None

    def register(self, queue: asyncio.Queue[object]) -> None:
        self._queues.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._tick(), name="sse-keepalive")

    def unregister(self, queue: asyncio.Queue[object]) -> None:
        self._queues.discard(queue)

    async def _tick(self) -> None:
        while self._queues:
            await asyncio.sleep(self.interval)
            for queue in list(self._queues):
                queue.put_nowait(KEEP_ALIVE)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _pump(subscription: StreamSubscription, queue: asyncio.Queue[object]) -> None:
    try:
        async for event in subscription:
            queue.put_nowait(event)
            if event.is_terminal:
                return
    except Exception:
        # the connection ends without a terminal event: the client resumes from its last id
        logger.exception("an answer's stream broke off")
        raise
    finally:
        queue.put_nowait(_END)


def _drain(item: object, queue: asyncio.Queue[object]) -> tuple[bytes, bool]:
    """`item` and whatever else is queued already, framed as one chunk (one write through the
    middleware stack and the socket for a burst of events); True when the stream ended."""
    parts: list[bytes] = []
    while True:
        if item is _END:
            return b"".join(parts), True
        if item is KEEP_ALIVE:
            parts.append(KEEP_ALIVE)
        else:
            assert isinstance(item, StreamEvent)
            parts.append(item.to_sse())
            if item.is_terminal:
                return b"".join(parts), True
        if queue.empty():
            return b"".join(parts), False
        item = queue.get_nowait()


Chunks = AsyncGenerator[tuple[bytes, bool], None]
"""What an event stream sends: (bytes, whether they end the stream)."""


async def sse_body(
    first: Iterable[StreamEvent],
    subscription: StreamSubscription | None,
    ticker: KeepAliveTicker,
) -> Chunks:
    """`first` events, then the subscription's until the terminal one, with keep-alives."""
    for event in first:
        yield event.to_sse(), event.is_terminal
        if event.is_terminal:
            return
    if subscription is None:
        yield b"", True
        return
    queue: asyncio.Queue[object] = asyncio.Queue()
    pump = asyncio.create_task(_pump(subscription, queue))
    ticker.register(queue)
    try:
        while True:
            chunk, ended = _drain(await queue.get(), queue)
            if chunk or ended:
                yield chunk, ended
            if ended:
                return
    finally:
        ticker.unregister(queue)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


class EventStreamResponse(Response):
    """Sends `body` as SSE and closes `resources` (the hub subscription) at the end, also when
    the client went away before or during the stream."""

    media_type = "text/event-stream"

    def __init__(self, body: Chunks, resources: AsyncExitStack) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers(SSE_HEADERS)
        self._body = body
        self._resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._stream(receive, send)
        finally:
            await self._body.aclose()
            await self._resources.aclose()

    async def _stream(self, receive: Receive, send: Send) -> None:
        streaming = asyncio.current_task()
        assert streaming is not None
        watcher = asyncio.create_task(_cancel_on_disconnect(receive, streaming))
        try:
            async for chunk, ended in self._body:
                await send({"type": "http.response.body", "body": chunk, "more_body": not ended})
                if ended:
                    return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not watcher.done() or watcher.cancelled():
                raise
            streaming.uncancel()  # the client left: nobody to answer (the generation goes on)
        finally:
            watcher.cancel()


async def _cancel_on_disconnect(receive: Receive, streaming: asyncio.Task[object]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    streaming.cancel()
