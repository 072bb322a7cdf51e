"""The outbox relay: publishes committed events in order, and keeps trying while the broker
is away (events wait in the database, so none is lost and no request fails for it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_auth.events import EventPublisher
from rechat_auth.outbox.repository import OutboxRepository
from rechat_shared.bus import BusUnavailable
from rechat_shared.db import unit_of_work
from rechat_shared.events import parse_bus_event

logger = logging.getLogger(__name__)
BATCH = 100
Connect = Callable[[], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], publisher: EventPublisher
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._lock = asyncio.Lock()

    async def flush(self) -> int:
        """Publish every waiting event, oldest first; stop at the first the broker refuses.
        Returns how many were published."""
        published = 0
        async with self._lock:
            while True:
                batch_done, more = await self._publish_batch()
                published += batch_done
                if not more:
                    return published

    async def _publish_batch(self) -> tuple[int, bool]:
        async with unit_of_work(self._sessions) as session:
            outbox = OutboxRepository(session)
            waiting = await outbox.claim_oldest(BATCH)
            sent: list[str] = []
            try:
                for row in waiting:
                    await self._publisher.publish(parse_bus_event(row.body))
                    sent.append(row.id)
            except BusUnavailable as exc:
                logger.warning(
                    "broker unavailable; events wait in the outbox",
                    extra={"waiting": len(waiting) - len(sent), "reason": exc.detail},
                )
                await outbox.remove(sent)
                return len(sent), False
            await outbox.remove(sent)
        return len(sent), len(waiting) == BATCH

    async def run(self, interval: float, connect: Connect) -> None:
        """Background loop: (re)connect to the broker, publish what waits, sleep."""
        while True:
            try:
                await connect()
                await self.flush()
            except BusUnavailable as exc:
                logger.warning("broker unavailable", extra={"reason": exc.detail})
            except Exception:  # one bad round must not end the relay
                logger.exception("outbox relay round failed")
            await asyncio.sleep(interval)
