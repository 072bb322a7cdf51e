"""The event bus: RabbitMQ in deployments, in-process in embedded mode (`memory://`).

bus = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix)
await bus.connect()                       # declares the topology of DESIGN §3
await bus.publish(ChatRequested(...))     # raises BusUnavailable (503) quickly
consumer = await bus.consume(REQUESTS_QUEUE, handle, concurrency=8)
...
await bus.close()                         # stops consumers, waits in-flight handlers
"""

from __future__ import annotations

from rechat_shared.bus.base import (
    DEFAULT_DELIVERY_LIMIT,
    DEFAULT_RETRY_DELAY,
    BatchHandler,
    BusUnavailable,
    Consumer,
    DeadLetter,
    Delivery,
    EventBus,
    EventHandler,
)
from rechat_shared.bus.memory import MemoryBus
from rechat_shared.bus.topology import (
    CONVERSATIONS_QUEUE,
    FAILED_REQUESTS_QUEUE,
    FEEDBACK_QUEUE,
    HISTORY_QUEUE,
    PARKED_QUEUE,
    REQUESTS_QUEUE,
    topology_names,
)
from rechat_shared.settings import is_memory_url

__all__ = [
    "CONVERSATIONS_QUEUE",
    "FAILED_REQUESTS_QUEUE",
    "FEEDBACK_QUEUE",
    "HISTORY_QUEUE",
    "PARKED_QUEUE",
    "REQUESTS_QUEUE",
    "BatchHandler",
    "BusUnavailable",
    "Consumer",
    "DeadLetter",
    "Delivery",
    "EventBus",
    "EventHandler",
    "MemoryBus",
    "create_bus",
    "topology_names",
]


def create_bus(
    url: str,
    prefix: str = "",
    *,
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
    retry_delay: float = DEFAULT_RETRY_DELAY,
) -> EventBus:
    """The bus for `url`: `memory://…` gives the in-process bus, `amqp://…` RabbitMQ."""
    if is_memory_url(url):
        return MemoryBus(url, prefix, delivery_limit, retry_delay=retry_delay)
    from rechat_shared.bus.rabbit import RabbitBus

    return RabbitBus(url, prefix, delivery_limit=delivery_limit, retry_delay=retry_delay)
