"""Routes for shared links: mine (list, revoke) and the public read-only view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import Response

from rechat_history.models import SHARE_ID_LENGTH
from rechat_history.shares import service
from rechat_history.shares.schemas import Share, SharedConversation
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(prefix="/api/shares", tags=["shares"], responses=error_responses(404))

ShareId = Annotated[str, Path(max_length=SHARE_ID_LENGTH)]


@router.get("", response_model=list[Share], responses=error_responses(401, 403))
async def list_shares(principal: ActiveUser, session: SessionDep) -> list[Share]:
    """My shared links, most recently updated first."""
    return await service.list_mine(session, principal.user_id)


@router.get("/{share_id}", response_model=SharedConversation)
async def shared_conversation(share_id: ShareId, session: SessionDep) -> SharedConversation:
    """The snapshot behind a shared link (public: whoever has the link may read it)."""
    return await service.public(session, share_id)


@router.delete(
    "/{share_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403),
)
async def revoke_share(share_id: ShareId, principal: ActiveUser, session: SessionDep) -> None:
    """Revoke one of my links: it answers 404 from now on."""
    await service.revoke(session, principal.user_id, share_id)
