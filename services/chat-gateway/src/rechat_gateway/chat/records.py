"""What the gateway remembers in Redis about each answer and each new conversation.

History is the read model, but it learns about a turn only when it consumes the event; these
records let the gateway authorise the next request at once (resume, stop, feedback,
regenerate, a follow-up turn typed faster than history consumes).
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from rechat_shared.redis import Keys


class MessageRecord(BaseModel):
    """One answer: who asked what, where."""

    message_id: str
    user_message_id: str
    user_id: str
    app_id: str
    conversation_id: str
    query: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    files: list[dict[str, Any]] = Field(default_factory=list)
    regenerate_of: str | None = None
    created_at: float = Field(default_factory=time.time)


class ConversationOwner(BaseModel):
    user_id: str
    app_id: str


class Records:
    def __init__(self, redis: Redis, keys: Keys, ttl: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl

    def _message_key(self, message_id: str) -> str:
        return self._keys.gateway_message(message_id)

    def _owner_key(self, conversation_id: str) -> str:
        return self._keys.conversation_owner(conversation_id)

    async def save(self, record: MessageRecord, owner: ConversationOwner | None) -> None:
        """Remember the answer (and, for a new conversation, its owner) in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._message_key(record.message_id), record.model_dump_json(), ex=self._ttl)
            if owner is not None:
                pipe.set(
                    self._owner_key(record.conversation_id), owner.model_dump_json(), ex=self._ttl
                )
            await pipe.execute()

    async def message(self, message_id: str) -> MessageRecord | None:
        raw = await self._redis.get(self._message_key(message_id))
        return None if raw is None else MessageRecord.model_validate_json(raw)

    async def forget_message(self, message_id: str) -> None:
        await self._redis.delete(self._message_key(message_id))

    async def owner(self, conversation_id: str) -> ConversationOwner | None:
        raw = await self._redis.get(self._owner_key(conversation_id))
        return None if raw is None else ConversationOwner.model_validate_json(raw)

    async def forget_owner(self, conversation_id: str) -> None:
        await self._redis.delete(self._owner_key(conversation_id))

    async def dify_conversation_id(self, conversation_id: str) -> str | None:
        """Written by the worker at the first Dify event of a conversation."""
        raw = await self._redis.get(self._keys.dify_conversation(conversation_id))
        return None if raw is None else _text(raw)

    async def dify_message_id(self, message_id: str) -> str | None:
        """Written by the worker when Dify names the answer's message id."""
        raw = await self._redis.get(self._keys.dify_message(message_id))
        return None if raw is None else _text(raw)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
