"""All SQL about the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import OutboxEvent
from rechat_shared.events import BusEvent


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: BusEvent) -> None:
        self.session.add(OutboxEvent(id=event.event_id, body=event.model_dump_json()))
        await self.session.flush()

    async def claim_oldest(self, limit: int) -> Sequence[OutboxEvent]:
        """The oldest waiting events, row-locked; rows another relay holds are skipped, so two
        instances never publish the same event at once."""
        statement = (
            select(OutboxEvent)
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def remove(self, event_ids: list[str]) -> None:
        if event_ids:
            await self.session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(event_ids)))
