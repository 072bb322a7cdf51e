"""The chat pipeline as real processes under a load of slow concurrent turns, for fault tests.

`running_stack` starts history, chat-gateway and two dify-workers against the infrastructure
given (a test's private MariaDB or RabbitMQ, say) with a stand-in for auth; `FaultStack.launch`
sends turns that the emulator paces; `FaultStack.account` then waits for every accepted turn
and counts what a fault must never cause: accepted turns lost, streams hung, answers generated
twice, stored text differing from what the user saw, conversation locks left behind.
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
from redis.asyncio import Redis

from rechat_shared.redis import Keys
from rechat_shared.testing.chat_client import (
    Sse,
    TokenIssuer,
    answer_text,
    iter_sse,
    register_chat_app,
)
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.processes import ServiceProcess
from rechat_shared.testing.tokens import mark_live

TURN_DEADLINE_SECONDS = 180.0
"""An accepted turn whose stream has not ended by then counts as hung."""


@dataclass
class Turn:
    """One question sent and its stream as the client saw it."""

    headers: dict[str, str]
    query: str
    status: int | None = None
    body: Any = None
    retry_after: str | None = None
    events: list[Sse] = field(default_factory=list)
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None
    task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        return answer_text(self.events)

    @property
    def ended(self) -> str | None:
        """`done`, `error`, or None while the stream has not ended."""
        last = self.events[-1].event if self.events else None
        return last if last in ("done", "error") else None

    @property
    def ids(self) -> dict[str, str]:
        start: dict[str, str] = self.events[0].data
        return start


@dataclass
class Account:
    """What a fault did to the turns it met."""

    accepted: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    stored_differs: list[str] = field(default_factory=list)
    locks_held: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "refused": self.refused,
            "lost": len(self.lost),
            "hung": len(self.hung),
            "duplicated": len(self.duplicated),
            "stored_differs": len(self.stored_differs),
            "locks_held": len(self.locks_held),
            "ended_with_error": len(self.errors),
        }


@dataclass
class FaultStack:
    env: dict[str, str]
    history: ServiceProcess
    gateway: ServiceProcess
    workers: list[ServiceProcess]
    client: httpx.AsyncClient
    issuer: TokenIssuer
    emulator: RunningEmulator
    app_id: str = ""
    last_seen: dict[str, str] = field(default_factory=dict)
    """What history last answered about each turn's conversation (for a failure's message)."""

    @property
    def redis_url(self) -> str:
        return self.env["REDIS_URL"]

    def user(self, role: str = "user") -> dict[str, str]:
        user_id = str(uuid.uuid4())
        mark_live(self.redis_url, self.env["REDIS_PREFIX"], user_id)
        return self.issuer.headers(user_id, role)

    def launch(self, users: list[dict[str, str]], count: int, query: str) -> list[Turn]:
        """`count` turns at once, spread over `users`, each a new conversation; each query
        carries a marker of its own (so Dify's calls for it can be counted)."""
        turns = []
        for index in range(count):
            turn = Turn(users[index % len(users)], f"{query} turn-{uuid.uuid4().hex}")
            turn.task = asyncio.create_task(self._follow(turn))
            turns.append(turn)
        return turns

    async def _follow(self, turn: Turn) -> None:
        body = {"app_id": self.app_id, "query": turn.query}
        try:
            async with (
                asyncio.timeout(TURN_DEADLINE_SECONDS),
                self.client.stream(
                    "POST", "/api/chat/messages", json=body, headers=turn.headers
                ) as response,
            ):
                turn.status = response.status_code
                if response.status_code != 200:
                    await response.aread()
                    turn.body = response.json()
                    turn.retry_after = response.headers.get("retry-after")
                    return
                async for event in iter_sse(response):
                    turn.events.append(event)
                    if event.event == "start":
                        turn.accepted.set()
                    if turn.ended:
                        return
        except (TimeoutError, httpx.HTTPError) as exc:
            turn.error = repr(exc)
        finally:
            turn.settled.set()

    async def all_accepted(self, turns: list[Turn]) -> None:
        """Until every turn has its `start` (or was refused)."""
        for turn in turns:
            accepted = asyncio.create_task(turn.accepted.wait())
            settled = asyncio.create_task(turn.settled.wait())
            await asyncio.wait({accepted, settled}, return_when=asyncio.FIRST_COMPLETED)
            accepted.cancel()
            settled.cancel()

    async def account(self, turns: list[Turn], *, stored_within: float = 120.0) -> Account:
        """Wait for every turn, then check each accepted one against history, Dify and Redis."""
        await asyncio.gather(*(turn.task for turn in turns if turn.task is not None))
        account = Account()
        redis = Redis.from_url(self.redis_url)
        keys = Keys(self.env["REDIS_PREFIX"])
        try:
            for turn in turns:
                if not turn.accepted.is_set():
                    status = turn.status or 0
                    account.refused[status] = account.refused.get(status, 0) + 1
                    continue
                account.accepted += 1
                await self._check(turn, account, stored_within)
                if await redis.exists(keys.conversation_lock(turn.ids["conversation_id"])):
                    account.locks_held.append(turn.ids["conversation_id"])
        finally:
            await redis.aclose()
        return account

    async def _check(self, turn: Turn, account: Account, stored_within: float) -> None:
        name = turn.ids["message_id"]
        if turn.ended is None:
            account.hung.append(name)
            return
        if turn.ended == "error":
            account.errors.append(name)
        stored = await self.stored(turn, stored_within)
        if stored is None:
            account.lost.append(f"{name}: {turn.ended}, history has {self.last_seen.get(name)}")
            return
        answers, final = stored
        if len(answers) != 1 or self.dify_calls(turn.query) != 1:
            account.duplicated.append(name)
        if turn.ended == "done" and (final["status"] != "done" or final["content"] != turn.text):
            account.stored_differs.append(name)

    async def stored(
        self, turn: Turn, within: float
    ) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        """The conversation's answers and this turn's final message, once history has it."""
        deadline = time.monotonic() + within
        url = f"{self.history.url}/api/conversations/{turn.ids['conversation_id']}/messages"
        while time.monotonic() < deadline:
            response = await self.client.get(url, params={"limit": 100}, headers=turn.headers)
            self.last_seen[turn.ids["message_id"]] = f"{response.status_code} {response.text[:300]}"
            if response.status_code == 200:
                items = response.json()["items"]
                answers = [item for item in items if item["role"] == "assistant"]
                for item in answers:
                    if item["id"] == turn.ids["message_id"] and item["status"] != "pending":
                        return answers, item
            await asyncio.sleep(0.25)
        return None

    def dify_calls(self, query: str) -> int:
        """How many times Dify was asked `query` (a second call would bill a turn twice)."""
        log = self.emulator.control("GET", "/calls", params={"method": "POST"})
        return sum(
            1
            for call in log["calls"]
            if isinstance(call.get("body"), dict) and call["body"].get("query") == query
        )


def stack_env(
    *,
    database_url: str,
    rabbitmq_url: str,
    redis_url: str,
    prefix: str,
    data_dir: Path,
) -> dict[str, str]:
    return {
        "RECHAT_SECRET_KEY": "fault-secret-fault-secret-fault-secret-x",
        "RECHAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"rechat-test:{prefix}:",
        "RABBITMQ_URL": rabbitmq_url,
        "RABBITMQ_PREFIX": f"t{prefix}.",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_RATE_LIMIT_COUNT": "1000",
        "WORKER_CONCURRENCY": "32",
        "WORKER_SHUTDOWN_GRACE_SECONDS": "2",
    }


@asynccontextmanager
async def running_stack(
    env: dict[str, str], log_dir: Path, emulator: RunningEmulator
) -> AsyncIterator[FaultStack]:
    """History, the gateway and two workers as real processes, and the emulator's chat app."""
    issuer = TokenIssuer()
    env = {**env, "AUTH_JWKS_URL": issuer.url}

    def process(module: str, name: str) -> ServiceProcess:
        ready = "/readyz" if module in ("rechat_worker", "rechat_gateway") else "/healthz"
        return ServiceProcess(
            module, {**os.environ, **env}, log_dir / f"{name}.log", ready_path=ready
        )

    history = process("rechat_history", "history")
    env["HISTORY_INTERNAL_URL"] = history.url
    gateway = process("rechat_gateway", "gateway")
    workers = [process("rechat_worker", f"worker{index}") for index in range(2)]
    processes = [history, gateway, *workers]
    for each in processes:
        each.env.update(env)
    try:
        await asyncio.gather(*(asyncio.to_thread(each.start) for each in processes))
        async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as client:
            stack = FaultStack(env, history, gateway, workers, client, issuer, emulator)
            stack.app_id = await register_chat_app(client, stack.user("admin"), emulator)
            yield stack
    finally:
        for each in reversed(processes):
            each.stop()
        issuer.close()


def report(fault: str, account: Account, **figures: Any) -> str:
    """One JSON line per fault (pytest shows it with `-s` or when the test fails)."""
    line = json.dumps({"fault": fault, **account.summary(), **figures})
    print(line)
    return line
