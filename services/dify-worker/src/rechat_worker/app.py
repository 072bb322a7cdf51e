"""The worker's small HTTP app: `/healthz`, `/readyz`, `/metrics`; its lifespan runs the worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rechat_shared.app import create_service_app
from rechat_worker.config import WorkerSettings
from rechat_worker.runtime import run_worker


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with run_worker(app.state.settings) as worker:
        app.state.clients = worker
        app.state.readiness_checks["worker"] = worker.ready
        yield


def create_app(settings: WorkerSettings | None = None) -> FastAPI:
    """The worker process's ASGI app (health and metrics only)."""
    app = create_service_app("worker", title="ReChat Dify worker", lifespan=lifespan)
    app.state.settings = settings or WorkerSettings()
    return app
