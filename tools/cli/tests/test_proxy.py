"""The development front proxy passes answers through as they come and lets go of the service
when the browser leaves — over real sockets, as in `rechat dev`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from rechat_cli.dev import _Server
from rechat_cli.proxy import FrontProxy
from rechat_cli.routes import AUTH, GATEWAY, HISTORY
from rechat_cli.spa import SpaFiles
from rechat_shared.testing.processes import free_port

upstream_closed = asyncio.Event()


async def tokens(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("count", "5"))

    async def events() -> AsyncIterator[bytes]:
        try:
            for index in range(count):
                yield f"event: delta\ndata: {index}\n\n".encode()
                await asyncio.sleep(0.1)
        finally:
            upstream_closed.set()

    return StreamingResponse(events(), media_type="text/event-stream")


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "forwarded_for": request.headers.get("x-forwarded-for"),
        }
    )


async def login(request: Request) -> JSONResponse:
    response = JSONResponse({"cookie_sent": request.headers.get("cookie")})
    response.set_cookie("rechat_refresh", "secret-of-the-first-browser", path="/api/auth")
    return response


UPSTREAM = Starlette(
    routes=[
        Route("/api/chat/stream", tokens),
        Route("/api/auth/echo", echo, methods=["POST"]),
        Route("/api/auth/login", login, methods=["POST"]),
    ]
)


async def serve(app: object, port: int) -> tuple[_Server, asyncio.Task[None]]:
    config = uvicorn.Config(app, port=port, log_config=None, lifespan="auto")  # type: ignore[arg-type]
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[str]:
    upstream_port, front_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}"
    proxy = FrontProxy({AUTH: upstream, GATEWAY: upstream, HISTORY: upstream}, SpaFiles(tmp_path))
    servers = [await serve(UPSTREAM, upstream_port), await serve(proxy, front_port)]
    yield f"http://127.0.0.1:{front_port}"
    for server, task in reversed(servers):
        server.should_exit = True
        await task


async def test_stream_passes_through_chunk_by_chunk(front: str) -> None:
    arrivals: list[float] = []
    async with (
        httpx.AsyncClient() as client,
        client.stream("GET", front + "/api/chat/stream?count=5") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        async for _ in response.aiter_raw():
            arrivals.append(time.monotonic())
    assert len(arrivals) == 5
    assert arrivals[-1] - arrivals[0] >= 0.3


async def test_leaving_browser_closes_the_upstream_answer(front: str) -> None:
    upstream_closed.clear()
    async with (
        httpx.AsyncClient() as client,
        client.stream("GET", front + "/api/chat/stream?count=1000") as response,
    ):
        async for _ in response.aiter_raw():
            break  # the browser tab closes after the first token
    async with asyncio.timeout(5):
        await upstream_closed.wait()


async def test_bodies_queries_and_client_address_are_forwarded(front: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(front + "/api/auth/echo?x=1", content=b"hello")
        unknown = await client.get(front + "/api/nowhere")
    assert answer.json() == {
        "path": "/api/auth/echo",
        "query": "x=1",
        "body": "hello",
        "forwarded_for": "127.0.0.1",
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"


async def test_one_browsers_cookies_never_reach_another(front: str) -> None:
    async with httpx.AsyncClient() as first, httpx.AsyncClient() as second:
        signed_in = await first.post(front + "/api/auth/login")
        assert signed_in.cookies["rechat_refresh"] == "secret-of-the-first-browser"
        stranger = await second.post(front + "/api/auth/login")
    assert stranger.json() == {"cookie_sent": None}
