"""The ingest's MySQL writes render values as SQL literals: what goes in comes back unchanged
(real MariaDB, with and without `NO_BACKSLASH_ESCAPES`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rechat_history.ingest import literals
from rechat_history.ingest.literals import RowWriter
from rechat_history.ingest.rows import ConversationRow, MessageRow, UsageRow
from rechat_history.models import Conversation, Message, UsageRecord
from rechat_history.testing import new_id
from rechat_shared.db import create_engine

TRICKY = [
    "it's",
    'say "hi"',
    "back\\slash and \\' and \\",
    "100% %s %(name)s %%",
    "line\nbreak\r\ttab",
    "nul\x00byte and ctrl-z\x1a",
    "emoji 🎉 and 中文 and ünïcödé",
    "'); DROP TABLE messages; --",
    "",
]
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _table(model: type) -> Table:
    return cast(Table, model.__table__)


@pytest.fixture(params=[False, True], ids=["backslash-escapes", "no-backslash-escapes"])
async def connection(engine: AsyncEngine, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A connection of its own (the SQL mode stays with it), rolled back at the end."""
    own = create_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    async with own.connect() as connection:
        if request.param:
            await connection.exec_driver_sql(
                "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"
            )
        yield connection
        await connection.rollback()
    await own.dispose()


def _message(conversation_id: str, text: str) -> MessageRow:
    return MessageRow(
        id=new_id(),
        conversation_id=conversation_id,
        user_id="u1",
        role="user",
        position=0,
        content=text,
        status="done",
        inputs={"text": text, text: [1, 2.5, None, True], "big": 2**70},
        files=[],
        created_at=AT,
        updated_at=AT,
    )


async def _conversation(connection: AsyncConnection) -> str:
    conversation = ConversationRow(
        id=new_id(), user_id="u1", app_id="a1", pinned=True, created_at=AT, updated_at=AT
    )
    await RowWriter.of(_table(Conversation), existing="fail").write(connection, [conversation])
    return conversation.id


async def test_text_and_json_come_back_unchanged(connection: AsyncConnection) -> None:
    conversation_id = await _conversation(connection)
    rows = [_message(conversation_id, text) for text in TRICKY]
    await RowWriter.of(_table(Message), existing="fail").write(connection, rows)
    messages = _table(Message)
    found = await connection.execute(
        select(messages).where(messages.c.conversation_id == conversation_id)
    )
    stored = {row.id: row for row in found}
    for row in rows:
        assert stored[row.id].content == row.content
        assert stored[row.id].inputs == row.inputs
        assert stored[row.id].files == []
        assert stored[row.id].error is None
        assert stored[row.id].created_at == AT


async def test_upsert_overwrites_every_column_but_the_key(connection: AsyncConnection) -> None:
    conversation_id = await _conversation(connection)
    row = _message(conversation_id, "first")
    await RowWriter.of(_table(Message), existing="fail").write(connection, [row])
    row.content, row.status, row.inputs = "second 'quoted'", "failed", None
    await RowWriter.of(_table(Message), existing="update").write(connection, [row])
    messages = _table(Message)
    stored = (await connection.execute(select(messages).where(messages.c.id == row.id))).one()
    assert (stored.content, stored.status, stored.inputs) == ("second 'quoted'", "failed", None)


async def test_numbers_and_dates(connection: AsyncConnection) -> None:
    usage = UsageRow(
        message_id=new_id(),
        user_id="u1",
        app_id="a1",
        day=date(2026, 1, 2),
        prompt_tokens=2**40,
        completion_tokens=0,
        total_tokens=2**40,
        total_price=Decimal("1.23456789"),
        currency="USD",
        occurred_at=AT,
    )
    await RowWriter.of(_table(UsageRecord), existing="fail").write(connection, [usage])
    records = _table(UsageRecord)
    stored = (
        await connection.execute(select(records).where(records.c.message_id == usage.message_id))
    ).one()
    assert (stored.day, stored.prompt_tokens, stored.total_price, stored.occurred_at) == (
        usage.day,
        usage.prompt_tokens,
        usage.total_price,
        AT,
    )


async def test_large_batches_go_out_in_several_statements(
    connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(literals, "MAX_STATEMENT_CHARS", 500)
    conversation_id = await _conversation(connection)
    rows = [_message(conversation_id, f"message {index} " * 20) for index in range(7)]
    writer = RowWriter.of(_table(Message), existing="fail")
    assert len(list(writer.statements(rows, repr))) == 7
    await writer.write(connection, rows)
    messages = _table(Message)
    found = await connection.execute(
        select(messages.c.content).where(messages.c.conversation_id == conversation_id)
    )
    assert sorted(found.scalars()) == sorted(row.content for row in rows)


async def test_keep_leaves_a_stored_row_as_it_is(connection: AsyncConnection) -> None:
    usage = UsageRow(
        message_id=new_id(),
        user_id="u1",
        app_id="a1",
        day=date(2026, 1, 2),
        prompt_tokens=1,
        completion_tokens=2,
        total_tokens=3,
        total_price=Decimal("0.5"),
        currency="USD",
        occurred_at=AT,
    )
    writer = RowWriter.of(_table(UsageRecord), existing="keep")
    await writer.write(connection, [usage])
    later = UsageRow(**{**_fields(usage), "total_tokens": 99})
    await writer.write(connection, [later])
    records = _table(UsageRecord)
    stored = await connection.scalar(
        select(records.c.total_tokens).where(records.c.message_id == usage.message_id)
    )
    assert stored == 3


def _fields(row: UsageRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}
