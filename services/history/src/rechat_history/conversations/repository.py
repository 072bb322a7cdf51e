"""All SQL that reads and edits conversations for the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations.schemas import ConversationFilters
from rechat_history.conversations.search import search_condition
from rechat_history.models import Conversation, Message, MessageFeedback


async def owned(session: AsyncSession, user_id: str, conversation_id: str) -> Conversation | None:
    query = select(Conversation).where(
        Conversation.id == conversation_id,
        Conversation.user_id == user_id,
        Conversation.deleted_at.is_(None),
    )
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession,
    user_id: str,
    filters: ConversationFilters,
    *,
    before: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Conversation]:
    """Up to `limit` live conversations, newest `updated_at` first, after the cursor key."""
    query = select(Conversation).where(
        Conversation.user_id == user_id, Conversation.deleted_at.is_(None)
    )
    if filters.app_id is not None:
        query = query.where(Conversation.app_id == filters.app_id)
    if filters.pinned is not None:
        query = query.where(Conversation.pinned == filters.pinned)
    if filters.archived is not None:
        query = query.where(Conversation.archived == filters.archived)
    if filters.folder_id is not None:
        query = query.where(Conversation.folder_id == filters.folder_id)
    if filters.in_folder is not None:
        in_folder = Conversation.folder_id.is_not(None)
        query = query.where(in_folder if filters.in_folder else ~in_folder)
    if filters.q:
        query = query.where(search_condition(filters.q, user_id, session.get_bind().dialect))
    if before is not None:
        updated_at, conversation_id = before
        query = query.where(
            or_(
                Conversation.updated_at < updated_at,
                and_(Conversation.updated_at == updated_at, Conversation.id < conversation_id),
            )
        )
    query = query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def all_owned(session: AsyncSession, user_id: str) -> Sequence[Conversation]:
    query = (
        select(Conversation)
        .where(Conversation.user_id == user_id, Conversation.deleted_at.is_(None))
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    )
    return list(await session.scalars(query))


async def delete_messages(session: AsyncSession, conversation_ids: Sequence[str]) -> None:
    """Remove the messages (and their ratings) of these conversations."""
    if not conversation_ids:
        return
    message_ids = select(Message.id).where(Message.conversation_id.in_(conversation_ids))
    await session.execute(
        delete(MessageFeedback).where(MessageFeedback.message_id.in_(message_ids))
    )
    await session.execute(delete(Message).where(Message.conversation_id.in_(conversation_ids)))


async def tombstone(session: AsyncSession, conversation_ids: Sequence[str], at: datetime) -> None:
    """Keep only the ids of deleted conversations, so late events about them are dropped."""
    if not conversation_ids:
        return
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(conversation_ids))
        .values(
            title="",
            preview="",
            dify_conversation_id=None,
            pinned=False,
            folder_id=None,
            deleted_at=at,
        )
        .execution_options(synchronize_session=False)
    )


async def live(session: AsyncSession, user_id: str) -> Sequence[Conversation]:
    query = select(Conversation).where(
        Conversation.user_id == user_id, Conversation.deleted_at.is_(None)
    )
    return (await session.scalars(query)).all()


async def archive_all(session: AsyncSession, user_id: str) -> None:
    await session.execute(
        update(Conversation)
        .where(
            Conversation.user_id == user_id,
            Conversation.deleted_at.is_(None),
            Conversation.archived.is_(False),
        )
        .values(archived=True)
        .execution_options(synchronize_session=False)
    )
