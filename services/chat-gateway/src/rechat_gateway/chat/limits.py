"""Admission of a new turn: the per-user rate limit of generations and the
one-generation-per-conversation lock (Redis), checked together in one round trip."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from rechat_shared.conversation_lock import release_conversation
from rechat_shared.errors import ConversationBusy, RateLimited
from rechat_shared.redis import Keys


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
        rate_key = self._keys.chat_rate(user_id, bucket)
        lock_key = self._keys.conversation_lock(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(rate_key)
            pipe.expire(rate_key, self._window + 1)
            pipe.set(lock_key, message_id, nx=True, ex=self._lock_ttl)
            count, _, locked = await pipe.execute()
        if int(count) > self._limit:
            if locked:
                await self._redis.delete(lock_key)
            retry_after = int((bucket + 1) * self._window - time.time()) + 1
            raise RateLimited(retry_after=retry_after)
        if not locked:
            raise ConversationBusy()

    async def release(self, conversation_id: str, message_id: str) -> None:
        await release_conversation(self._redis, self._keys, conversation_id, message_id)
