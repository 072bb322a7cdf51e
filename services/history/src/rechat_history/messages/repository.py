"""All SQL that reads messages for the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import Conversation, Message, MessageFeedback

MessageWithFeedback = tuple[Message, MessageFeedback | None]


def _with_feedback() -> Select[Message, MessageFeedback]:
    return select(Message, MessageFeedback).outerjoin(
        MessageFeedback,
        and_(MessageFeedback.message_id == Message.id, MessageFeedback.user_id == Message.user_id),
    )


async def page(
    session: AsyncSession,
    conversation_id: str,
    *,
    after: tuple[datetime, int, str] | None,
    limit: int,
) -> Sequence[MessageWithFeedback]:
    """Up to `limit` messages oldest first, after the given (created_at, position, id) key."""
    query = _with_feedback().where(Message.conversation_id == conversation_id)
    if after is not None:
        created_at, position, message_id = after
        query = query.where(
            or_(
                Message.created_at > created_at,
                and_(Message.created_at == created_at, Message.position > position),
                and_(
                    Message.created_at == created_at,
                    Message.position == position,
                    Message.id > message_id,
                ),
            )
        )
    query = query.order_by(Message.created_at, Message.position, Message.id).limit(limit)
    return [(message, feedback) for message, feedback in await session.execute(query)]


async def owned(session: AsyncSession, user_id: str, message_id: str) -> MessageWithFeedback | None:
    """A message of one of the user's live conversations."""
    query = (
        _with_feedback()
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.id == message_id,
            Conversation.user_id == user_id,
            Conversation.deleted_at.is_(None),
        )
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def all_of_conversations(
    session: AsyncSession, conversation_ids: Sequence[str]
) -> dict[str, list[MessageWithFeedback]]:
    """Every message of these conversations, oldest first, grouped by conversation (export)."""
    grouped: dict[str, list[MessageWithFeedback]] = {cid: [] for cid in conversation_ids}
    if not conversation_ids:
        return grouped
    query = (
        _with_feedback()
        .where(Message.conversation_id.in_(conversation_ids))
        .order_by(Message.conversation_id, Message.created_at, Message.position, Message.id)
    )
    for message, feedback in await session.execute(query):
        grouped[message.conversation_id].append((message, feedback))
    return grouped
