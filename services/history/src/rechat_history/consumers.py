"""History's consumer of `history.events`: each batch of deliveries becomes one transaction.

Transient database trouble (connection lost, deadlock, lock wait) is retried here with backoff
while the batch stays unacknowledged, so an outage does not burn the deliveries' retry budget.
Anything else raises: the bus then retries each delivery of the batch alone, and the queue's
delivery limit parks a message that still cannot be stored (`history.parked`) instead of
letting it loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rechat_history.ingest.service import IncomingEvent, apply_batch
from rechat_shared.bus import Consumer, Delivery, EventBus
from rechat_shared.bus.topology import HISTORY_QUEUE
from rechat_shared.db import create_sessionmaker, unit_of_work

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 2.0
RACE_RETRIES = 3


# MySQL errors worth waiting out: too many connections, shutdown, lock wait, deadlock,
# connection killed, and the client's lost/refused connection codes.
TRANSIENT_MYSQL_CODES = frozenset({1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055})


def _is_transient(error: DBAPIError) -> bool:
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    args = getattr(error.orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in TRANSIENT_MYSQL_CODES
    return isinstance(error, OperationalError)  # SQLite: database locked or busy


class HistoryConsumer:
    """Writes batches of deliveries; `handle` is the bus's batch handler."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, transient_retry_seconds: float = 30.0
    ) -> None:
        self.sessions = sessions
        self.transient_retry_seconds = transient_retry_seconds

    async def handle(self, deliveries: list[Delivery]) -> None:
        events = [
            IncomingEvent(delivery.event, dead_lettered=delivery.dead_letter is not None)
            for delivery in deliveries
        ]
        await self.store(events)

    async def store(self, events: Sequence[IncomingEvent]) -> None:
        """Apply and commit, retrying transient failures and insert races for a while."""
        deadline = time.monotonic() + self.transient_retry_seconds
        backoff, races = 0.05, 0
        while True:
            try:
                async with unit_of_work(self.sessions) as session:
                    await apply_batch(session, events)
                return
            except IntegrityError:
                # another replica inserted one of our new rows first: reload and reapply
                races += 1
                if races > RACE_RETRIES:
                    raise
            except DBAPIError as error:
                if not _is_transient(error) or time.monotonic() > deadline:
                    raise
                logger.warning("database unavailable, retrying a batch of %d", len(events))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


async def start_consumers(
    bus: EventBus, consumer: HistoryConsumer, *, count: int, batch_size: int, batch_wait: float
) -> list[Consumer]:
    """`count` batch consumers of `history.events`, each taking batches of `batch_size` (the
    bus prefetches two batches, so the next one is in when a batch commits).

    Everything allocated so far (imports, app, engine) lives as long as the process, so it is
    moved out of the garbage collector's sight first (`gc.freeze`): otherwise every full
    collection walks it again, which cost about a tenth of the ingest's CPU."""
    gc.freeze()
    return [
        await bus.consume_batch(
            HISTORY_QUEUE, consumer.handle, max_batch=batch_size, max_wait=batch_wait
        )
        for _ in range(max(1, count))
    ]


def consumer_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for the consumer. On MySQL, READ COMMITTED: no gap locks, so concurrent
    batches creating rows do not deadlock (a duplicate insert is retried as a race), and a
    batch waiting on a row lock then reads what the other batch committed."""
    if engine.dialect.name in ("mysql", "mariadb"):
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    return create_sessionmaker(engine)
