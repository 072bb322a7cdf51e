"""The SSE answer of a streaming generation: a lean ASGI response, straight to the server.

Starlette's ``StreamingResponse`` runs each stream in an anyio task group and every frame passes
four ``send`` wrappers (two exception layers, the error middleware, ``DifyHeaders``) before the
server's own: five coroutine calls per token of a paced stream. Here the start message takes the
normal path (so the middlewares see the answer start and add their headers), the body frames go
straight to the server's ``send``, and one idle task per stream waits for the client to leave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from rechat_dify_emulator.generation import Generation

SERVER_SEND = "rechat.server_send"
"""Scope key where ``DifyHeaders`` leaves the server's own ``send`` for the body frames."""

MEDIA_TYPE = "text/event-stream; charset=utf-8"


class GenerationStream(Response):
    """Streams ``generation.stream()``; ``release`` runs once the stream ends, however it ends."""

    def __init__(self, generation: Generation, release: Callable[[], None]) -> None:
        self.generation = generation
        self.release = release
        self.status_code = 200
        self.media_type = MEDIA_TYPE
        self.background = None
        self.init_headers(None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._stream(scope.get(SERVER_SEND, send), receive)
        finally:
            self.release()

    async def _stream(self, send: Send, receive: Receive) -> None:
        """Send every frame; when the client leaves, the generation is cancelled and ends."""
        streaming = asyncio.current_task()
        assert streaming is not None
        watcher = asyncio.create_task(_cancel_on_disconnect(receive, streaming))

        async def send_frame(frame: bytes) -> None:
            await send({"type": "http.response.body", "body": frame, "more_body": True})

        try:
            await self.generation.stream(send_frame)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not watcher.done() or watcher.cancelled():
                raise
            streaming.uncancel()  # the client left: nothing to answer to
        finally:
            watcher.cancel()


async def _cancel_on_disconnect(receive: Receive, streaming: asyncio.Task[object]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    streaming.cancel()
