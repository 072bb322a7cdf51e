"""The development front in processes mode: the SPA plus a streaming reverse proxy to the services.

It plays nginx's part (deploy/nginx) for `rechat dev`: routes the /api prefixes of
`rechat_cli.routes`, passes bodies and answers through as they come (Server-Sent Events are never
buffered), and closes the upstream request when the browser goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rechat_cli.front import send_json
from rechat_cli.routes import service_for

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
FORWARDING = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-real-ip"}
)
"""What a client may claim about where it is: the proxy says it itself, the client's own go."""


def _client_without_cookie_jar(**options: Any) -> httpx.AsyncClient:
    """A client whose jar keeps nothing: the proxy serves every browser through one client, so
    a cookie it kept (a refresh token!) would be handed to the next browser that has none."""
    client = httpx.AsyncClient(**options)
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


TIMEOUT = httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0)
"""No read timeout: an answer may stream for many minutes (keep-alive comments every ~15 s)."""


class FrontProxy:
    """ASGI app: `/api/...` to the owning service's address, anything else to the SPA."""

    def __init__(self, upstreams: dict[str, str], spa: ASGIApp) -> None:
        self.upstreams = upstreams
        self.spa = spa
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        service = service_for(path)
        if service is not None:
            await self._proxy(self.upstreams[service], scope, receive, send)
        elif path.startswith(("/api/", "/internal/")) or path == "/api":
            await send_json(send, 404, "not_found", "No such API route")
        else:
            await self.spa(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
                self.client = _client_without_cookie_jar(timeout=TIMEOUT, limits=limits)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _proxy(self, upstream: str, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.client is not None, "the proxy's lifespan did not start"
        query = scope.get("query_string", b"")
        # as the browser sent it (still percent-encoded): routed by the decoded path, which
        # `PublicFront` checked has no dot segments, the service must see the same path
        path = scope.get("raw_path") or scope["path"].encode()
        url = upstream + path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
        request = self.client.build_request(
            scope["method"],
            url,
            headers=_request_headers(scope),
            content=_request_body(receive),
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError:
            await send_json(send, 502, "bad_gateway", "The service is not answering")
            return
        try:
            await _relay(response, receive, send)
        finally:
            await response.aclose()


def _request_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP | FORWARDING]
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", client[0].encode()))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    host = dict(scope["headers"]).get(b"host")
    if host:
        headers.append((b"x-forwarded-host", host))
    return headers


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        more = message.get("more_body", False)


async def _relay(response: httpx.Response, receive: Receive, send: Send) -> None:
    """Pass the answer on chunk by chunk; stop reading upstream when the client disconnects."""
    headers = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
    start: Message = {"type": "http.response.start", "status": response.status_code}
    start["headers"] = headers
    await send(start)

    async def forward() -> None:
        try:
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError:
            pass  # the service went away mid-answer: end ours too
        await send({"type": "http.response.body", "body": b""})

    async def client_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    forwarding = asyncio.create_task(forward())
    watching = asyncio.create_task(client_gone())
    try:
        await asyncio.wait({forwarding, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (forwarding, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
