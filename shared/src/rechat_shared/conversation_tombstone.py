"""A deleted conversation's mark in Redis: history sets it when the user deletes, the gateway
refuses new turns on it at once (404, no Dify call) and a worker holding a turn accepted just
before does not continue the Dify conversation.

History's own tombstone row is the lasting record; this key covers what the gateway caches (its
record of new conversations, the ownership cache) and the worker's memory of the Dify id (kept:
the gateway reads it to delete the Dify conversation when history never learnt its id).
"""

from __future__ import annotations

from redis.asyncio import Redis

from rechat_shared.redis import Keys

TOMBSTONE_SECONDS = 7 * 24 * 3600
"""As long as the gateway's records of a conversation live (`GATEWAY_MESSAGE_RECORD_SECONDS`)."""


async def mark_deleted(redis: Redis, keys: Keys, conversation_ids: list[str]) -> None:
    """Mark the conversations deleted (one round trip)."""
    if not conversation_ids:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for conversation_id in conversation_ids:
            pipe.set(keys.conversation_deleted(conversation_id), "1", ex=TOMBSTONE_SECONDS)
        await pipe.execute()


async def is_deleted(redis: Redis, keys: Keys, conversation_id: str) -> bool:
    return bool(await redis.exists(keys.conversation_deleted(conversation_id)))
