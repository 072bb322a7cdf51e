"""Routes for messages: a conversation's messages page by page, and one message by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from rechat_history.conversations.dependencies import OwnedConversation
from rechat_history.messages import service
from rechat_history.messages.schemas import Message, MessageUpdate
from rechat_history.pagination import MAX_CURSOR_LENGTH, Page
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(tags=["messages"], responses=error_responses(400, 401, 403, 404))


@router.get("/api/conversations/{conversation_id}/messages", response_model=Page[Message])
async def list_messages(
    conversation: OwnedConversation,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> Page[Message]:
    """A conversation's messages, oldest first, including answers still being generated."""
    return await service.list_page(session, conversation, cursor=cursor, limit=limit)


@router.get("/api/messages/{message_id}", response_model=Message)
async def get_message(
    message_id: Annotated[str, Path(max_length=64)], principal: ActiveUser, session: SessionDep
) -> Message:
    """One of my messages (to poll an answer's final state)."""
    return await service.get_owned(session, principal.user_id, message_id)


@router.patch(
    "/api/messages/{message_id}", response_model=Message, responses=error_responses(409, 422)
)
async def edit_message(
    message_id: Annotated[str, Path(max_length=64)],
    change: MessageUpdate,
    principal: ActiveUser,
    session: SessionDep,
) -> Message:
    """Replace the text of one of my messages (a question saved without asking again, an
    edited answer); Dify's own memory of the conversation is not changed."""
    return await service.edit_owned(session, principal.user_id, message_id, change)
