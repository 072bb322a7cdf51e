"""The clients a worker's handlers share (one set per process)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import WatchError

from rechat_shared.bus import EventBus
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys
from rechat_shared.streams import StreamHub
from rechat_worker.config import WorkerSettings


@dataclass
class WorkerContext:
    settings: WorkerSettings
    redis: Redis
    keys: Keys
    bus: EventBus
    hub: StreamHub
    dify: DifyClient
    box: SecretBox

    async def remember(self, *parts: str, value: str) -> None:
        """Set a key the gateway reads (`conv:{id}:dify`, `msg:{id}:dify`)."""
        await self.redis.set(self.keys(*parts), value, ex=self.settings.record_seconds)

    async def remember_all(self, values: dict[tuple[str, ...], str]) -> None:
        """Several `remember`s in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for parts, value in values.items():
                pipe.set(self.keys(*parts), value, ex=self.settings.record_seconds)
            await pipe.execute()

    async def recall(self, *parts: str) -> str | None:
        raw = await self.redis.get(self.keys(*parts))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def release_conversation(self, conversation_id: str, message_id: str) -> None:
        """Free the conversation for its next turn (the lock the gateway took for this one)."""
        key = self.keys("conv", conversation_id, "lock")
        await release_if_owner(self.redis, key, message_id)


async def release_if_owner(redis: Redis, key: str, owner: str) -> None:
    """Delete `key` only while it still holds `owner` (WATCH/MULTI: no Lua needed, so the
    embedded in-process Redis works too)."""
    async with redis.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(key)
            current = await pipe.get(key)
            if current is None or _text(current) != owner:
                await pipe.unwatch()  # type: ignore[no-untyped-call]
                return
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.delete(key)
            await pipe.execute()
        except WatchError:
            pass  # taken over meanwhile: not ours to delete


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
