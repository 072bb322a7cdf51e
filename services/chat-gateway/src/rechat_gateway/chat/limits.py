"""Admission of a new turn: the per-user rate limit of generations and the
one-generation-per-conversation lock (Redis), checked together in one round trip."""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import WatchError

from rechat_shared.errors import Conflict, TooManyRequests
from rechat_shared.redis import Keys


def conversation_lock_key(keys: Keys, conversation_id: str) -> str:
    """The lock the gateway takes and the worker releases when the answer ends."""
    return keys("conv", conversation_id, "lock")


class TurnGate:
    """At most `limit` generations per user per fixed `window` seconds, and one at a time per
    conversation (the lock expires after `lock_ttl` seconds should nobody release it)."""

    def __init__(self, redis: Redis, keys: Keys, limit: int, window: int, lock_ttl: int) -> None:
        self._redis = redis
        self._keys = keys
        self._limit = limit
        self._window = window
        self._lock_ttl = lock_ttl

    async def admit(self, user_id: str, conversation_id: str, message_id: str) -> None:
        """Count the request and take the conversation's lock; 429 or 409 when refused."""
        bucket = int(time.time() // self._window)
        rate_key = self._keys("gateway", "rate", user_id, str(bucket))
        lock_key = conversation_lock_key(self._keys, conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(rate_key)
            pipe.expire(rate_key, self._window + 1)
            pipe.set(lock_key, message_id, nx=True, ex=self._lock_ttl)
            count, _, locked = await pipe.execute()
        if int(count) > self._limit:
            if locked:
                await self._redis.delete(lock_key)
            retry_after = int((bucket + 1) * self._window - time.time()) + 1
            raise TooManyRequests(
                "Too many messages; try again shortly", retry_after=retry_after, code="rate_limited"
            )
        if not locked:
            raise Conflict(
                "An answer is still being generated in this conversation",
                code="conversation_busy",
            )

    async def release(self, conversation_id: str, message_id: str) -> None:
        key = conversation_lock_key(self._keys, conversation_id)
        await release_if_owner(self._redis, key, message_id)


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
