"""RabbitMQ-only behaviour: failing fast when the broker is away, reconnecting by itself, and
redelivery after a connection dies without acking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aio_pika
import pytest

from rechat_shared.bus import REQUESTS_QUEUE, BusUnavailable, Delivery
from rechat_shared.bus.rabbit import RabbitBus
from rechat_shared.logging import trace_id_var
from rechat_shared.testing.polling import eventually
from rechat_shared.testing.processes import free_port

from .factories import chat_requested
from .proxy import FlakyProxy


@pytest.fixture
async def proxy(rabbitmq_url: str) -> AsyncIterator[FlakyProxy]:
    upstream = urlsplit(rabbitmq_url)
    flaky = FlakyProxy(upstream.hostname or "127.0.0.1", upstream.port or 5672)
    await flaky.start()
    yield flaky
    await flaky.go_down()


def proxied_url(rabbitmq_url: str, port: int) -> str:
    upstream = urlsplit(rabbitmq_url)
    return upstream._replace(
        netloc=f"{upstream.username}:{upstream.password}@127.0.0.1:{port}"
    ).geturl()


async def test_connect_and_publish_fail_fast_when_the_broker_is_away(bus_prefix: str) -> None:
    bus = RabbitBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/", bus_prefix)
    async with asyncio.timeout(30):  # typed errors, not a connect that retries forever
        with pytest.raises(BusUnavailable):
            await bus.connect()
        with pytest.raises(BusUnavailable):
            await bus.publish(chat_requested())


async def test_publish_fails_fast_when_the_connection_drops_or_stalls(
    proxy: FlakyProxy, rabbitmq_url: str, bus_prefix: str
) -> None:
    bus = RabbitBus(proxied_url(rabbitmq_url, proxy.port), bus_prefix, publish_timeout=1.0)
    await bus.connect()
    try:
        await bus.publish(chat_requested())
        proxy.stalled = True  # the broker stops answering: no confirm comes back
        with pytest.raises(BusUnavailable, match="did not confirm"):
            async with asyncio.timeout(30):
                await bus.publish(chat_requested())
        await proxy.go_down()
        await eventually(lambda: not bus.connected, timeout=30)
        # refused at once, without waiting for a confirm
        with pytest.raises(BusUnavailable, match="not connected"):
            await bus.publish(chat_requested())
    finally:
        await bus.close(grace=0)


async def test_reconnects_and_consumers_resume_after_the_broker_returns(
    proxy: FlakyProxy, rabbitmq_url: str, bus_prefix: str
) -> None:
    bus = RabbitBus(proxied_url(rabbitmq_url, proxy.port), bus_prefix)
    await bus.connect()
    received: list[str] = []

    async def handle(delivery: Delivery) -> None:
        received.append(delivery.event.event_id)

    await bus.consume(REQUESTS_QUEUE, handle, concurrency=2)
    first = chat_requested()
    await bus.publish(first)
    await eventually(lambda: received == [first.event_id])

    await proxy.go_down()
    await eventually(lambda: not bus.connected, timeout=5)
    await asyncio.sleep(0.3)  # a few refused reconnection attempts
    await proxy.start()  # same port: the broker is back

    second = chat_requested()

    async def published() -> bool:
        try:
            await bus.publish(second)
        except BusUnavailable:
            return False
        return True

    try:
        await eventually(published, timeout=15)
        await eventually(lambda: received == [first.event_id, second.event_id], timeout=10)
    finally:
        await bus.close(grace=1)


async def test_connection_lost_mid_handler_redelivers_with_count(
    rabbitmq_url: str, bus_prefix: str
) -> None:
    dying = RabbitBus(rabbitmq_url, bus_prefix)
    survivor = RabbitBus(rabbitmq_url, bus_prefix)
    await dying.connect()
    await survivor.connect()
    started = asyncio.Event()
    redelivered: list[Delivery] = []

    async def stuck(delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()

    async def finish(delivery: Delivery) -> None:
        redelivered.append(delivery)

    try:
        await dying.consume(REQUESTS_QUEUE, stuck)
        request = chat_requested()
        await survivor.publish(request)
        await asyncio.wait_for(started.wait(), 10)
        connection = dying._connection
        assert connection is not None
        await connection.close()  # like a SIGKILL: no ack, no nack; the broker requeues
        await survivor.consume(REQUESTS_QUEUE, finish)
        await eventually(lambda: len(redelivered) == 1)
        assert redelivered[0].event == request
        assert redelivered[0].redelivered
        assert redelivered[0].delivery_count == 1
    finally:
        await dying.close(grace=0)
        await survivor.close(grace=1)


async def test_a_topology_with_other_arguments_is_reported_not_crashed(
    rabbitmq_url: str, bus_prefix: str
) -> None:
    first = RabbitBus(rabbitmq_url, bus_prefix, delivery_limit=3)
    await first.connect()
    try:
        with pytest.raises(BusUnavailable, match="declare the topology"):
            await RabbitBus(rabbitmq_url, bus_prefix, delivery_limit=5).connect()
        await first.publish(chat_requested())  # the existing topology is untouched
    finally:
        await first.close()


async def test_messages_carry_persistence_id_type_schema_and_trace(
    rabbitmq_url: str, bus_prefix: str
) -> None:
    bus = RabbitBus(rabbitmq_url, bus_prefix)
    await bus.connect()
    request = chat_requested()
    token = trace_id_var.set("trace-xyz")
    try:
        await bus.publish(request)
    finally:
        trace_id_var.reset(token)
    connection = await aio_pika.connect(rabbitmq_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.topology.name(REQUESTS_QUEUE), passive=True)
        message = await queue.get(timeout=5)
        assert message is not None
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.message_id == request.event_id
        assert message.content_type == "application/json"
        assert message.headers["x-schema-version"] == request.schema_version
        assert message.headers["x-trace-id"] in ("trace-xyz", b"trace-xyz")
        await message.ack()
    finally:
        await connection.close()
        await bus.close()
