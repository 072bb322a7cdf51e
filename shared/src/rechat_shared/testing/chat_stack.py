"""ReChat in processes mode for fault tests and soak benches: auth, history, chat-gateway and
dify-workers as real processes, the Dify emulator as a real process of its own (so its call
log counts this stack's calls only), on the infrastructure the caller names (typically a
private Redis from `private_infra`).

    async with chat_stack(tmp, database_url=..., redis_url=..., ...) as stack:
        turn = await stack.turn("[[tokens:40]][[tps:8]]")
        stored = await stack.stored(turn)
        stack.dify_calls()                      # POST /v1/chat-messages so far
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from rechat_shared.testing.emulator import RunningEmulator, start_emulator, stop_emulator
from rechat_shared.testing.processes import ServiceProcess

CHAT_ROUTE = "POST /v1/chat-messages"
PASSWORD = "correct horse battery staple"


@dataclass
class Turn:
    """One chat turn as its client saw it."""

    status: int = 0
    events: list[tuple[int | None, str, dict[str, Any]]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    """When each event came (monotonic clock)."""
    body: Any = None
    sent_at: float = field(default_factory=time.monotonic)
    first_delta_at: float | None = None
    ended_at: float | None = None
    hung: bool = False

    @property
    def start(self) -> dict[str, Any]:
        return self.events[0][2] if self.events and self.events[0][1] == "start" else {}

    @property
    def terminal(self) -> str | None:
        if self.events and self.events[-1][1] in ("done", "error"):
            return self.events[-1][1]
        return None

    @property
    def deltas(self) -> int:
        return sum(1 for _, name, _ in self.events if name == "delta")

    @property
    def text(self) -> str:
        """The answer as a client builds it: deltas, `replace` and `restart` applied."""
        text = ""
        for _, name, data in self.events:
            if name == "delta":
                text += str(data.get("text", ""))
            elif name == "replace":
                text = str(data.get("text", ""))
            elif name == "restart":
                text = ""
        return text

    def resumed_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the first event after it (None: nothing came after)."""
        later = [arrived for arrived in self.arrivals if arrived > moment]
        return later[0] - moment if later else None

    @property
    def seqs(self) -> list[int | None]:
        return [seq for seq, _, _ in self.events]


@dataclass
class ChatStack:
    auth: ServiceProcess
    history: ServiceProcess
    gateway: ServiceProcess
    workers: list[ServiceProcess]
    emulator: RunningEmulator
    client: httpx.AsyncClient
    token: str
    app_id: str
    email: str = ""
    password: str = PASSWORD

    @property
    def processes(self) -> list[ServiceProcess]:
        return [self.auth, self.history, self.gateway, *self.workers]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def sign_in(self) -> None:
        """A new session for the admin (an empty Redis forgets every session's state)."""
        response = await self.client.post(
            f"{self.auth.url}/api/auth/login", json={"email": self.email, "password": self.password}
        )
        response.raise_for_status()
        self.token = str(response.json()["access_token"])

    async def turn(self, query: str, *, within: float = 120.0, into: Turn | None = None) -> Turn:
        """Send a turn (a new conversation) and read its stream to the end; `hung` when no
        terminal event came within `within` seconds. `into`: fill this Turn as events come
        (to watch the stream while it runs)."""
        turn = into if into is not None else Turn()
        turn.sent_at = time.monotonic()
        body = {"app_id": self.app_id, "query": query}
        try:
            async with (
                asyncio.timeout(within),
                self.client.stream(
                    "POST", f"{self.gateway.url}/api/chat/messages", json=body, headers=self.headers
                ) as response,
            ):
                turn.status = response.status_code
                if response.status_code != 200:
                    await response.aread()
                    turn.body = response.json()
                    return turn
                await _read_events(response, turn)
        except TimeoutError:
            turn.hung = True
        except httpx.HTTPError as exc:  # the stream broke off: not an answer the user saw end
            turn.body = repr(exc)
        turn.ended_at = time.monotonic()
        return turn

    async def stored(self, turn: Turn, *, within: float = 60.0) -> dict[str, Any] | None:
        """The answer as history has it once final (None if still pending at the deadline)."""
        conversation_id, message_id = turn.start["conversation_id"], turn.start["message_id"]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            response = await self.client.get(
                f"{self.history.url}/api/conversations/{conversation_id}/messages",
                params={"limit": 100},
                headers=self.headers,
            )
            if response.status_code == 200:
                for message in response.json()["items"]:
                    if message["id"] == message_id and message["status"] != "pending":
                        found: dict[str, Any] = message
                        return found
            await asyncio.sleep(0.2)
        return None

    async def dify_calls(self) -> int:
        """Chat calls the emulator has served (every `POST /v1/chat-messages`)."""
        counts = (await asyncio.to_thread(self.emulator.control, "GET", "/calls"))["counts"]
        return int(counts.get(CHAT_ROUTE, 0))


