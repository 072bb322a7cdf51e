"""The consumer on the real broker: poison messages are parked while the rest flows on, a
request the workers gave up on marks its answer failed, and a history process stopped under
a stream of events loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rechat_history.app import create_app
from rechat_history.config import Settings
from rechat_history.consumers import create_consumer_engine
from rechat_history.models import Conversation, Message, UsageRecord
from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.bus import PARKED_QUEUE, REQUESTS_QUEUE, Delivery, EventBus, create_bus
from rechat_shared.bus.topology import EVENTS_EXCHANGE
from rechat_shared.testing.infra import delete_rabbit_names
from rechat_shared.testing.polling import eventually


@pytest.fixture
async def bus_prefix(rabbit_prefix: str, rabbitmq_url: str) -> AsyncIterator[str]:
    """Exchanges and queues of this test alone (other suites publish under the run prefix)."""
    prefix = f"{rabbit_prefix}h{uuid.uuid4().hex[:6]}."
    yield prefix
    await delete_rabbit_names(rabbitmq_url, prefix)


@pytest.fixture
async def publisher(rabbitmq_url: str, bus_prefix: str) -> AsyncIterator[EventBus]:
    bus = create_bus(rabbitmq_url, bus_prefix)
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def consuming(
    settings: Settings, keyring: KeyRing, rabbitmq_url: str, bus_prefix: str
) -> AsyncIterator[None]:
    """The history app in-process with its consumer on the real broker."""
    keyring.redis_url, keyring.redis_prefix = settings.redis_url, settings.redis_prefix
    app = create_app(
        settings.model_copy(
            update={
                "consume_events": True,
                "rabbitmq_url": rabbitmq_url,
                "rabbitmq_prefix": bus_prefix,
                "transient_retry_seconds": 1.0,
            }
        ),
        key_source=keyring,
    )
    async with LifespanManager(app):
        yield


async def _count(sessions: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _parked(rabbitmq_url: str, prefix: str) -> list[bytes]:
    connection = await aio_pika.connect(rabbitmq_url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(f"{prefix}{PARKED_QUEUE}", ensure=False)
        bodies = []  # left unacknowledged: closing the connection puts them back
        while (message := await queue.get(fail=False, no_ack=False)) is not None:
            bodies.append(message.body)
        return bodies
    finally:
        await connection.close()


async def _publish_raw(rabbitmq_url: str, prefix: str, body: bytes, routing_key: str) -> None:
    connection = await aio_pika.connect(rabbitmq_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{prefix}{EVENTS_EXCHANGE}", ensure=False)
        await exchange.publish(aio_pika.Message(body, message_id=new_id()), routing_key)
    finally:
        await connection.close()


@pytest.mark.usefixtures("consuming")
async def test_poison_events_are_parked_and_the_consumer_goes_on(
    publisher: EventBus,
    sessions: async_sessionmaker[AsyncSession],
    script: ChatScript,
    rabbitmq_url: str,
    bus_prefix: str,
) -> None:
    before = script.turn("poison-user", new_id(), "before", "answer")
    for event in before:
        await publisher.publish(event)
    await _publish_raw(rabbitmq_url, bus_prefix, b"{not json", "chat.completed")
    unstorable = script.request("poison-user", "x" * 100, "a conversation id too long to store")
    await publisher.publish(unstorable)
    after = [script.turn("poison-user", new_id(), f"after {i}", "answer") for i in range(5)]
    for turn in after:
        for event in turn:
            await publisher.publish(event)

    async def stored() -> bool:
        return await _count(sessions, Message, Message.user_id == "poison-user") == 12

    await eventually(stored)

    async def parked() -> bool:
        return len(await _parked(rabbitmq_url, bus_prefix)) == 2

    await eventually(parked)
    bodies = await _parked(rabbitmq_url, bus_prefix)
    assert b"{not json" in bodies
    assert any(unstorable.event_id.encode() in body for body in bodies)


@pytest.mark.usefixtures("consuming")
async def test_a_request_the_workers_gave_up_on_is_marked_failed(
    publisher: EventBus, sessions: async_sessionmaker[AsyncSession], script: ChatScript
) -> None:
    async def always_fail(delivery: Delivery) -> None:
        raise RuntimeError("worker keeps crashing")

    worker = await publisher.consume(REQUESTS_QUEUE, always_fail)
    request = script.request("dead-user", new_id(), "doomed")
    await publisher.publish(request)

    async def failed() -> bool:
        async with sessions() as session:
            answer = await session.get(Message, request.message_id)
            return answer is not None and answer.status == "failed"

    await eventually(failed)
    await worker.stop()


async def test_stopped_under_a_stream_then_started_loses_and_duplicates_nothing(
    service_process: Callable[..., Any],
    publisher: EventBus,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    script: ChatScript,
    rabbitmq_url: str,
    redis_url: str,
    bus_prefix: str,
) -> None:
    env = {
        "HISTORY_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "HISTORY_MIGRATE_ON_START": "false",
        "REDIS_URL": redis_url,
        "RABBITMQ_URL": rabbitmq_url,
        "RABBITMQ_PREFIX": bus_prefix,
        "LOG_FORMAT": "text",
    }
    history = service_process("rechat_history", env=env, ready_path="/readyz")
    users = [f"stream-{index}" for index in range(4)]
    turns = 240
    try:
        for index in range(turns):
            request, completed = script.turn(users[index % 4], new_id(), f"q{index}", f"a{index}")
            await publisher.publish(request)
            await publisher.publish(completed)
            if index == turns // 3:
                history.kill()  # no goodbye: whatever was in flight comes back redelivered
            if index == 2 * turns // 3:
                history.start()
            await asyncio.sleep(0.005)

        async def all_stored() -> bool:
            done = await _count(
                sessions,
                Message,
                Message.user_id.in_(users),
                Message.role == "assistant",
                Message.status == "done",
            )
            return done == turns

        await eventually(all_stored, timeout=60)
    finally:
        history.stop()
    assert await _count(sessions, Message, Message.user_id.in_(users)) == 2 * turns
    assert await _count(sessions, Conversation, Conversation.user_id.in_(users)) == turns
    assert await _count(sessions, UsageRecord, UsageRecord.user_id.in_(users)) == turns


async def test_the_consumer_connections_read_committed(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    consumer_engine = create_consumer_engine(url, writers=1)
    try:
        async with consumer_engine.connect() as connection:
            level = await connection.get_isolation_level()
    finally:
        await consumer_engine.dispose()
    assert level == "READ COMMITTED"
