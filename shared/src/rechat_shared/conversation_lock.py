"""The one-generation-per-conversation lock: the gateway takes it, the worker frees it.

The key holds the id of the answer being generated, so only that generation can free it; it
expires by itself should nobody release it (a generation that vanished).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import WatchError

from rechat_shared.redis import Keys


async def release_conversation(
    redis: Redis, keys: Keys, conversation_id: str, message_id: str
) -> None:
    """Free the conversation if `message_id` still holds it (WATCH/MULTI rather than Lua, so
    the embedded in-process Redis works too)."""
    key = keys.conversation_lock(conversation_id)
    async with redis.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(key)
            current = await pipe.get(key)
            if current is None or _text(current) != message_id:
                await pipe.unwatch()  # type: ignore[no-untyped-call]
                return
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.delete(key)
            await pipe.execute()
        except WatchError:
            pass  # taken over meanwhile: not ours to free


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