async def _read_events(response: httpx.Response, turn: Turn) -> None:
    seq: int | None = None
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line:
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "id":
                seq = int(value)
            elif key == "event":
                name = value
            elif key == "data":
                data += value
            continue
        if data:
            turn.events.append((seq, name, json.loads(data)))
            turn.arrivals.append(time.monotonic())
            if name == "delta" and turn.first_delta_at is None:
                turn.first_delta_at = time.monotonic()
            if name in ("done", "error"):
                return
        seq, name, data = None, "message", ""


@asynccontextmanager
async def chat_stack(
    directory: Path,
    *,
    database_url: str,
    redis_url: str,
    rabbitmq_url: str,
    rabbitmq_prefix: str,
    redis_prefix: str,
    workers: int = 2,
    env: dict[str, str] | None = None,
) -> AsyncIterator[ChatStack]:
    """Start the stack (each process waits for its own readiness), yield it, stop it."""
    base = {
        **os.environ,
        "RECHAT_ENV": "development",
        "RECHAT_SECRET_KEY": "fault-suite-secret-fault-suite-secret-0",
        "RECHAT_DATA_DIR": str(directory / "data"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "RABBITMQ_URL": rabbitmq_url,
        "RABBITMQ_PREFIX": rabbitmq_prefix,
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_RATE_LIMIT_COUNT": "100000",
        "GATEWAY_MAX_ANSWERS_IN_FLIGHT": "100000",  # one user stands for many
        "WORKER_AUTO_TITLE": "false",
        "AUTH_ACCESS_TOKEN_SECONDS": "7200",
        **(env or {}),
    }

    def process(module: str, name: str, ready: str = "/readyz") -> ServiceProcess:
        return ServiceProcess(
            module=module,
            env=dict(base),
            log_path=directory / f"{name}.log",
            ready_path=ready,
        )

    auth = process("rechat_auth", "auth", "/healthz")
    history = process("rechat_history", "history", "/healthz")
    gateway = process("rechat_gateway", "gateway")
    worker_processes = [process("rechat_worker", f"worker{i}") for i in range(workers)]
    jwks = f"{auth.url}/api/auth/.well-known/jwks.json"
    for each in (auth, history, gateway, *worker_processes):
        each.env.update(AUTH_JWKS_URL=jwks, HISTORY_INTERNAL_URL=history.url)
    emulator_process, emulator = start_emulator("--ping-interval", "0.5")
    started: list[ServiceProcess] = []
    try:
        # auth first: it migrates the shared database's auth tables and serves the JWKS
        for group in ([auth], [history], [gateway, *worker_processes]):
            await asyncio.gather(*(asyncio.to_thread(p.start) for p in group))
            started.extend(group)
        # no pool limit: the load is many concurrent streams, each holding a connection
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            email = f"fault-{uuid.uuid4().hex[:8]}@example.com"
            token = await _sign_up(client, auth.url, email)
            app_id = await _register_app(client, gateway.url, token, emulator)
            yield ChatStack(
                auth, history, gateway, worker_processes, emulator, client, token, app_id, email
            )
    finally:
        for each in reversed(started):
            each.stop()
        stop_emulator(emulator_process)


async def _sign_up(client: httpx.AsyncClient, auth_url: str, email: str) -> str:
    """The first account of the fresh database: an admin."""
    response = await client.post(
        f"{auth_url}/api/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Fault suite"},
    )
    response.raise_for_status()
    session: dict[str, Any] = response.json()
    assert session["user"]["role"] == "admin", "the database was not empty"
    return str(session["access_token"])


async def _register_app(
    client: httpx.AsyncClient, gateway_url: str, token: str, emulator: RunningEmulator
) -> str:
    response = await client.post(
        f"{gateway_url}/api/admin/apps",
        json={
            "name": "Emulator chat",
            "base_url": emulator.base_url,
            "api_key": emulator.keys["chat"],
            "mode": "chat",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return str(response.json()["id"])
