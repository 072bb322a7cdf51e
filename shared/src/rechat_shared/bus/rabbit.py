"""RabbitMQ event bus (aio-pika). Placeholder until the implementation lands in the next commit."""

from __future__ import annotations

from rechat_shared.bus.memory import MemoryBus


class RabbitBus(MemoryBus):
    def __init__(self, url: str, prefix: str = "", *, delivery_limit: int = 3) -> None:
        raise NotImplementedError("RabbitBus lands in the next commit; use memory:// for now")
