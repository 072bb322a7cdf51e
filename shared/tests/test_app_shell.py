"""The shared service shell: health, readiness, metrics, trace ids, JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from rechat_shared.app import create_service_app
from rechat_shared.logging import configure_logging


def make_app(ready: dict[str, bool]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def database() -> None:
            if not ready["database"]:
                raise ConnectionError("down")

        app.state.readiness_checks = {"database": database}
        yield

    app = create_service_app("demo", title="Demo", lifespan=lifespan)

    @app.get("/api/hello")
    async def hello() -> dict[str, str]:
        logging.getLogger("demo").info("saying hello")
        return {"hello": "world"}

    return app


async def test_health_readiness_metrics_and_trace_id(capsys: pytest.CaptureFixture[str]) -> None:
    ready = {"database": True}
    app = make_app(ready)
    configure_logging("demo", "INFO", "json")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            assert (await client.get("/readyz")).status_code == 200
            ready["database"] = False
            not_ready = await client.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["checks"]["database"].startswith("error")

            hello = await client.get("/api/hello", headers={"X-Request-ID": "trace-123"})
            assert hello.headers["x-request-id"] == "trace-123"
            generated = await client.get("/api/hello")
            assert len(generated.headers["x-request-id"]) == 32

            metrics = (await client.get("/metrics")).text
            assert 'rechat_http_requests_total{method="GET",route="/api/hello",' in metrics

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    hello_logs = [line for line in lines if line["message"] == "saying hello"]
    assert hello_logs[0]["trace_id"] == "trace-123"
    assert hello_logs[0]["service"] == "demo"
