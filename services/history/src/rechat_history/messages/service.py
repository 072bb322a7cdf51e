"""Reading messages: pages of one conversation and single messages, as API schemas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.messages import repository
from rechat_history.messages.schemas import Message, MessageUpdate
from rechat_history.models import Conversation
from rechat_history.pagination import Page, cursor_time, decode_cursor, encode_cursor
from rechat_shared.errors import InvalidCursor, MessageGenerating, MessageNotFound


def _after(cursor: str | None) -> tuple[datetime, int, str] | None:
    if cursor is None:
        return None
    created_at, position, message_id = decode_cursor(cursor, 3)
    if position not in ("0", "1"):
        raise InvalidCursor()
    return cursor_time(created_at), int(position), message_id


async def list_page(
    session: AsyncSession, conversation: Conversation, *, cursor: str | None, limit: int
) -> Page[Message]:
    """Oldest first, pending answers included (the SPA resumes them by id)."""
    after = _after(cursor)
    rows = await repository.page(session, conversation.id, after=after, limit=limit + 1)
    items = [Message.from_row(message, feedback) for message, feedback in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.created_at, last.position, last.id)
    return Page[Message](items=items, next_cursor=next_cursor)


async def get_owned(session: AsyncSession, user_id: str, message_id: str) -> Message:
    found = await repository.owned(session, user_id, message_id)
    if found is None:
        raise MessageNotFound()
    return Message.from_row(*found)


async def edit_owned(
    session: AsyncSession, user_id: str, message_id: str, change: MessageUpdate
) -> Message:
    """The user's own text replaces the stored one; an answer still being generated cannot be."""
    found = await repository.owned(session, user_id, message_id)
    if found is None:
        raise MessageNotFound()
    message, feedback = found
    if message.status == "pending":
        raise MessageGenerating()
    message.content = change.content
    await session.flush()
    return Message.from_row(message, feedback)
