"""All SQL of the ingest: load a batch's rows, erase a user, recompute conversation summaries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Executable,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from rechat_history.ingest.literals import RowWriter
from rechat_history.ingest.rows import ConversationRow, FeedbackRow, MessageRow, UsageRow
from rechat_history.models import (
    PREVIEW_LENGTH,
    Base,
    Conversation,
    ErasedUser,
    Folder,
    Message,
    MessageFeedback,
    Share,
    UsageRecord,
)
from rechat_shared.text import one_line

PLACEHOLDER_TITLE_LENGTH = 60


Row = ConversationRow | MessageRow | FeedbackRow | UsageRow


@dataclass
class BatchRows:
    """The rows one batch of events may touch, loaded (and locked) up front."""

    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    messages: dict[str, MessageRow] = field(default_factory=dict)
    feedback: dict[str, FeedbackRow] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)


@dataclass
class Changes:
    """Rows of one batch to write, by table and key."""

    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    messages: dict[str, MessageRow] = field(default_factory=dict)
    feedback: dict[str, FeedbackRow] = field(default_factory=dict)
    usage: dict[str, UsageRow] = field(default_factory=dict)
    """New usage records; one that is already stored stays as it is (the first one wins)."""


@dataclass
class Summary:
    last_activity: datetime | None = None
    preview: str = ""
    first_question: str = ""


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _by_key(model: type[Base], key: str, *, lock: bool) -> Select[Any]:
    """`SELECT * FROM table WHERE key IN :ids`, built once (an expanding parameter)."""
    table = _table(model)
    query = select(table).where(table.c[key].in_(bindparam("ids", expanding=True)))
    return query.with_for_update() if lock else query


# Built once: building and cache-keying these per batch cost more than running them.
_CONVERSATIONS = _by_key(Conversation, "id", lock=True)
_MESSAGES = _by_key(Message, "id", lock=True)
_FEEDBACK = _by_key(MessageFeedback, "message_id", lock=True)
_ERASED = select(ErasedUser.user_id).where(ErasedUser.user_id.in_(bindparam("ids", expanding=True)))


async def _rows(
    connection: AsyncConnection, query: Select[Any], ids: Collection[str]
) -> list[dict[str, Any]]:
    result = await connection.execute(query, {"ids": list(ids)})
    return [dict(row) for row in result.mappings()]


@dataclass
class BatchKeys:
    """The keys one batch of events reads, by table: only the rows some event consults."""

    conversations: set[str] = field(default_factory=set)
    messages: set[str] = field(default_factory=set)
    feedback: set[str] = field(default_factory=set)
    """Rated messages (ratings are kept apart from the messages)."""
    users: set[str] = field(default_factory=set)


async def load_rows(session: AsyncSession, keys: BatchKeys) -> BatchRows:
    """Lock and load the existing rows with these keys (SQLite ignores the lock)."""
    rows = BatchRows()
    connection = await session.connection()
    if keys.conversations:
        for values in await _rows(connection, _CONVERSATIONS, keys.conversations):
            rows.conversations[values["id"]] = ConversationRow(**values)
    if keys.messages:
        for values in await _rows(connection, _MESSAGES, keys.messages):
            rows.messages[values["id"]] = MessageRow(**values)
    if keys.feedback:
        for values in await _rows(connection, _FEEDBACK, keys.feedback):
            rows.feedback[values["message_id"]] = FeedbackRow(**values)
    if keys.users:
        erased = await connection.execute(_ERASED, {"ids": list(keys.users)})
        rows.erased = set(erased.scalars())
    return rows


def _values(row: Row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def _is_mysql(connection: AsyncConnection) -> bool:
    return connection.dialect.name in ("mysql", "mariadb")


async def _insert(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """New rows, in one multi-row INSERT: a duplicate key means another writer was first
    (IntegrityError, and the consumer retries the batch on fresh rows)."""
    if rows:
        connection = await session.connection()
        if _is_mysql(connection):
            await _MYSQL_INSERTS[model].write(connection, rows)
        else:
            await connection.execute(_INSERTS[model], [_values(row) for row in rows])


async def _insert_new(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """Rows whose first version stays: a key that is already stored keeps its row (so these
    need not be loaded first)."""
    if rows:
        connection = await session.connection()
        if _is_mysql(connection):
            await _MYSQL_KEEPS[model].write(connection, rows)
        else:
            await connection.execute(_SQLITE_KEEPS[model], [_values(row) for row in rows])


async def _upsert(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """Rows this batch loaded under lock and changed, written back in one statement."""
    if rows:
        connection = await session.connection()
        if _is_mysql(connection):
            await _MYSQL_UPSERTS[model].write(connection, rows)
        else:
            await connection.execute(_SQLITE_UPSERTS[model], [_values(row) for row in rows])


def _sqlite_upsert(table: Table) -> Executable:
    statement = sqlite_insert(table)
    keys = [column.key for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.key: statement.excluded[c.key] for c in table.columns if c.key not in keys},
    )


_WRITTEN: tuple[type[Base], ...] = (Conversation, Message, MessageFeedback, UsageRecord)
_INSERTS = {model: insert(_table(model)) for model in _WRITTEN}
_SQLITE_UPSERTS = {model: _sqlite_upsert(_table(model)) for model in _WRITTEN}
_SQLITE_KEEPS: dict[type[Base], Executable] = {
    UsageRecord: sqlite_insert(_table(UsageRecord)).on_conflict_do_nothing()
}
# MySQL/MariaDB: rendered as literals, see `literals.py`
_MYSQL_INSERTS = {model: RowWriter.of(_table(model), existing="fail") for model in _WRITTEN}
_MYSQL_UPSERTS = {model: RowWriter.of(_table(model), existing="update") for model in _WRITTEN}
_MYSQL_KEEPS: dict[type[Base], RowWriter] = {
    UsageRecord: RowWriter.of(_table(UsageRecord), existing="keep")
}


async def write(session: AsyncSession, *, new: Changes, changed: Changes) -> None:
    """Parents first: new conversations, then messages, ratings and usage. Changed
    conversations are written once, with their summaries, by `write_conversations`."""
    await _insert(session, Conversation, list(new.conversations.values()))
    await _insert(session, Message, list(new.messages.values()))
    await _upsert(session, Message, list(changed.messages.values()))
    await _insert(session, MessageFeedback, list(new.feedback.values()))
    await _upsert(session, MessageFeedback, list(changed.feedback.values()))
    await _insert_new(session, UsageRecord, list(new.usage.values()))


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
    await session.execute(delete(Share).where(Share.user_id == user_id))
    await session.execute(delete(Folder).where(Folder.user_id == user_id))
    await session.flush()


async def summaries(session: AsyncSession, conversation_ids: Collection[str]) -> dict[str, Summary]:
    """Per conversation: the latest message activity, the latest text, the first question
    (one query; each part walks an index of the conversation's messages and stops early)."""
    result = {conversation_id: Summary() for conversation_id in conversation_ids}
    if not result:
        return result
    connection = await session.connection()
    found = await connection.execute(_SUMMARIES, {"ids": list(conversation_ids)})
    for conversation_id, last, latest, first in found:
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


_SUMMARIES = select(
    Conversation.id,
    _activity(),
    _edge_text(latest=True),
    _edge_text(latest=False),
).where(Conversation.id.in_(bindparam("ids", expanding=True)))


def _one_line(text: str | None, length: int) -> str:
    return one_line(text or "", length)
