"""The asyncio network backend under httpx: plain and TLS streams, timeouts, lost connections."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from rechat_shared.dify.transport import asyncio_transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
EVENTS = [b'data: {"event": "message", "answer": "%d"}\n\n' % index for index in range(20)]


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def _event_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Each request gets a chunked SSE body, one event per write (as a paced server sends)."""
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for event in EVENTS:
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            await asyncio.sleep(0.001)
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _serve(handler: Handler, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def _read_all(client: httpx.AsyncClient, url: str) -> bytes:
    async with client.stream("GET", url) as response:
        return b"".join([chunk async for chunk in response.aiter_raw()])


@pytest.fixture
async def plain() -> AsyncIterator[int]:
    server = await _serve(_event_stream)
    async with server:
        yield _port(server)


async def test_a_stream_arrives_whole_and_the_connection_is_reused(plain: int) -> None:
    async with httpx.AsyncClient(transport=asyncio_transport(LIMITS)) as client:
        for _ in range(3):
            assert await _read_all(client, f"http://127.0.0.1:{plain}/") == b"".join(EVENTS)
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert len(pool.connections) == 1


async def test_tls_is_verified_and_works(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    server = await _serve(_event_stream, server_side)
    async with server:
        url = f"https://localhost:{_port(server)}/"
        trusting = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(transport=asyncio_transport(LIMITS, trusting)) as client:
            assert await _read_all(client, url) == b"".join(EVENTS)
        async with httpx.AsyncClient(transport=asyncio_transport(LIMITS)) as client:
            with pytest.raises(httpx.ConnectError):
                await _read_all(client, url)


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(2)

    server = await _serve(silent)
    async with server:
        transport = asyncio_transport(LIMITS)
        async with httpx.AsyncClient(transport=transport, timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://127.0.0.1:{_port(server)}/")


async def test_a_connection_lost_mid_body_is_a_transport_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n")
        await writer.drain()
        writer.close()

    server = await _serve(cut)
    async with server, httpx.AsyncClient(transport=asyncio_transport(LIMITS)) as client:
        with pytest.raises(httpx.TransportError):
            await _read_all(client, f"http://127.0.0.1:{_port(server)}/")


async def test_nothing_listening_is_a_connect_error() -> None:
    server = await _serve(_event_stream)
    port = _port(server)
    server.close()
    await server.wait_closed()
    async with httpx.AsyncClient(transport=asyncio_transport(LIMITS)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
