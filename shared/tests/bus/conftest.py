"""Fixtures for the bus contract tests: every test runs against RabbitMQ and the in-process bus,
with its own name prefix so queues never leak messages between tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

import aio_pika
import pytest

from rechat_shared.bus import EventBus, MemoryBus, create_bus
from rechat_shared.bus.rabbit import RabbitBus
from rechat_shared.testing.infra import delete_rabbit_names


class BusFactory(Protocol):
    def __call__(self, *, retry_delay: float = 0.01) -> Awaitable[EventBus]: ...


@pytest.fixture(params=["rabbit", "memory"])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bus_prefix(rabbit_prefix: str, rabbitmq_url: str) -> AsyncIterator[str]:
    prefix = f"{rabbit_prefix}{uuid.uuid4().hex[:6]}."
    yield prefix
    await delete_rabbit_names(rabbitmq_url, prefix)


@pytest.fixture
async def make_bus(bus_kind: str, bus_prefix: str, rabbitmq_url: str) -> AsyncIterator[BusFactory]:
    """Connected buses of the test's kind on one prefix (several = several processes)."""
    opened: list[EventBus] = []
    url = rabbitmq_url if bus_kind == "rabbit" else f"memory://{bus_prefix}"

    async def make(*, retry_delay: float = 0.01) -> EventBus:
        bus = create_bus(url, bus_prefix, retry_delay=retry_delay)
        await bus.connect()
        opened.append(bus)
        return bus

    yield make
    for bus in opened:
        await bus.close(grace=1)


async def publish_raw(bus: EventBus, routing_key: str, body: bytes) -> None:
    """Publish a body that is not a valid event (what a buggy or foreign publisher sends)."""
    if isinstance(bus, MemoryBus):
        from rechat_shared.bus.memory import _Message

        bus.broker.route("rechat.events", _Message(body, routing_key, "raw", None))
        return
    assert isinstance(bus, RabbitBus)
    connection = await aio_pika.connect(bus.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(bus.topology.name("rechat.events"))
        await exchange.publish(aio_pika.Message(body, message_id="raw"), routing_key=routing_key)


async def queue_depth(bus: EventBus, queue: str) -> int:
    """Messages ready in a queue (not counting ones a consumer holds unacked)."""
    if isinstance(bus, MemoryBus):
        return bus.broker.depth(queue)
    assert isinstance(bus, RabbitBus)
    connection = await aio_pika.connect(bus.url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(bus.topology.name(queue), passive=True)
        return int(declared.declaration_result.message_count or 0)
