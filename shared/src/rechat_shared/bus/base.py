"""The event bus contract: publish typed bus events, consume them from the queues of DESIGN §3.

Two implementations share it: `RabbitBus` (aio-pika, the real broker) and `MemoryBus` (one
process, embedded mode). Services only ever see `EventBus`, `Delivery` and `BusUnavailable`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from rechat_shared.errors import ServiceUnavailable
from rechat_shared.events import AnyBusEvent, BusEvent

DEFAULT_DELIVERY_LIMIT = 3
DEFAULT_PUBLISH_TIMEOUT = 2.5
DEFAULT_RETRY_DELAY = 0.2
"""Seconds before a failed message goes back, doubling per earlier failure (0.2, 0.4, 0.8)."""


class BusUnavailable(ServiceUnavailable):
    """The broker is down, unreachable or did not confirm a publish in time (HTTP 503)."""

    code = "bus_unavailable"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Why a message reached the dead letters, from its `x-death` header."""

    reason: str
    """`rejected` (failed to parse), `delivery_limit` (kept failing), `expired`, `maxlen`."""
    queue: str
    """The logical queue it died in (`dify-worker.requests`, without the deployment prefix)."""
    original_routing_key: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Delivery:
    """One consumed message: the typed event plus what the broker says about its delivery."""

    event: AnyBusEvent
    routing_key: str
    message_id: str | None
    trace_id: str | None
    redelivered: bool
    """True when a consumer got this message before and did not ack it (died, nacked)."""
    delivery_count: int
    """Earlier failed deliveries (`x-delivery-count`): 0 on the first delivery."""
    dead_letter: DeadLetter | None = None
    """Set when this is a dead letter (only the history queue receives those)."""

    @property
    def is_retry(self) -> bool:
        """Someone already started on this message: the worker publishes `restart` first."""
        return self.redelivered or self.delivery_count > 0


EventHandler = Callable[[Delivery], Awaitable[None]]
"""Handles one delivery; returning acks it, raising nacks it with requeue."""

BatchHandler = Callable[[list[Delivery]], Awaitable[None]]
"""Handles up to `max_batch` deliveries at once; returning acks them all. When it raises, each
delivery of the batch is retried alone so one poison message cannot hold back the others."""


class Consumer(Protocol):
    """A running consumption of one queue, returned by `consume`/`consume_batch`."""

    async def stop(self, grace: float | None = None) -> None:
        """Stop taking messages and wait for in-flight handlers (at most `grace` seconds;
        handlers still running then are cancelled and their messages handed back)."""
        ...


class EventBus(Protocol):
    """Publishes bus events to the topic exchange and consumes the service queues.

    Queue names passed to `consume*` are the logical ones of `rechat_shared.bus.topology`
    (`REQUESTS_QUEUE`, `FEEDBACK_QUEUE`, `HISTORY_QUEUE`); the deployment prefix is added inside.
    """

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up right now (readiness checks)."""
        ...

    async def connect(self) -> None:
        """Connect and declare the whole topology (idempotent); raises `BusUnavailable`.
        Once connected, the connection comes back by itself after a broker restart, and
        consumers resume."""
        ...

    async def publish(self, event: BusEvent) -> None:
        """Publish persistently under `event.routing_key` and wait for the broker's confirm.

        Raises `BusUnavailable` within about `DEFAULT_PUBLISH_TIMEOUT` seconds when the broker
        is down or does not confirm. The trace id comes from `rechat_shared.logging.trace_id_var`.
        """
        ...

    async def consume(self, queue: str, handler: EventHandler, *, concurrency: int = 1) -> Consumer:
        """Run `handler` on each delivery, up to `concurrency` at once (= prefetch).

        Ack after the handler returns; a handler exception nacks with requeue after a short
        backoff (the queue's delivery limit then dead-letters a poison message); a body that
        does not parse as a bus event is rejected without requeue (straight to dead letters).
        """
        ...

    async def consume_batch(
        self,
        queue: str,
        handler: BatchHandler,
        *,
        max_batch: int = 100,
        max_wait: float = 0.005,
    ) -> Consumer:
        """Hand `handler` lists of up to `max_batch` deliveries gathered within `max_wait`
        seconds of the first; one batch at a time; all acked when it returns. The broker may
        deliver up to two batches ahead (prefetch 2 x `max_batch`), so the next batch is ready
        when one is acked."""
        ...

    async def close(self, grace: float | None = 10.0) -> None:
        """Stop every consumer (waiting up to `grace` s for in-flight handlers), then close."""
        ...
