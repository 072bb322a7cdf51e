"""Embedded mode: the four services, the Dify emulator and the SPA in one process and one loop.

One ASGI app dispatches by path prefix to each service's own app, runs each service's lifespan
(migrations included), and runs the worker beside them. They share the in-process bus, stream
hub and Redis because they all read `memory://` URLs in the same process.
"""

from __future__ import annotations

import json
import os
from contextlib import AsyncExitStack
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from rechat_cli import logs
from rechat_cli.demo import ensure_demo_app
from rechat_cli.environment import Origin
from rechat_cli.front import from_loopback, send_json
from rechat_cli.routes import HTTP_SERVICES, service_for
from rechat_cli.services import DEMO_TOKEN_DELAY, SPECS
from rechat_dify_emulator.app import create_app as create_emulator_app
from rechat_dify_emulator.config import default_config
from rechat_shared.settings import MEMORY_URL
from rechat_worker.runtime import run_worker

EMULATOR_MOUNT = "/dify-emulator"


def embedded_environment(origin: Origin, data_dir: Path) -> dict[str, str]:
    """What every service reads in embedded mode: in-process transports, calls via the origin."""
    return {
        "RABBITMQ_URL": MEMORY_URL,
        "REDIS_URL": MEMORY_URL,
        "RECHAT_DATA_DIR": str(data_dir),
        "AUTH_JWKS_URL": f"{origin.loopback_url}/api/auth/.well-known/jwks.json",
        "HISTORY_INTERNAL_URL": origin.loopback_url,
    }


class EmbeddedApp:
    """Dispatches each request to the service owning its prefix; the SPA gets everything else."""

    def __init__(self, origin: Origin, spa: ASGIApp) -> None:
        self.origin = origin
        self.spa = spa
        self.apps: dict[str, FastAPI] = {name: SPECS[name].create_app() for name in HTTP_SERVICES}
        self.emulator: ASGIApp = create_emulator_app(default_config(token_delay=DEMO_TOKEN_DELAY))
        self._stack = AsyncExitStack()
        self.ready = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        # the bundled emulator (its control API scripts every answer, its demo key reads the
        # demo's conversations) and the services' internal routes answer this machine's own
        # calls only, never the LAN
        internal = from_loopback(scope)
        if internal and (path == EMULATOR_MOUNT or path.startswith(EMULATOR_MOUNT + "/")):
            inner = {**scope, "path": path[len(EMULATOR_MOUNT) :] or "/"}
            inner["raw_path"] = inner["path"].encode()
            inner["root_path"] = scope.get("root_path", "") + EMULATOR_MOUNT
            await self.emulator(inner, receive, send)
            return
        service = service_for(path, internal=internal)
        if service is not None:
            await self.apps[service](scope, receive, send)
        elif path in ("/healthz", "/readyz"):
            status = 200 if self.ready or path == "/healthz" else 503
            body = json.dumps({"status": "ok" if status == 200 else "starting"}).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif path.startswith("/api/") or path.startswith("/internal/"):
            await send_json(send, 404, "not_found", "No such API route")
        else:
            await self.spa(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as exc:
                    logs.say(f"start-up failed: {type(exc).__name__}: {exc}")
                    await self._stack.aclose()
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                await self._stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        """Each service's lifespan (auth first: it owns the keys), the worker, the demo app."""
        for name, app in self.apps.items():
            await self._stack.enter_async_context(app.router.lifespan_context(app))
            logs.say(f"{name} started")
        await self._stack.enter_async_context(run_worker())
        logs.say("dify-worker started")
        emulator = f"{self.origin.loopback_url}{EMULATOR_MOUNT}/v1"
        outcome = await ensure_demo_app(emulator)
        logs.say(f"demo app ({emulator}): {outcome}")
        self.ready = True
        logs.say(f"ReChat is running at {self.origin.url}  (Ctrl+C stops everything)")


def prepare(origin: Origin, data_dir: Path) -> None:
    """Point every service at the in-process transports before any settings are read."""
    os.environ.update(embedded_environment(origin, data_dir))
