"""Admission of turns on real Redis: the message rate is a sliding window (no burst of twice
the limit around a window's edge), and one user's answers in flight are capped, so nobody takes
every answer slot."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from rechat_gateway.chat import redis_repository
from rechat_gateway.chat.redis_repository import TurnGate
from rechat_shared.conversation_lock import release_conversation
from rechat_shared.errors import AnswersInFlight, RateLimited
from rechat_shared.redis import Keys


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def new_id() -> str:
    return uuid.uuid4().hex


async def test_the_rate_window_slides(
    redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_059.0]  # a second before a fixed window of 60 s would end
    monkeypatch.setattr(redis_repository.time, "time", lambda: clock[0])
    gate = TurnGate(redis, Keys(redis_prefix), limit=3, window=60, lock_ttl=600, in_flight=10)
    for _ in range(3):
        await gate.admit("user-1", new_id(), new_id())
    clock[0] += 2  # past the edge: a fixed window would take three more
    with pytest.raises(RateLimited) as refused:
        await gate.admit("user-1", new_id(), new_id())
    assert 55 <= refused.value.retry_after <= 60
    clock[0] += 58.5  # the first three are a minute old now
    await gate.admit("user-1", new_id(), new_id())


async def test_answers_in_flight_are_capped_per_user(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    gate = TurnGate(redis, keys, limit=100, window=60, lock_ttl=600, in_flight=4)
    flying = [(new_id(), new_id()) for _ in range(4)]
    for conversation, message in flying:
        await gate.admit("greedy", conversation, message)
    with pytest.raises(AnswersInFlight) as refused:
        await gate.admit("greedy", new_id(), new_id())
    assert refused.value.code == "answers_in_flight"
    await gate.admit("patient", new_id(), new_id())  # another user is not affected

    conversation, message = flying[0]
    await release_conversation(redis, keys, conversation, message)  # the worker ends one
    await gate.admit("greedy", new_id(), new_id())
    with pytest.raises(AnswersInFlight):
        await gate.admit("greedy", new_id(), new_id())
