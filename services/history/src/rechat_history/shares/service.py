"""Sharing: a read-only snapshot of a conversation at an unguessable link, revocable.

The snapshot is taken when the owner shares (and again when they share once more, keeping the
link), so later turns, edits and deletions of single messages never leak through the link.
"""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations import export
from rechat_history.models import Conversation as ConversationRow
from rechat_history.models import Share as ShareRow
from rechat_history.shares import repository
from rechat_history.shares.schemas import Share, SharedConversation, SharedMessage
from rechat_shared.db import utcnow
from rechat_shared.errors import ShareNotFound


def _share(row: ShareRow) -> Share:
    return Share(
        id=row.id,
        conversation_id=row.conversation_id,
        title=row.title,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def share(session: AsyncSession, conversation: ConversationRow) -> Share:
    """Snapshot the conversation's finished messages; one link per conversation."""
    document = await export.one(session, conversation)
    messages = [
        SharedMessage.of(message).model_dump(mode="json")
        for message in document.messages
        if message.status != "pending"
    ]
    now = utcnow()
    row = await repository.of_conversation(session, conversation.id)
    if row is None:
        row = ShareRow(
            id=secrets.token_urlsafe(16),
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            created_at=now,
        )
        session.add(row)
    row.title = conversation.title
    row.messages = messages
    row.updated_at = now
    await session.flush()
    return _share(row)


async def list_mine(session: AsyncSession, user_id: str) -> list[Share]:
    return [_share(row) for row in await repository.all_owned(session, user_id)]


async def revoke(session: AsyncSession, user_id: str, share_id: str) -> None:
    row = await repository.by_id(session, share_id)
    if row is None or row.user_id != user_id:
        raise ShareNotFound()
    await session.delete(row)
    await session.flush()


async def public(session: AsyncSession, share_id: str) -> SharedConversation:
    row = await repository.by_id(session, share_id)
    if row is None:
        raise ShareNotFound()
    return SharedConversation(
        id=row.id,
        title=row.title,
        messages=[SharedMessage.model_validate(message) for message in row.messages],
        updated_at=row.updated_at,
    )
