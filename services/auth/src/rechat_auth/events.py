"""Publishing auth's events (`user.changed`) after the unit of work has committed."""

from __future__ import annotations

import logging
from typing import Protocol

from rechat_shared.events import BusEvent

logger = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, event: BusEvent) -> None:
        """Hand the event to the broker and wait for its confirm."""


class LoggingPublisher:
    """Stand-in used until the RabbitMQ bus is wired: records and logs what would be sent."""

    def __init__(self) -> None:
        self.published: list[BusEvent] = []

    async def publish(self, event: BusEvent) -> None:
        self.published.append(event)
        logger.info("event", extra={"event": event.model_dump(mode="json")})
