"""The caller's preferences: `/api/auth/me/preferences`."""

from __future__ import annotations

from fastapi import APIRouter

from rechat_auth.dependencies import UnitOfWorkDep
from rechat_auth.preferences.schemas import Preferences, PreferencesUpdate
from rechat_auth.preferences.service import PreferencesService
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(
    prefix="/api/auth/me/preferences", tags=["me"], responses=error_responses(401, 403)
)


@router.get("", response_model=Preferences)
async def read_preferences(principal: ActiveUser, work: UnitOfWorkDep) -> Preferences:
    """My settings, each with its default where I never changed it."""
    return await PreferencesService(work).read(principal.user_id)


@router.patch("", response_model=Preferences)
async def update_preferences(
    body: PreferencesUpdate, principal: ActiveUser, work: UnitOfWorkDep
) -> Preferences:
    """Change some of my settings; the answer is all of them."""
    return await PreferencesService(work).update(principal.user_id, body)
