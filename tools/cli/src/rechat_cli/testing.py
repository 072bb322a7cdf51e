"""Drive a running ReChat over HTTP the way a newcomer does: sign up, chat, read the history.

Used by the whole-system tests of the run command and of the nginx configuration; handy for a
smoke check of any deployment too (`Journey("http://127.0.0.1:8080")`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from rechat_cli.demo import DEMO_APP_NAME
from rechat_cli.services import SPECS
from rechat_shared.db import create_engine
from rechat_shared.testing.processes import STARTUP_LIMIT_SECONDS, free_port, wait_until_ready


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One SSE event of an answer and when it arrived (seconds, monotonic clock)."""

    event: str
    data: dict[str, Any]
    id: str | None
    arrived: float


def parse_sse(lines: list[str], arrived: float) -> StreamEvent | None:
    """One event from its `field: value` lines; None for a comment-only block (keep-alive)."""
    name, data, event_id = "message", [], None
    for line in lines:
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
        elif key == "id":
            event_id = value
    if not data:
        return None
    return StreamEvent(name, json.loads("\n".join(data)), event_id, arrived)


@dataclass
class Journey:
    """One person's session against the one origin at `base_url`."""

    base_url: str
    email: str = field(default_factory=lambda: f"newcomer-{uuid.uuid4().hex[:8]}@example.com")
    password: str = "correct horse battery staple"
    token: str | None = None

    def client(self, timeout: float = 30.0) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def sign_up(self, name: str = "Newcomer") -> dict[str, Any]:
        with self.client() as client:
            response = client.post(
                "/api/auth/register",
                json={"email": self.email, "password": self.password, "name": name},
            )
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        self.token = session["access_token"]
        return session

    def apps(self) -> list[dict[str, Any]]:
        with self.client() as client:
            response = client.get("/api/apps")
        response.raise_for_status()
        apps: list[dict[str, Any]] = response.json()
        return apps

    def demo_app(self) -> dict[str, Any]:
        return next(app for app in self.apps() if app["name"] == DEMO_APP_NAME)

    def chat(
        self, app_id: str, query: str, conversation_id: str | None = None, within: float = 30.0
    ) -> list[StreamEvent]:
        """Send a message and read its SSE answer to the end (`done` or `error`, within
        `within` seconds), noting when each event came."""
        deadline = time.monotonic() + within
        body: dict[str, Any] = {"app_id": app_id, "query": query}
        if conversation_id:
            body["conversation_id"] = conversation_id
        events: list[StreamEvent] = []
        with (
            self.client(timeout=20.0) as client,
            client.stream("POST", "/api/chat/messages", json=body) as response,
        ):
            if not response.is_success:
                response.read()
                raise AssertionError(f"chat answered {response.status_code}: {response.text}")
            assert response.headers["content-type"].startswith("text/event-stream")
            block: list[str] = []
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    raise AssertionError(f"no end of the answer in {within:.0f} s: {events}")
                if line:
                    block.append(line)
                    continue
                event = parse_sse(block, time.monotonic())
                block = []
                if event is not None:
                    events.append(event)
                    if event.event in ("done", "error"):
                        break
        return events

    def conversations(self) -> list[dict[str, Any]]:
        with self.client() as client:
            response = client.get("/api/conversations")
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        with self.client() as client:
            response = client.get(f"/api/conversations/{conversation_id}/messages")
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def wait_for_answer(self, conversation_id: str, within: float = 20.0) -> list[dict[str, Any]]:
        """History builds from events: poll until the answer is final (done/failed/stopped)."""
        deadline = time.monotonic() + within
        while True:
            messages = self.messages(conversation_id)
            answers = [m for m in messages if m["role"] == "assistant"]
            if answers and all(m["status"] != "pending" for m in answers):
                return messages
            if time.monotonic() > deadline:
                raise TimeoutError(f"the answer stayed pending in history: {messages}")
            time.sleep(0.1)


def answer_text(events: list[StreamEvent]) -> str:
    text = ""
    for event in events:
        if event.event == "delta":
            text += event.data["text"]
        elif event.event == "replace":
            text = event.data["text"]
        elif event.event == "restart":
            text = ""
    return text


def free_service_ports() -> dict[str, int]:
    """A free port for every service, so a test never depends on 8001-8004/8090 being free."""
    return {name: free_port() for name in SPECS}


def service_port_arguments(ports: dict[str, int]) -> list[str]:
    return [f"--service-port={name}={port}" for name, port in ports.items()]


def uv_command() -> list[str]:
    """`uv run --no-sync`: the README's run command, without re-syncing the shared venv."""
    uv = os.environ.get("UV") or shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    return [uv, "run", "--no-sync"]


@dataclass
class RunningRechat:
    """`uv run rechat dev` as a real process on `port`, its output in `log_path`."""

    port: int
    env: dict[str, str]
    log_path: Path
    cwd: Path
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait while it lives (the wait follows the process; see
        `rechat_shared.testing.processes`); `uv` itself uses no CPU while its children start,
        so only the outer bound applies, not the stall rule."""
        command = [*uv_command(), "rechat", "dev", "--port", str(self.port), *self.args]
        with self.log_path.open("ab") as log:  # the child keeps its own handle
            # our own command line, no user input
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

        def up() -> bool:
            if "ReChat is running at" not in self.log_path.read_text(errors="replace"):
                return False
            try:
                return httpx.get(self.url + "/api/auth/config", timeout=2).is_success
            except httpx.HTTPError:
                return False

        try:
            wait_until_ready(
                self.process,
                up,
                name="rechat dev",
                log_tail=self.log_tail,
                stall=STARTUP_LIMIT_SECONDS,
            )
        except BaseException:
            self.stop()  # never leave a half-started stack behind
            raise

    def stop(self, within: float = 120.0, sig: int = signal.SIGINT) -> int:
        """Ctrl+C (or `sig`) and wait for everything to stop; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@asynccontextmanager
async def scratch_database(admin_url: str) -> AsyncIterator[str]:
    """A new utf8mb4 MySQL/MariaDB database for one run (the demo app is registered only into
    an empty registry), dropped afterwards. `admin_url` ends with `/` (no database)."""
    name = f"rechat_cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    try:
        async with admin.begin() as connection:
            await connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
        yield f"{admin_url.rstrip('/')}/{name}?charset=utf8mb4"
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        await admin.dispose()
