"""All SQL of the ingest: load a batch's rows, erase a user, recompute conversation summaries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Executable, ScalarSelect, Table, delete, func, insert, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rechat_history.ingest.rows import ConversationRow, FeedbackRow, MessageRow, UsageRow
from rechat_history.models import (
    PREVIEW_LENGTH,
    Base,
    Conversation,
    ErasedUser,
    Message,
    MessageFeedback,
    UsageRecord,
)

PLACEHOLDER_TITLE_LENGTH = 60


Row = ConversationRow | MessageRow | FeedbackRow | UsageRow


@dataclass
class BatchRows:
    """The rows one batch of events may touch, loaded (and locked) up front."""

    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    messages: dict[str, MessageRow] = field(default_factory=dict)
    feedback: dict[str, FeedbackRow] = field(default_factory=dict)
    usage: dict[str, UsageRow] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)


@dataclass
class Changes:
    """Rows of one batch to write, by table and key."""

    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    messages: dict[str, MessageRow] = field(default_factory=dict)
    feedback: dict[str, FeedbackRow] = field(default_factory=dict)
    usage: dict[str, UsageRow] = field(default_factory=dict)


@dataclass
class Summary:
    last_activity: datetime | None = None
    preview: str = ""
    first_question: str = ""


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


async def _locked(
    session: AsyncSession, model: type[Base], key: str, ids: Collection[str], *, lock: bool = True
) -> list[dict[str, Any]]:
    table = _table(model)
    query = select(table).where(table.c[key].in_(ids))
    result = await session.execute(query.with_for_update() if lock else query)
    return [dict(row) for row in result.mappings()]


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
        for values in await _locked(session, Conversation, "id", conversation_ids):
            rows.conversations[values["id"]] = ConversationRow(**values)
    if message_ids:
        for values in await _locked(session, Message, "id", message_ids):
            rows.messages[values["id"]] = MessageRow(**values)
        for values in await _locked(session, MessageFeedback, "message_id", message_ids):
            rows.feedback[values["message_id"]] = FeedbackRow(**values)
        for values in await _locked(session, UsageRecord, "message_id", message_ids, lock=False):
            rows.usage[values["message_id"]] = UsageRow(**values)
    if user_ids:
        erased = select(ErasedUser.user_id).where(ErasedUser.user_id.in_(user_ids))
        rows.erased = set(await session.scalars(erased))
    return rows


def _values(row: Row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


async def _insert(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """New rows, in one multi-row INSERT: a duplicate key means another writer was first
    (IntegrityError, and the consumer retries the batch on fresh rows)."""
    if rows:
        await session.execute(insert(_table(model)), [_values(row) for row in rows])


async def _upsert(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """Rows this batch loaded under lock and changed, written back in one statement."""
    if rows:
        table = _table(model)
        mysql = session.get_bind().dialect.name in ("mysql", "mariadb")
        upsert = _mysql_upsert(table) if mysql else _sqlite_upsert(table)
        await session.execute(upsert, [_values(row) for row in rows])


def _mysql_upsert(table: Table) -> Executable:
    statement = mysql_insert(table)
    keys = {column.key for column in table.primary_key.columns}
    return statement.on_duplicate_key_update(
        {c.key: statement.inserted[c.key] for c in table.columns if c.key not in keys}
    )


def _sqlite_upsert(table: Table) -> Executable:
    statement = sqlite_insert(table)
    keys = [column.key for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.key: statement.excluded[c.key] for c in table.columns if c.key not in keys},
    )


async def write(session: AsyncSession, *, new: Changes, changed: Changes) -> None:
    """Parents first: conversations, then messages, ratings and usage."""
    await _insert(session, Conversation, list(new.conversations.values()))
    await _upsert(session, Conversation, list(changed.conversations.values()))
    await _insert(session, Message, list(new.messages.values()))
    await _upsert(session, Message, list(changed.messages.values()))
    await _insert(session, MessageFeedback, list(new.feedback.values()))
    await _upsert(session, MessageFeedback, list(changed.feedback.values()))
    await _insert(session, UsageRecord, list(new.usage.values()))


async def write_conversations(
    session: AsyncSession, conversations: Sequence[ConversationRow]
) -> None:
    await _upsert(session, Conversation, conversations)


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
    """Per conversation: the latest message activity, the latest text, the first question
    (one query; each part walks an index of the conversation's messages and stops early)."""
    result = {conversation_id: Summary() for conversation_id in conversation_ids}
    if not result:
        return result
    query = select(
        Conversation.id,
        _activity(),
        _edge_text(latest=True),
        _edge_text(latest=False),
    ).where(Conversation.id.in_(conversation_ids))
    for conversation_id, last, latest, first in await session.execute(query):
        summary = result[conversation_id]
        summary.last_activity = last
        summary.preview = _one_line(latest, PREVIEW_LENGTH)
        summary.first_question = _one_line(first, PLACEHOLDER_TITLE_LENGTH)
    return result


def _activity() -> ScalarSelect[datetime]:
    message = aliased(Message)
    return (
        select(func.max(message.updated_at))
        .where(message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )


def _edge_text(*, latest: bool) -> ScalarSelect[str]:
    """The newest non-empty message text (`latest`) or the oldest question."""
    message = aliased(Message)
    if latest:
        order = (message.created_at.desc(), message.position.desc(), message.id.desc())
        length, condition = PREVIEW_LENGTH * 2, message.content != ""
    else:
        order = (message.created_at.asc(), message.position.asc(), message.id.asc())
        length, condition = PLACEHOLDER_TITLE_LENGTH * 2, message.role == "user"
    return (
        select(func.substr(message.content, 1, length))
        .where(message.conversation_id == Conversation.id, condition)
        .order_by(*order)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )


def _one_line(text: str | None, length: int) -> str:
    return " ".join((text or "").split())[:length]
