"""A running worker: its clients and consumers, startable in any event loop.

`async with run_worker(settings) as worker:` is what both `rechat-worker` (inside its small
health/metrics app) and the embedded single-process mode use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from rechat_shared.bus import FEEDBACK_QUEUE, REQUESTS_QUEUE, BusUnavailable, create_bus
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys, create_redis
from rechat_shared.streams import create_stream_hub
from rechat_worker.config import WorkerSettings
from rechat_worker.consumer import FeedbackConsumer, RequestConsumer
from rechat_worker.context import WorkerContext
from rechat_worker.scheduling import FairSlots, fair

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class Worker:
    """Consumes `chat.requested` and `chat.feedback` until stopped."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        # each client's close is registered as it is made; `stop` runs them in reverse order,
        # every one of them even when one fails
        self._closing = AsyncExitStack()
        redis = create_redis(
            settings.redis_url,
            max_connections=256,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        self._closing.push_async_callback(redis.aclose)
        dify = DifyClient(
            settings.dify_timeouts(), max_connections=max(100, settings.concurrency * 2)
        )
        self._closing.push_async_callback(dify.aclose)
        hub = create_stream_hub(
            settings.redis_url,
            settings.redis_prefix,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        self._closing.push_async_callback(hub.close)
        bus = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix)
        # stop taking work first; in-flight answers get the grace period
        self._closing.push_async_callback(bus.close, settings.shutdown_grace_seconds)
        self._closing.push_async_callback(self._stop_starting)
        self.context = WorkerContext(
            settings=settings,
            redis=redis,
            keys=Keys(settings.redis_prefix),
            bus=bus,
            hub=hub,
            dify=dify,
            box=SecretBox(settings.secret_key),
        )
        self.consuming = asyncio.Event()
        self._starter: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect (retrying while the broker is away) and begin consuming, in the background."""
        self._starter = asyncio.create_task(self._start(), name="worker-start")

    async def _start(self) -> None:
        bus = self.context.bus
        while True:
            try:
                await bus.connect()
                slots = FairSlots(self.settings.concurrency)
                await bus.consume(
                    REQUESTS_QUEUE,
                    fair(RequestConsumer(self.context), slots),
                    concurrency=self.settings.concurrency + self.settings.fair_buffer,
                )
                await bus.consume(
                    FEEDBACK_QUEUE,
                    FeedbackConsumer(self.context),
                    concurrency=self.settings.feedback_concurrency,
                )
            except BusUnavailable as exc:
                logger.warning("broker unavailable, retrying: %s", exc.detail)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.consuming.set()
            logger.info("consuming with concurrency %d", self.settings.concurrency)
            return

    async def ready(self) -> None:
        """Readiness: consuming, Redis answers, the broker connection is up."""
        if not self.consuming.is_set():
            raise BusUnavailable("not consuming yet")
        if not getattr(self.context.bus, "connected", True):
            raise BusUnavailable("The message broker is not connected")
        await self.context.redis.ping()

    async def stop(self) -> None:
        """Stop taking work, let in-flight answers finish within the grace period (the rest
        are handed back to the broker and restarted elsewhere), then close the clients."""
        await self._closing.aclose()

    async def _stop_starting(self) -> None:
        if self._starter is not None:
            self._starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starter


@asynccontextmanager
async def run_worker(settings: WorkerSettings | None = None) -> AsyncIterator[Worker]:
    """Run a worker in the current event loop for the duration of the block."""
    worker = Worker(settings or WorkerSettings())
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
