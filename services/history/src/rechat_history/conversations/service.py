"""Conversation logic for the API: list and search, edit, delete, archive."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations import repository
from rechat_history.conversations.mirror import DifyMirror, deleted
from rechat_history.conversations.schemas import (
    Conversation,
    ConversationFilters,
    ConversationUpdate,
)
from rechat_history.folders import service as folders
from rechat_history.models import Conversation as ConversationRow
from rechat_history.pagination import Page, cursor_time, decode_cursor, encode_cursor
from rechat_history.shares import repository as shares
from rechat_shared.db import utcnow
from rechat_shared.errors import ConfirmRequired, ConversationNotFound
from rechat_shared.events import ConversationDeleted


async def get_owned(session: AsyncSession, user_id: str, conversation_id: str) -> ConversationRow:
    conversation = await repository.owned(session, user_id, conversation_id)
    if conversation is None:
        raise ConversationNotFound()
    return conversation


async def list_page(
    session: AsyncSession,
    user_id: str,
    filters: ConversationFilters,
    *,
    cursor: str | None,
    limit: int,
) -> Page[Conversation]:
    """Newest activity first; the cursor is the last row's (updated_at, id)."""
    before = None
    if cursor is not None:
        updated_at, conversation_id = decode_cursor(cursor, 2)
        before = (cursor_time(updated_at), conversation_id)
    rows = await repository.page(session, user_id, filters, before=before, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.updated_at, last.id)
    return Page[Conversation](
        items=[Conversation.from_row(row) for row in rows[:limit]], next_cursor=next_cursor
    )


async def update(
    session: AsyncSession, conversation: ConversationRow, changes: ConversationUpdate
) -> Conversation:
    """Rename (a user's title is never replaced by a generated one), pin, archive, file in a
    folder (null: out of it), mark as (un)read."""
    if "folder_id" in changes.model_fields_set:
        if changes.folder_id is not None:
            await folders.get_owned(session, conversation.user_id, changes.folder_id)
        conversation.folder_id = changes.folder_id
    if changes.unread is not None:
        conversation.unread = changes.unread
    if changes.title is not None:
        conversation.title = changes.title
        conversation.title_source = "user"
        conversation.title_at = utcnow()
    if changes.pinned is not None:
        conversation.pinned = changes.pinned
    if changes.archived is not None:
        conversation.archived = changes.archived
    await session.flush()
    return Conversation.from_row(conversation)


async def delete(
    session: AsyncSession, conversation: ConversationRow, mirror: DifyMirror
) -> list[ConversationDeleted]:
    """Delete the messages; the conversation row stays as a tombstone without content. Returns
    the event to announce once committed."""
    return await _delete(session, [conversation], mirror)


async def delete_all(
    session: AsyncSession, user_id: str, mirror: DifyMirror, *, confirm: bool
) -> list[ConversationDeleted]:
    if not confirm:
        raise ConfirmRequired("Set confirm to true to delete every conversation")
    return await _delete(session, await repository.live(session, user_id), mirror)


async def _delete(
    session: AsyncSession, conversations: Sequence[ConversationRow], mirror: DifyMirror
) -> list[ConversationDeleted]:
    events = [deleted(row) for row in conversations]  # before the tombstone drops the Dify id
    ids = [row.id for row in conversations]
    await shares.delete_of_conversations(session, ids)
    await repository.delete_messages(session, ids)
    await repository.tombstone(session, ids, utcnow())
    await mirror.mark_deleted(conversations)
    return events


async def archive_all(session: AsyncSession, user_id: str) -> None:
    await repository.archive_all(session, user_id)
