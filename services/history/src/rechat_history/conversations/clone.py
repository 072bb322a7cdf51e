"""Clone: a copy of a conversation's finished turns that continues as a new Dify conversation.

Dify keeps a conversation's memory on its side, so the copy has none there: its next turn
starts a fresh Dify conversation (the copy has no Dify id), while the user sees the old turns.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations.schemas import Conversation
from rechat_history.messages import repository as messages
from rechat_history.models import TITLE_LENGTH
from rechat_history.models import Conversation as ConversationRow
from rechat_history.models import Message as MessageRow
from rechat_shared.db import utcnow

CLONE_PREFIX = "Clone of "


async def clone(session: AsyncSession, original: ConversationRow) -> Conversation:
    now = utcnow()
    title = f"{CLONE_PREFIX}{original.title}"[:TITLE_LENGTH] if original.title else ""
    copy = ConversationRow(
        id=str(uuid.uuid4()),
        user_id=original.user_id,
        app_id=original.app_id,
        title=title,
        title_source="user",  # Dify's title for the new conversation must not replace it
        title_at=now,
        dify_conversation_id=None,
        pinned=False,
        archived=False,
        folder_id=original.folder_id,
        unread=False,
        preview=original.preview,
        created_at=now,
        updated_at=now,
    )
    session.add(copy)
    grouped = await messages.all_of_conversations(session, [original.id])
    finished = [row for row, _ in grouped[original.id] if row.status != "pending"]
    new_ids = {row.id: str(uuid.uuid4()) for row in finished}
    for row in finished:
        session.add(_copy_message(row, copy.id, new_ids))
    await session.flush()
    return Conversation.from_row(copy)


def _copy_message(row: MessageRow, conversation_id: str, new_ids: dict[str, str]) -> MessageRow:
    """The same message in the copy; nothing that points into the old Dify conversation."""
    return MessageRow(
        id=new_ids[row.id],
        conversation_id=conversation_id,
        user_id=row.user_id,
        role=row.role,
        position=row.position,
        content=row.content,
        status=row.status,
        final_at=row.final_at,
        final_event_id=None,
        error=row.error,
        regenerate_of=new_ids.get(row.regenerate_of) if row.regenerate_of else None,
        usage=None,  # tokens were spent once; usage records stay with the original
        dify_message_id=None,
        dify_task_id=None,
        citations=row.citations,
        thoughts=row.thoughts,
        nodes=row.nodes,
        suggested_questions=None,
        inputs=row.inputs,
        files=row.files,
        timings=row.timings,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
