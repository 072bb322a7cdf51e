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
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rechat_history.ingest.service import IncomingEvent, apply_batch, partition
from rechat_shared.bus import Consumer, Delivery, EventBus
from rechat_shared.bus.topology import HISTORY_QUEUE
from rechat_shared.db import create_engine, is_unavailable, unit_of_work

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 2.0
RACE_RETRIES = 3


class HistoryConsumer:
    """Writes batches of deliveries; `handle` is the bus's batch handler.

    A batch is split into `writers` parts by conversation, written by concurrent transactions:
    while one waits for the database, the next is merged and rendered, so the process's CPU and
    the database work overlap. The batch is acknowledged when every part has committed; if one
    fails, the bus hands the whole batch back (the parts that committed are applied again, which
    changes nothing)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        transient_retry_seconds: float = 30.0,
        writers: int = 1,
    ) -> None:
        self.sessions = sessions
        self.transient_retry_seconds = transient_retry_seconds
        self.writers = writers

    async def handle(self, deliveries: list[Delivery]) -> None:
        events = [
            IncomingEvent(delivery.event, dead_lettered=delivery.dead_letter is not None)
            for delivery in deliveries
        ]
        await self.store(events)

    async def store(self, events: Sequence[IncomingEvent]) -> None:
        """Apply and commit a batch, its parts in concurrent transactions; the first failure is
        raised once every part has finished."""
        parts = partition(events, self.writers)
        outcomes = await asyncio.gather(*map(self._store_part, parts), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _store_part(self, events: Sequence[IncomingEvent]) -> None:
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
                if not is_unavailable(error) or time.monotonic() > deadline:
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


def create_consumer_engine(url: str, *, writers: int, echo: bool = False) -> AsyncEngine:
    """The consumer's own MySQL/MariaDB connections, one per writer, in READ COMMITTED: no gap
    locks, so concurrent transactions creating rows do not deadlock (a duplicate insert is
    retried as a race), and one waiting on a row lock then reads what the other committed. The
    level is set once when a connection opens; set per transaction (engine execution options),
    it cost four extra round trips per batch."""
    engine = create_engine(url, echo=echo, pool_size=writers)
    event.listen(engine.sync_engine, "connect", _read_committed)
    return engine


def _read_committed(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    cursor.close()
