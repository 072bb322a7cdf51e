"""The clients a worker's handlers share (one set per process)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis

from rechat_shared.bus import EventBus
from rechat_shared.conversation_lock import release_conversation
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys
from rechat_shared.streams import StreamHub
from rechat_shared.streams.outage import wait_for_redis
from rechat_worker.config import WorkerSettings

T = TypeVar("T")


@dataclass
class WorkerContext:
    settings: WorkerSettings
    redis: Redis
    keys: Keys
    bus: EventBus
    hub: StreamHub
    dify: DifyClient
    box: SecretBox

    async def remember_all(self, values: dict[str, str]) -> None:
        """Set keys the gateway reads (`Keys.dify_conversation`, `Keys.dify_message`) in one
        round trip (waiting for Redis should it be away)."""

        async def write() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    pipe.set(key, value, ex=self.settings.record_seconds)
                await pipe.execute()

        await self.wait_for_redis(write, "remembering Dify's ids")

    async def wait_for_redis(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        """Retry `operation` while Redis is away (`WORKER_REDIS_PATIENCE_SECONDS` at most)."""
        return await wait_for_redis(
            operation, patience=self.settings.redis_patience_seconds, what=what
        )

    async def recall(self, key: str) -> str | None:
        raw = await self.redis.get(key)
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def release_conversation(self, conversation_id: str, message_id: str) -> None:
        """Free the conversation for its next turn (the lock the gateway took for this one),
        waiting for Redis should it be away."""
        await self.wait_for_redis(
            lambda: release_conversation(self.redis, self.keys, conversation_id, message_id),
            f"releasing conversation {conversation_id}",
        )
