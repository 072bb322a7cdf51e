"""Fixtures of the worker's tests: in-process transports, the real Dify emulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from rechat_shared.bus import create_bus
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys, create_redis
from rechat_shared.streams import create_stream_hub
from rechat_shared.testing.emulator import RunningEmulator
from rechat_worker.config import WorkerSettings
from rechat_worker.context import WorkerContext

SECRET = SecretStr("worker-tests-secret-worker-tests-secret")


@pytest.fixture
async def context(dify_emulator: RunningEmulator) -> AsyncIterator[WorkerContext]:
    """A worker context on in-process Redis, bus and hub (unique per test)."""
    url = f"memory://worker-{uuid.uuid4().hex[:8]}"
    settings = WorkerSettings(
        RECHAT_SECRET_KEY=SECRET,
        REDIS_URL=url,
        RABBITMQ_URL=url,
        WORKER_COALESCE_MS=20,
        WORKER_DIFY_STALL_SECONDS=1.5,
        WORKER_STOP_GRACE_SECONDS=2,
    )
    redis = create_redis(url)
    bus = create_bus(url)
    await bus.connect()
    dify = DifyClient(settings.dify_timeouts())
    hub = create_stream_hub(url, "rechat:")
    yield WorkerContext(
        settings=settings,
        redis=redis,
        keys=Keys("rechat:"),
        bus=bus,
        hub=hub,
        dify=dify,
        box=SecretBox(SECRET),
    )
    await bus.close()
    await hub.close()
    await dify.aclose()
    await redis.aclose()
