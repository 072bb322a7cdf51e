"""Answers the gateway's question: whose conversation is this, and which Dify conversation?"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.internal import repository
from rechat_history.internal.schemas import ConversationOwner
from rechat_shared.errors import ConversationNotFound


async def owner(session: AsyncSession, conversation_id: str) -> ConversationOwner:
    conversation = await repository.live(session, conversation_id)
    if conversation is None:
        raise ConversationNotFound()
    return ConversationOwner(
        id=conversation.id,
        user_id=conversation.user_id,
        app_id=conversation.app_id,
        dify_conversation_id=conversation.dify_conversation_id,
    )
