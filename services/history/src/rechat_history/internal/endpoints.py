"""Internal routes, authenticated as a service (`X-Service-Token`), never as a user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from rechat_history.internal import service
from rechat_history.internal.dependencies import ServiceCaller
from rechat_history.internal.schemas import ConversationOwner
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses

router = APIRouter(
    prefix="/internal",
    tags=["internal"],
    dependencies=[ServiceCaller],
    responses=error_responses(401, 404),
)


@router.get("/conversations/{conversation_id}", response_model=ConversationOwner)
async def conversation_owner(
    conversation_id: Annotated[str, Path(max_length=64)], session: SessionDep
) -> ConversationOwner:
    """A conversation's owner, app and Dify conversation id (the gateway's ownership check)."""
    return await service.owner(session, conversation_id)
