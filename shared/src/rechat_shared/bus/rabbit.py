"""RabbitMQ event bus (aio-pika, robust connections): the topology of DESIGN §3, publisher
confirms with a bounded wait, manual acks after the handler, prefetch = concurrency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pamqp.common import FieldTable
from pydantic import ValidationError

from rechat_shared.bus.base import (
    DEFAULT_DELIVERY_LIMIT,
    DEFAULT_PUBLISH_TIMEOUT,
    DEFAULT_RETRY_DELAY,
    BatchHandler,
    BusUnavailable,
    Consumer,
    Delivery,
    EventHandler,
)
from rechat_shared.bus.consuming import (
    TaskGroupStopper,
    batch_trace,
    call_traced,
    gather_batch,
    pause_before_retry,
    publish_headers,
)
from rechat_shared.bus.decoding import decode_delivery
from rechat_shared.bus.topology import EVENTS_EXCHANGE, EXCHANGES, QUEUES, Topology, queue_spec
from rechat_shared.events import BusEvent

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
RECONNECT_INTERVAL = 1.0


def _table(values: Mapping[str, str | int]) -> FieldTable:
    return dict(values.items())


async def declare_topology(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    """Declare every exchange, queue and binding (idempotent); returns the events exchange."""
    exchanges: dict[str, AbstractExchange] = {}
    for spec in EXCHANGES:
        exchanges[spec.name] = await channel.declare_exchange(
            topology.name(spec.name), aio_pika.ExchangeType(spec.type), durable=True
        )
    for queue_spec_ in QUEUES:
        queue = await channel.declare_queue(
            topology.name(queue_spec_.name),
            durable=True,
            arguments=_table(topology.queue_arguments(queue_spec_)),
        )
        for exchange, pattern in queue_spec_.bindings:
            await queue.bind(exchanges[exchange], routing_key=pattern)
    return exchanges[EVENTS_EXCHANGE]


class RabbitBus:
    """`EventBus` on RabbitMQ: one robust connection, a confirming publish channel, and one
    channel per consumer (its prefetch is the consumer's concurrency)."""

    def __init__(
        self,
        url: str,
        prefix: str = "",
        *,
        delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        self.url = url
        self.retry_delay = retry_delay
        self.topology = Topology(prefix, delivery_limit)
        self.publish_timeout = publish_timeout
        self.connect_timeout = connect_timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[_RabbitConsumer] = []

    async def connect(self) -> None:
        if self._connection is not None and not self._connection.is_closed:
            return
        try:
            async with asyncio.timeout(self.connect_timeout):
                connection = await aio_pika.connect_robust(
                    self.url,
                    timeout=self.connect_timeout,
                    reconnect_interval=RECONNECT_INTERVAL,
                    client_properties={"connection_name": f"rechat {self.topology.prefix}"},
                )
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
            raise BusUnavailable(f"The message broker is unreachable: {exc!r}") from exc
        try:
            async with asyncio.timeout(self.connect_timeout):
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                self._exchange = await declare_topology(channel, self.topology)
        except (TimeoutError, OSError, RuntimeError, aio_pika.exceptions.AMQPError) as exc:
            await connection.close()
            # PRECONDITION_FAILED here means a queue exists with other arguments (say another
            # delivery limit): an operator must delete it or align RABBITMQ settings.
            raise BusUnavailable(f"Could not declare the topology: {exc!r}") from exc
        except BaseException:
            await connection.close()
            raise
        self._connection = connection

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.connected.is_set()

    async def publish(self, event: BusEvent) -> None:
        if self._exchange is None or not self.connected:
            raise BusUnavailable("The message broker is not connected")
        message = aio_pika.Message(
            event.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.event_id,
            type=event.routing_key,
            headers=_table(publish_headers(event)),
        )
        try:
            async with asyncio.timeout(self.publish_timeout):
                await self._exchange.publish(message, routing_key=event.routing_key)
        except TimeoutError as exc:
            raise BusUnavailable("The message broker did not confirm the event in time") from exc
        except (OSError, RuntimeError, aio_pika.exceptions.AMQPError) as exc:
            raise BusUnavailable(f"The message broker refused the event: {exc!r}") from exc

    async def _consumer(self, queue: str, prefetch: int) -> _RabbitConsumer:
        if self._connection is None:
            raise BusUnavailable("connect() the bus before consuming")
        spec = queue_spec(queue)
        try:
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=prefetch)
            amqp_queue = await channel.declare_queue(
                self.topology.name(spec.name),
                durable=True,
                arguments=_table(self.topology.queue_arguments(spec)),
            )
        except (OSError, RuntimeError, aio_pika.exceptions.AMQPError) as exc:
            raise BusUnavailable(f"Could not start consuming {queue}: {exc!r}") from exc
        consumer = _RabbitConsumer(self.topology, channel, amqp_queue, self.retry_delay)
        self._consumers.append(consumer)
        return consumer

    async def consume(self, queue: str, handler: EventHandler, *, concurrency: int = 1) -> Consumer:
        concurrency = max(1, concurrency)
        consumer = await self._consumer(queue, concurrency)
        for index in range(concurrency):
            consumer.stopper.spawn(consumer.run_single(handler), f"bus:{queue}:{index}")
        await consumer.start()
        return consumer

    async def consume_batch(
        self,
        queue: str,
        handler: BatchHandler,
        *,
        max_batch: int = 100,
        max_wait: float = 0.005,
    ) -> Consumer:
        # Prefetch two batches: the next one arrives while this one is handled, instead of
        # only after its ack (a batch's multiple-ack covers exactly its own deliveries, since
        # the inbox keeps delivery order and batches run one at a time).
        consumer = await self._consumer(queue, 2 * max(1, max_batch))
        consumer.stopper.spawn(consumer.run_batches(handler, max_batch, max_wait), f"bus:{queue}")
        await consumer.start()
        return consumer

    async def close(self, grace: float | None = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        for consumer in consumers:
            await consumer.stop(grace)
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            await connection.close()


class _RabbitConsumer:
    def __init__(
        self,
        topology: Topology,
        channel: AbstractChannel,
        queue: AbstractQueue,
        retry_delay: float,
    ) -> None:
        self.topology = topology
        self.retry_delay = retry_delay
        self.channel = channel
        self.queue = queue
        self.inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self.stopper = TaskGroupStopper()
        self._tag: str | None = None

    async def start(self) -> None:
        try:
            self._tag = await self.queue.consume(self._receive)
        except (OSError, RuntimeError, aio_pika.exceptions.AMQPError) as exc:
            await self.stop(0)
            raise BusUnavailable(f"Could not start consuming {self.queue.name}: {exc!r}") from exc

    async def _receive(self, message: AbstractIncomingMessage) -> None:
        self.inbox.put_nowait(message)

    async def stop(self, grace: float | None = None) -> None:
        if self._tag is not None and not self.channel.is_closed:
            try:
                await self.queue.cancel(self._tag)
            except (aio_pika.exceptions.AMQPError, RuntimeError, OSError):
                logger.warning("could not cancel the consumer of %s", self.queue.name)
        self._tag = None
        await self.stopper.stop(grace)
        while not self.inbox.empty():  # prefetched but never started: hand them back
            await _settle(self.inbox.get_nowait(), ack=False)
        if not self.channel.is_closed:
            await self.channel.close()

    def _decode(self, message: AbstractIncomingMessage) -> Delivery | None:
        try:
            return decode_delivery(message, self.topology)
        except ValidationError:
            logger.warning("dead-lettering an unparseable message %s", message.message_id)
            return None

    async def run_single(self, handler: EventHandler) -> None:
        while not self.stopper.stopping:
            message = await self.inbox.get()
            with self.stopper.working():
                delivery = self._decode(message)
                if delivery is None:
                    await _settle(message, ack=False, requeue=False)
                    continue
                try:
                    await call_traced(handler, delivery, delivery.trace_id or "-")
                except asyncio.CancelledError:
                    await _settle(message, ack=False)
                    raise
                except Exception:
                    logger.exception("handler failed on %s; requeued", self.queue.name)
                    await pause_before_retry(delivery, self.retry_delay)
                    await _settle(message, ack=False)
                else:
                    await _settle(message, ack=True)

    async def run_batches(self, handler: BatchHandler, max_batch: int, max_wait: float) -> None:
        while not self.stopper.stopping:
            messages = await gather_batch(self.inbox, max_batch, max_wait)
            with self.stopper.working():
                decoded: list[tuple[AbstractIncomingMessage, Delivery]] = []
                for message in messages:
                    delivery = self._decode(message)
                    if delivery is None:
                        await _settle(message, ack=False, requeue=False)
                    else:
                        decoded.append((message, delivery))
                await self._handle_batch(handler, decoded)

    async def _handle_batch(
        self, handler: BatchHandler, decoded: list[tuple[AbstractIncomingMessage, Delivery]]
    ) -> None:
        if not decoded:
            return
        deliveries = [delivery for _, delivery in decoded]
        try:
            await call_traced(handler, deliveries, batch_trace(deliveries))
        except asyncio.CancelledError:
            for message, _ in decoded:
                await _settle(message, ack=False)
            raise
        except Exception:
            if len(decoded) == 1:
                logger.exception("batch handler failed on %s; requeued", self.queue.name)
                await pause_before_retry(decoded[0][1], self.retry_delay)
                await _settle(decoded[0][0], ack=False)
                return
        else:
            # One frame for the batch: every earlier delivery of this channel is settled
            # already (batches run one at a time, rejects happen before), so "multiple" acks
            # exactly these.
            await _settle(decoded[-1][0], ack=True, multiple=True)
            return
        for index, pair in enumerate(decoded):  # find the poison: retry each on its own
            try:
                await self._handle_batch(handler, [pair])
            except asyncio.CancelledError:
                for message, _ in decoded[index + 1 :]:
                    await _settle(message, ack=False)
                raise


async def _settle(
    message: AbstractIncomingMessage, *, ack: bool, requeue: bool = True, multiple: bool = False
) -> None:
    """Ack, nack or reject; a channel lost meanwhile already handed the message back."""
    try:
        if ack:
            await message.ack(multiple=multiple)
        elif requeue:
            await message.nack(requeue=True)
        else:
            await message.reject(requeue=False)
    except (aio_pika.exceptions.AMQPError, RuntimeError, OSError) as exc:
        logger.warning("could not settle message %s: %r", message.message_id, exc)
