"""Publishing auth's events (`user.changed`) once the unit of work has committed."""

from __future__ import annotations

from typing import Protocol

from rechat_shared.events import BusEvent


class EventPublisher(Protocol):
    """What auth needs of the bus (`rechat_shared.bus.EventBus` is one)."""

    async def publish(self, event: BusEvent) -> None:
        """Hand the event to the broker and wait for its confirm (503 when it cannot)."""
