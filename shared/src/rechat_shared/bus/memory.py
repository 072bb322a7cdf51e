"""In-process event bus for embedded mode: the DESIGN §3 topology, routing and delivery rules
(ack after the handler, requeue on error, delivery limit, dead letters) inside one process."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from rechat_shared.bus.base import (
    DEFAULT_DELIVERY_LIMIT,
    DEFAULT_RETRY_DELAY,
    BatchHandler,
    BusUnavailable,
    Consumer,
    DeadLetter,
    Delivery,
    EventHandler,
)
from rechat_shared.bus.consuming import (
    TaskGroupStopper,
    batch_trace,
    call_traced,
    current_trace_id,
    gather_batch,
    pause_before_retry,
)
from rechat_shared.bus.topology import EVENTS_EXCHANGE, EXCHANGES, QUEUES, Topology, queue_spec
from rechat_shared.events import BusEvent, parse_bus_event

logger = logging.getLogger(__name__)

_brokers: dict[tuple[str, str], MemoryBroker] = {}


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` zero or more words."""
    return _match(pattern.split("."), routing_key.split(".")) if pattern else True


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[index:]) for index in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


@dataclass(slots=True)
class _Message:
    body: bytes
    routing_key: str
    message_id: str | None
    trace_id: str | None
    delivery_count: int = 0
    redelivered: bool = False
    dead_letter: DeadLetter | None = None
    tag: int = field(default=0)


class MemoryBroker:
    """The exchanges and queues of one `memory://` URL and prefix, shared by every bus on it."""

    def __init__(self, delivery_limit: int) -> None:
        self.delivery_limit = delivery_limit
        self.queues: dict[str, asyncio.Queue[_Message]] = {q.name: asyncio.Queue() for q in QUEUES}
        self._tags = itertools.count(1)

    def route(self, exchange: str, message: _Message) -> None:
        spec = next(e for e in EXCHANGES if e.name == exchange)
        for queue in QUEUES:
            for bound_exchange, pattern in queue.bindings:
                if bound_exchange != exchange:
                    continue
                if spec.type == "fanout" or topic_matches(pattern, message.routing_key):
                    self.queues[queue.name].put_nowait(replace(message, tag=next(self._tags)))
                    break

    def give_back(self, queue: str, message: _Message) -> None:
        """A delivery failed (handler raised, consumer stopped): requeue or dead-letter it."""
        message.delivery_count += 1
        message.redelivered = True
        spec = queue_spec(queue)
        if spec.limited and message.delivery_count > self.delivery_limit:
            self.dead_letter(queue, message, "delivery_limit")
        else:
            self.queues[queue].put_nowait(message)

    def dead_letter(self, queue: str, message: _Message, reason: str) -> None:
        spec = queue_spec(queue)
        if spec.dead_letter_exchange is None:
            return  # RabbitMQ drops it too
        previous = message.dead_letter
        death = DeadLetter(
            reason=reason,
            queue=queue,
            original_routing_key=previous.original_routing_key if previous else message.routing_key,
            count=(previous.count + 1) if previous else 1,
        )
        dead = _Message(
            body=message.body,
            routing_key=message.routing_key,
            message_id=message.message_id,
            trace_id=message.trace_id,
            dead_letter=death,
        )
        self.route(spec.dead_letter_exchange, dead)

    def depth(self, queue: str) -> int:
        return self.queues[queue].qsize()


