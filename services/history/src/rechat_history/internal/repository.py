"""SQL of the internal API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import Conversation


async def live(session: AsyncSession, conversation_id: str) -> Conversation | None:
    query = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.deleted_at.is_(None)
    )
    return (await session.scalars(query)).first()
