"""All SQL of folders: a user's folders, and which conversations are in one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import Conversation, Folder


async def owned(session: AsyncSession, user_id: str, folder_id: str) -> Folder | None:
    query = select(Folder).where(Folder.id == folder_id, Folder.user_id == user_id)
    return (await session.scalars(query)).first()


async def all_owned(session: AsyncSession, user_id: str) -> Sequence[Folder]:
    query = select(Folder).where(Folder.user_id == user_id).order_by(Folder.name, Folder.id)
    return list(await session.scalars(query))


async def named(session: AsyncSession, user_id: str, name: str) -> Folder | None:
    """The user's folder of this name, compared without case."""
    query = select(Folder).where(Folder.user_id == user_id, func.lower(Folder.name) == name.lower())
    return (await session.scalars(query)).first()


async def conversation_ids(session: AsyncSession, user_id: str, folder_id: str) -> list[str]:
    query = select(Conversation.id).where(
        Conversation.user_id == user_id,
        Conversation.folder_id == folder_id,
        Conversation.deleted_at.is_(None),
    )
    return list(await session.scalars(query))


async def empty(session: AsyncSession, user_id: str, folder_id: str) -> None:
    """Move the folder's conversations back to the plain list."""
    await session.execute(
        update(Conversation)
        .where(Conversation.user_id == user_id, Conversation.folder_id == folder_id)
        .values(folder_id=None)
        .execution_options(synchronize_session=False)
    )


async def delete_all_of(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(Folder).where(Folder.user_id == user_id))