class MemoryBus:
    """`EventBus` inside one process; every `MemoryBus` on the same URL and prefix shares a
    broker, so the services of embedded mode talk to each other through it."""

    def __init__(
        self,
        url: str = "memory://",
        prefix: str = "",
        delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
        *,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        self.topology = Topology(prefix, delivery_limit)
        self.retry_delay = retry_delay
        self.broker = _brokers.setdefault((url, prefix), MemoryBroker(delivery_limit))
        self._consumers: list[_MemoryConsumer] = []
        self._closed = False

    @property
    def connected(self) -> bool:
        return not self._closed

    async def connect(self) -> None:
        self._closed = False

    async def publish(self, event: BusEvent) -> None:
        if self._closed:
            raise BusUnavailable("The event bus is closed")
        message = _Message(
            body=event.model_dump_json().encode(),
            routing_key=event.routing_key,
            message_id=event.event_id,
            trace_id=current_trace_id(),
        )
        self.broker.route(EVENTS_EXCHANGE, message)

    async def consume(self, queue: str, handler: EventHandler, *, concurrency: int = 1) -> Consumer:
        queue_spec(queue)
        consumer = _MemoryConsumer(self.broker, queue, self.retry_delay)
        for index in range(max(1, concurrency)):
            consumer.stopper.spawn(consumer.run_single(handler), f"bus:{queue}:{index}")
        self._consumers.append(consumer)
        return consumer

    async def consume_batch(
        self,
        queue: str,
        handler: BatchHandler,
        *,
        max_batch: int = 100,
        max_wait: float = 0.005,
    ) -> Consumer:
        queue_spec(queue)
        consumer = _MemoryConsumer(self.broker, queue, self.retry_delay)
        consumer.stopper.spawn(consumer.run_batches(handler, max_batch, max_wait), f"bus:{queue}")
        self._consumers.append(consumer)
        return consumer

    async def close(self, grace: float | None = 10.0) -> None:
        self._closed = True
        consumers, self._consumers = self._consumers, []
        for consumer in consumers:
            await consumer.stop(grace)


class _MemoryConsumer:
    def __init__(self, broker: MemoryBroker, queue: str, retry_delay: float) -> None:
        self.broker = broker
        self.retry_delay = retry_delay
        self.queue = queue
        self.source = broker.queues[queue]
        self.stopper = TaskGroupStopper()

    async def stop(self, grace: float | None = None) -> None:
        await self.stopper.stop(grace)

    def _decode(self, message: _Message) -> Delivery | None:
        try:
            event = parse_bus_event(message.body)
        except ValidationError:
            logger.warning("dead-lettering an unparseable message %s", message.message_id)
            self.broker.dead_letter(self.queue, message, "rejected")
            return None
        return Delivery(
            event=event,
            routing_key=message.routing_key,
            message_id=message.message_id,
            trace_id=message.trace_id,
            redelivered=message.redelivered,
            delivery_count=message.delivery_count,
            dead_letter=message.dead_letter,
        )

    async def run_single(self, handler: EventHandler) -> None:
        while not self.stopper.stopping:
            message = await self.source.get()
            with self.stopper.working():
                delivery = self._decode(message)
                if delivery is None:
                    continue
                try:
                    await call_traced(handler, delivery, delivery.trace_id or "-")
                except asyncio.CancelledError:
                    self.broker.give_back(self.queue, message)
                    raise
                except Exception:
                    logger.exception("handler failed on %s; requeued", self.queue)
                    await pause_before_retry(delivery, self.retry_delay)
                    self.broker.give_back(self.queue, message)

    async def run_batches(self, handler: BatchHandler, max_batch: int, max_wait: float) -> None:
        while not self.stopper.stopping:
            messages = await gather_batch(self.source, max_batch, max_wait)
            with self.stopper.working():
                decoded = [(m, d) for m in messages if (d := self._decode(m)) is not None]
                await self._handle_batch(handler, decoded)

    async def _handle_batch(
        self, handler: BatchHandler, decoded: list[tuple[_Message, Delivery]]
    ) -> None:
        if not decoded:
            return
        deliveries = [delivery for _, delivery in decoded]
        try:
            await call_traced(handler, deliveries, batch_trace(deliveries))
            return
        except asyncio.CancelledError:
            for message, _ in decoded:
                self.broker.give_back(self.queue, message)
            raise
        except Exception:
            if len(decoded) == 1:
                logger.exception("batch handler failed on %s; requeued", self.queue)
                await pause_before_retry(decoded[0][1], self.retry_delay)
                self.broker.give_back(self.queue, decoded[0][0])
                return
        for index, pair in enumerate(decoded):
            try:
                await self._handle_batch(handler, [pair])
            except asyncio.CancelledError:
                for message, _ in decoded[index + 1 :]:
                    self.broker.give_back(self.queue, message)
                raise
