"""The public port of `rechat dev` in both modes, as a stranger on the network meets it: no
forged client address, no way past the routing table to internals, security headers on every
answer, and bodies capped (chunked ones too)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from rechat_cli.dev import _server
from rechat_cli.embedded import EmbeddedApp
from rechat_cli.environment import Origin
from rechat_cli.front import MAX_BODY_BYTES, PublicFront
from rechat_cli.proxy import FrontProxy
from rechat_cli.routes import AUTH, GATEWAY, HISTORY
from rechat_cli.spa import SpaFiles
from rechat_shared.testing.processes import free_port

from .test_proxy import UPSTREAM, serve


async def serve_front(app: object, port: int) -> tuple[object, asyncio.Task[None]]:
    """The public port exactly as `rechat dev` configures its server."""
    server = _server(app, Origin("127.0.0.1", port), "warning")
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[str]:
    (tmp_path / "index.html").write_text("<!doctype html><title>spa</title>")
    upstream_port, front_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}"
    proxy = FrontProxy({AUTH: upstream, GATEWAY: upstream, HISTORY: upstream}, SpaFiles(tmp_path))
    servers = [
        await serve(UPSTREAM, upstream_port),
        await serve_front(PublicFront(proxy, image_hosts=["img.example.com"]), front_port),
    ]
    yield f"http://127.0.0.1:{front_port}"
    for server, task in reversed(servers):
        server.should_exit = True  # type: ignore[attr-defined]
        await task


async def raw_request(url: str, request_line: str) -> tuple[int, bytes]:
    """Send a request line exactly as written (an HTTP client would normalise the path)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer


async def test_a_clients_forwarded_for_is_not_passed_on(front: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            front + "/api/auth/echo",
            content=b"hi",
            headers={"X-Forwarded-For": "203.0.113.5", "X-Real-IP": "203.0.113.5"},
        )
    assert answer.json()["forwarded_for"] == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations/../../internal/conversations/x",
        "/api/auth/%2e%2e/%2e%2e/metrics",
        "/api/auth/..%2f..%2fopenapi.json",
        "/api/auth/x%00",
        "/%00",
        "/api/auth/a\\..\\..\\metrics",
    ],
)
async def test_paths_that_are_not_plain_are_refused(front: str, path: str) -> None:
    status, answer = await raw_request(front, f"GET {path} HTTP/1.1")
    assert status == 400, answer
    assert b'"error": "bad_request"' in answer
    assert b"x-frame-options: DENY" in answer.lower().replace(b"deny", b"DENY")


async def test_every_answer_has_the_security_headers(front: str) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(front + "/")
        api = await client.post(front + "/api/auth/echo", content=b"x")
        missing = await client.get(front + "/api/nowhere")
    for answer in (page, api, missing):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        policy = answer.headers["content-security-policy"]
        assert "img-src 'self' data: blob: img.example.com;" in policy
        assert "https:" not in policy


async def upload_until_answered(url: str, headers: str, chunks: int, chunk: bytes) -> bytes:
    """Send a body chunk after chunk until the server answers (or all are sent); the answer."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST /api/auth/echo HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())

    async def send_body() -> None:
        for _ in range(chunks):
            writer.write(chunk)
            await writer.drain()

    sending = asyncio.create_task(send_body())
    try:
        async with asyncio.timeout(60):
            return await reader.readuntil(b"}")
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        writer.close()


async def test_bodies_are_capped_chunked_ones_too(front: str) -> None:
    megabyte = 1024 * 1024
    count = MAX_BODY_BYTES // megabyte + 20
    declared = await upload_until_answered(
        front, f"Content-Length: {count * megabyte}\r\n", count, b"x" * megabyte
    )
    frame = f"{megabyte:x}\r\n".encode() + b"x" * megabyte + b"\r\n"
    chunked = await upload_until_answered(front, "Transfer-Encoding: chunked\r\n", count, frame)
    for answer in (declared, chunked):
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b'"error": "payload_too_large"' in answer


@pytest.fixture
def embedded(tmp_path: Path) -> EmbeddedApp:
    (tmp_path / "index.html").write_text("<!doctype html><title>spa</title>")
    return EmbeddedApp(Origin("0.0.0.0", 8080), SpaFiles(tmp_path))


def client_at(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://rechat")


async def test_embedded_internals_answer_this_machine_only(embedded: EmbeddedApp) -> None:
    """The emulator's control API and the services' internal routes are not on the LAN."""
    async with client_at(embedded, "192.168.1.20") as stranger:
        control = await stranger.get("/dify-emulator/_emulator/health")
        demo = await stranger.get("/dify-emulator/v1/conversations?user=x")
        internal = await stranger.get("/internal/conversations/x")
    assert "spa" in control.text  # the SPA, not the emulator
    assert "spa" in demo.text
    assert internal.status_code == 404
    async with client_at(embedded, "127.0.0.1") as here:
        assert (await here.get("/dify-emulator/_emulator/health")).status_code == 200
