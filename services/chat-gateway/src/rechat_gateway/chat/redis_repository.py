"""Everything the gateway keeps in Redis: the only module of chat/ that reads or writes its keys
(the conversation lock's release, shared with the worker, is `rechat_shared.conversation_lock`;
the answers' streams are the stream hub's).

`Records`: what the gateway remembers about each answer and each new conversation. History is
the read model, but it learns about a turn only when it consumes the event; these records let
the gateway authorise the next request at once (resume, stop, feedback, regenerate, a follow-up
turn typed faster than history consumes).

`TurnGate`: admission of a new turn: the per-user message rate (a sliding window), the per-user
cap on answers in flight, and the one-generation-per-conversation lock, taken together in one
round trip (plus one for the in-flight answers' locks when the user has any).

An answer is in flight while it holds its conversation's lock (the worker frees it before
`done`, and it expires should nobody free it): the gateway keeps a user's in-flight answers in a
sorted set and counts the members whose lock is still theirs, so nothing has to tell it when an
answer ends.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from rechat_shared.conversation_lock import release_conversation
from rechat_shared.conversation_tombstone import is_deleted
from rechat_shared.errors import AnswersInFlight, ConversationBusy, RateLimited
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

    async def set_last_answer(self, conversation_id: str, message_id: str) -> None:
        """The conversation's newest answer: Dify's last turn, the only one regenerate may
        replace (Dify's Service API cannot branch, see docs/ARCHITECTURE.md)."""
        key = self._keys.conversation_last_answer(conversation_id)
        await self._redis.set(key, message_id, ex=self._ttl)

    async def last_answer(self, conversation_id: str) -> str | None:
        raw = await self._redis.get(self._keys.conversation_last_answer(conversation_id))
        return None if raw is None else _text(raw)

    async def deleted(self, conversation_id: str) -> bool:
        """History marked the conversation deleted (`rechat_shared.conversation_tombstone`)."""
        return await is_deleted(self._redis, self._keys, conversation_id)

    async def dify_conversation_id(self, conversation_id: str) -> str | None:
        """Written by the worker at the first Dify event of a conversation."""
        raw = await self._redis.get(self._keys.dify_conversation(conversation_id))
        return None if raw is None else _text(raw)

    async def dify_message_id(self, message_id: str) -> str | None:
        """Written by the worker when Dify names the answer's message id."""
        raw = await self._redis.get(self._keys.dify_message(message_id))
        return None if raw is None else _text(raw)


IN_FLIGHT_RETRY_SECONDS = 5


class TurnGate:
    """At most `limit` turns per user in any `window` seconds, at most `in_flight` answers per
    user at once, and one at a time per conversation (the lock expires after `lock_ttl`)."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        limit: int,
        window: int,
        lock_ttl: int,
        in_flight: int = 4,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._limit = limit
        self._window = window
        self._lock_ttl = lock_ttl
        self._in_flight = in_flight

    async def admit(self, user_id: str, conversation_id: str, message_id: str) -> None:
        """Count the turn and take the conversation's lock; 429 or 409 (nothing kept) when
        refused."""
        now = time.time()
        rate_key = self._keys.chat_rate(user_id)
        flight_key = self._keys.answers_in_flight(user_id)
        lock_key = self._keys.conversation_lock(conversation_id)
        member = f"{conversation_id} {message_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(rate_key, "-inf", now - self._window)
            pipe.zadd(rate_key, {message_id: now})
            pipe.zcard(rate_key)
            pipe.zrange(rate_key, 0, 0, withscores=True)
            pipe.expire(rate_key, self._window + 1)
            pipe.zremrangebyscore(flight_key, "-inf", now)
            pipe.zadd(flight_key, {member: now + self._lock_ttl})
            pipe.zrange(flight_key, 0, -1)
            pipe.expire(flight_key, self._lock_ttl + 1)
            pipe.set(lock_key, message_id, nx=True, ex=self._lock_ttl)
            answers = await pipe.execute()
        count, oldest, flying, locked = answers[2], answers[3], answers[7], answers[9]
        try:
            if count > self._limit:
                first_at = oldest[0][1] if oldest else now
                raise RateLimited(retry_after=int(first_at + self._window - now) + 1)
            if not locked:
                raise ConversationBusy()
            others = [_text(raw) for raw in flying if _text(raw) != member]
            if others and await self._still_flying(flight_key, others) >= self._in_flight:
                raise AnswersInFlight(retry_after=IN_FLIGHT_RETRY_SECONDS)
        except (RateLimited, ConversationBusy, AnswersInFlight):
            await self._undo(rate_key, flight_key, message_id, member, locked, conversation_id)
            raise

    async def _still_flying(self, flight_key: str, members: list[str]) -> int:
        """How many of the members still hold their conversation's lock (the rest ended and
        are dropped)."""
        pairs = [member.split(" ", 1) for member in members]
        holders = await self._redis.mget(
            [self._keys.conversation_lock(conversation) for conversation, _ in pairs]
        )
        ended = [
            member
            for member, (_, message), holder in zip(members, pairs, holders, strict=True)
            if holder is None or _text(holder) != message
        ]
        if ended:
            await self._redis.zrem(flight_key, *ended)
        return len(members) - len(ended)

    async def _undo(
        self,
        rate_key: str,
        flight_key: str,
        message_id: str,
        member: str,
        locked: bool,
        conversation_id: str,
    ) -> None:
        """A refused turn counts for nothing (retrying a refused message never extends the
        wait) and holds nothing."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(rate_key, message_id)
            pipe.zrem(flight_key, member)
            await pipe.execute()
        if locked:
            await self.release(conversation_id, message_id)

    async def release(self, conversation_id: str, message_id: str) -> None:
        await release_conversation(self._redis, self._keys, conversation_id, message_id)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
