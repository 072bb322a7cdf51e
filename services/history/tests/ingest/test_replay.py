"""Replaying a recorded event sequence three times, shuffled, in random batches, gives exactly
the rows that one in-order pass gives (real MariaDB), whether a batch is written by one
transaction or split among concurrent ones."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rechat_history.consumers import HistoryConsumer
from rechat_history.ingest.service import IncomingEvent, partition
from rechat_history.models import Base
from rechat_history.testing import ChatScript, new_id
from rechat_shared.events import ChatFeedback, UserChanged
from rechat_shared.testing.plugin import truncate_tables

TABLES = ["messages", "conversations", "message_feedback", "usage_records", "erased_users"]


def recorded_sequence(script: ChatScript) -> list[IncomingEvent]:
    """Three users' chats with every kind of event: turns, a regenerated answer, a stopped and
    a failed answer, a request the workers dead-lettered, ratings changed, titles replaced,
    Chinese text, and one account deleted halfway."""
    events: list[IncomingEvent] = []

    def add(*items: Any, dead: bool = False) -> None:
        events.extend(IncomingEvent(item, dead) for item in items)

    for user in ("ada", "bo", "cy"):
        for index in range(3):
            conversation = new_id()
            first = script.request(user, conversation, f"{user} question {index} 你好世界")
            add(first, script.completed(first, f"answer to {user} {index}"))
            add(script.titled(user, conversation, f"Title {index}"))
            second = script.request(user, conversation, "follow-up")
            add(second, script.completed(second, "partial", status="stopped"))
            again = script.request(user, conversation, "follow-up", regenerate_of=second.message_id)
            add(again, script.failed(again, partial="par"))
            add(script.feedback(first, "like"), script.feedback(first, "dislike"))
            add(script.titled(user, conversation, f"Better title {index}"))
            lost = script.request(user, conversation, "never answered")
            add(lost)
            add(lost, dead=True)
        if user == "bo":
            add(UserChanged(user_id="cy", change="deleted", occurred_at=script.tick()))
    return events


async def _store(
    consumer: HistoryConsumer, events: list[IncomingEvent], rng: random.Random
) -> None:
    position = 0
    while position < len(events):
        size = rng.randint(1, 40)
        await consumer.store(events[position : position + size])
        position += size


async def _snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple[Any, ...]]]:
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            key = [column for column in table.primary_key.columns]
            rows = await session.execute(select(table).order_by(*key))
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


@pytest.mark.parametrize("writers", [1, 3])
async def test_shuffled_triple_replay_equals_one_ordered_pass(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    consumer_sessions: async_sessionmaker[AsyncSession],
    script: ChatScript,
    writers: int,
) -> None:
    events = recorded_sequence(script)
    consumer = HistoryConsumer(consumer_sessions, transient_retry_seconds=0, writers=writers)
    rng = random.Random(20261124)

    await _store(consumer, events, rng)
    ordered = await _snapshot(sessions)
    assert len(ordered["conversations"]) == 6  # cy's three are gone
    assert len(ordered["messages"]) == 6 * 8
    assert len(ordered["erased_users"]) == 1

    await truncate_tables(engine, TABLES)
    replay = events * 3
    rng.shuffle(replay)
    await _store(consumer, replay, rng)
    assert await _snapshot(sessions) == ordered


def test_a_split_batch_keeps_each_conversation_and_each_rating_together(
    script: ChatScript,
) -> None:
    events = [item for item in recorded_sequence(script) if item.event.type != "user.changed"]
    parts = partition(events, 3)
    assert len(parts) > 1
    assert sorted(map(id, events)) == sorted(id(item) for part in parts for item in part)
    for part in parts:
        owned = {key for item in part for key in _keys(item)}
        others = {
            key for other in parts if other is not part for item in other for key in _keys(item)
        }
        assert not owned & others


def test_a_batch_with_an_erasure_stays_whole(script: ChatScript) -> None:
    events = recorded_sequence(script)
    assert partition(events, 3) == [events]


def _keys(item: IncomingEvent) -> set[str]:
    """What a part locks for this event: its conversation, or the rated message."""
    event = item.event
    if isinstance(event, ChatFeedback):
        return {f"rating:{event.message_id}"}
    return {f"conversation:{getattr(event, 'conversation_id', '')}"}
