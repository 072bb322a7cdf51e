"""The conversation named in the path, if it is the caller's (else 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from rechat_history.conversations import service
from rechat_history.models import Conversation
from rechat_shared.db import SessionDep
from rechat_shared.security import ActiveUser


async def owned_conversation(
    conversation_id: Annotated[str, Path(max_length=64)],
    principal: ActiveUser,
    session: SessionDep,
) -> Conversation:
    return await service.get_owned(session, principal.user_id, conversation_id)


OwnedConversation = Annotated[Conversation, Depends(owned_conversation)]
