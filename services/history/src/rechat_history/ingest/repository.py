"""All SQL of the ingest: load a batch's rows, erase a user, recompute conversation summaries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import (
    PREVIEW_LENGTH,
    Conversation,
    ErasedUser,
    Message,
    MessageFeedback,
    UsageRecord,
)

PLACEHOLDER_TITLE_LENGTH = 60


@dataclass
class BatchRows:
    """The rows one batch of events may touch, loaded (and locked) up front."""

    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    feedback: dict[str, MessageFeedback] = field(default_factory=dict)
    usage: dict[str, UsageRecord] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)


@dataclass
class Summary:
    last_activity: datetime | None = None
    preview: str = ""
    first_question: str = ""


async def load_rows(
    session: AsyncSession,
    *,
    conversation_ids: Collection[str],
    message_ids: Collection[str],
    user_ids: Collection[str],
) -> BatchRows:
    """Lock and load the existing rows with these keys (SQLite ignores the lock)."""
    rows = BatchRows()
    if conversation_ids:
        query = select(Conversation).where(Conversation.id.in_(conversation_ids))
        for conversation in await session.scalars(query.with_for_update()):
            rows.conversations[conversation.id] = conversation
    if message_ids:
        messages = select(Message).where(Message.id.in_(message_ids)).with_for_update()
        rows.messages = {message.id: message for message in await session.scalars(messages)}
        feedback = select(MessageFeedback).where(MessageFeedback.message_id.in_(message_ids))
        for item in await session.scalars(feedback.with_for_update()):
            rows.feedback[item.message_id] = item
        usage = select(UsageRecord).where(UsageRecord.message_id.in_(message_ids))
        rows.usage = {item.message_id: item for item in await session.scalars(usage)}
    if user_ids:
        erased = select(ErasedUser.user_id).where(ErasedUser.user_id.in_(user_ids))
        rows.erased = set(await session.scalars(erased))
    return rows


async def erase_user(session: AsyncSession, user_id: str, at: datetime) -> None:
    """Remove everything history holds about a user and remember that they are gone."""
    if await session.get(ErasedUser, user_id) is None:
        session.add(ErasedUser(user_id=user_id, erased_at=at))
    await session.execute(delete(MessageFeedback).where(MessageFeedback.user_id == user_id))
    await session.execute(delete(UsageRecord).where(UsageRecord.user_id == user_id))
    await session.execute(delete(Message).where(Message.user_id == user_id))
    await session.execute(delete(Conversation).where(Conversation.user_id == user_id))
    await session.flush()


async def summaries(session: AsyncSession, conversation_ids: Collection[str]) -> dict[str, Summary]:
    """Per conversation: the latest message activity, the latest text, the first question."""
    result = {conversation_id: Summary() for conversation_id in conversation_ids}
    if not result:
        return result
    activity = (
        select(Message.conversation_id, func.max(Message.updated_at))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    for conversation_id, last in await session.execute(activity):
        result[conversation_id].last_activity = last
    for conversation_id, text in await session.execute(_edge_text(conversation_ids, latest=True)):
        result[conversation_id].preview = _one_line(text, PREVIEW_LENGTH)
    for conversation_id, text in await session.execute(_edge_text(conversation_ids, latest=False)):
        result[conversation_id].first_question = _one_line(text, PLACEHOLDER_TITLE_LENGTH)
    return result


def _edge_text(conversation_ids: Collection[str], *, latest: bool) -> Select[str, str]:
    """The newest non-empty message text (`latest`) or the oldest question, per conversation."""
    if latest:
        order = (Message.created_at.desc(), Message.position.desc(), Message.id.desc())
        length = PREVIEW_LENGTH * 2
        condition = Message.content != ""
    else:
        order = (Message.created_at.asc(), Message.position.asc(), Message.id.asc())
        length = PLACEHOLDER_TITLE_LENGTH * 2
        condition = Message.role == "user"
    ranked = (
        select(
            Message.conversation_id,
            func.substr(Message.content, 1, length).label("text"),
            func.row_number()
            .over(partition_by=Message.conversation_id, order_by=order)
            .label("rank"),
        )
        .where(Message.conversation_id.in_(conversation_ids), condition)
        .subquery()
    )
    return select(ranked.c.conversation_id, ranked.c.text).where(ranked.c.rank == 1)


def _one_line(text: str | None, length: int) -> str:
    return " ".join((text or "").split())[:length]
