"""The answer's stream as a `text/event-stream` response: keep-alives, no buffering, and the
subscription released however the connection ends (closing it never stops the generation)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from rechat_shared.events import StreamEvent
from rechat_shared.streams import StreamSubscription

KEEP_ALIVE = b": keep-alive\n\n"
SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
    "Connection": "keep-alive",
}


async def sse_body(
    first: Iterable[StreamEvent],
    subscription: StreamSubscription | None,
    keepalive_seconds: float,
) -> AsyncIterator[bytes]:
    """`first` events, then the subscription's until the terminal one, with keep-alives."""
    for event in first:
        yield event.to_sse()
        if event.is_terminal:
            return
    if subscription is None:
        return
    while True:
        try:
            event = await asyncio.wait_for(anext(subscription), keepalive_seconds)
        except TimeoutError:
            yield KEEP_ALIVE
            continue
        except StopAsyncIteration:
            return
        yield event.to_sse()
        if event.is_terminal:
            return


class EventStreamResponse(StreamingResponse):
    """A streaming SSE response that closes `resources` (the hub subscription) at the end,
    also when the client went away before or during the stream."""

    media_type = "text/event-stream"

    def __init__(self, body: AsyncIterator[bytes], resources: AsyncExitStack) -> None:
        super().__init__(body, headers=SSE_HEADERS, media_type="text/event-stream")
        self._resources = resources
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self._body, "aclose", None)
            if aclose is not None:
                await aclose()
            await self._resources.aclose()
