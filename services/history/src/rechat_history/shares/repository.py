"""All SQL of shared snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import Share


async def by_id(session: AsyncSession, share_id: str) -> Share | None:
    return await session.get(Share, share_id)


async def of_conversation(session: AsyncSession, conversation_id: str) -> Share | None:
    query = select(Share).where(Share.conversation_id == conversation_id)
    return (await session.scalars(query)).first()


async def all_owned(session: AsyncSession, user_id: str) -> Sequence[Share]:
    query = (
        select(Share)
        .where(Share.user_id == user_id)
        .order_by(Share.updated_at.desc(), Share.id.desc())
    )
    return list(await session.scalars(query))


async def delete_of_conversations(session: AsyncSession, conversation_ids: Sequence[str]) -> None:
    """A deleted conversation's link stops working with it."""
    if conversation_ids:
        await session.execute(delete(Share).where(Share.conversation_id.in_(conversation_ids)))


async def delete_all_of(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(Share).where(Share.user_id == user_id))
