"""Test clients of the running chat pipeline: SSE streams read as a browser reads them, and a
stand-in for auth that signs access tokens (so tests need not run the auth service).

Shared by the whole-system tests (`tests/e2e`): the pipeline, and the fault suites.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rechat_shared.testing.emulator import RunningEmulator

# -- SSE -----------------------------------------------------------------------------------------


@dataclass
class Sse:
    seq: int | None
    event: str
    data: dict[str, Any]


async def iter_sse(response: httpx.Response) -> AsyncIterator[Sse]:
    """Events of a `text/event-stream` response (comments skipped)."""
    seq: int | None = None
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Sse(seq, name, json.loads(data))
            seq, name, data = None, "message", ""
        elif line.startswith("id:"):
            seq = int(line[3:].strip())
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()


def answer_text(events: list[Sse]) -> str:
    """The answer as a client builds it: deltas, `replace` and `restart` applied."""
    answer = ""
    for event in events:
        if event.event == "delta":
            answer += event.data["text"]
        elif event.event == "replace":
            answer = event.data["text"]
        elif event.event == "restart":
            answer = ""
    return answer


@dataclass
class Stream:
    status: int
    events: list[Sse] = field(default_factory=list)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return answer_text(self.events)

    @property
    def last(self) -> Sse:
        return self.events[-1]

    @property
    def start(self) -> dict[str, Any]:
        assert self.events[0].event == "start"
        return self.events[0].data


async def open_stream(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    json_body: dict[str, Any] | None = None,
    stop_when: Callable[[list[Sse]], bool] | None = None,
    within: float = 90.0,
) -> Stream:
    """Read a stream until its terminal event (or until `stop_when` says so, then hang up)."""
    async with (
        asyncio.timeout(within),
        client.stream(method, url, headers=headers, json=json_body) as response,
    ):
        result = Stream(response.status_code, headers=dict(response.headers))
        if response.status_code != 200:
            await response.aread()
            result.body = response.json()
            return result
        async for event in iter_sse(response):
            result.events.append(event)
            if event.event in ("done", "error"):
                break
            if stop_when is not None and stop_when(result.events):
                break
    return result


# An answer that outlasts any delay of a busy machine (60 s), for tests that stop it or act
# while it streams; a stopped one ends at once.
LONG = "[[tokens:600]][[tps:10]]"


def deltas(events: list[Sse]) -> int:
    return sum(1 for event in events if event.event == "delta")


# -- what stands in for auth ---------------------------------------------------------------------


class TokenIssuer:
    """Signs access tokens like auth does and serves the public key as auth's JWKS."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        document = json.dumps({"keys": [{**public, "kid": "pipe", "use": "sig", "alg": "EdDSA"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(document.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def headers(self, user_id: str, role: str = "user") -> dict[str, str]:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "role": role,
            "iss": "rechat-auth",
            "aud": "rechat",
            "iat": now,
            "nbf": now,
            "exp": now + 1800,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": "pipe"})
        return {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        self._server.shutdown()


async def register_chat_app(
    client: httpx.AsyncClient, admin_headers: dict[str, str], emulator: RunningEmulator
) -> str:
    """Register the emulator's chat app through the gateway's admin API; its id."""
    app = await client.post(
        "/api/admin/apps",
        json={
            "name": "Emulator chat",
            "base_url": emulator.base_url,
            "api_key": emulator.keys["chat"],
            "mode": "chat",
        },
        headers=admin_headers,
    )
    assert app.status_code == 201, app.text
    return str(app.json()["id"])
