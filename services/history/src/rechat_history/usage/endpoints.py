"""Routes for usage: mine by day and app; everyone's by user and app for administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from rechat_history.usage import service
from rechat_history.usage.schemas import UsageReport
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser, AdminUser

router = APIRouter(tags=["usage"], responses=error_responses(400, 401, 403))

From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


@router.get("/api/me/usage", response_model=UsageReport)
async def my_usage(
    principal: ActiveUser, session: SessionDep, start: From = None, end: To = None
) -> UsageReport:
    """My tokens and cost by day and app (`from`/`to` are inclusive UTC dates)."""
    return await service.mine(session, principal.user_id, start, end)


@router.get("/api/admin/usage", response_model=UsageReport)
async def admin_usage(
    _: AdminUser, session: SessionDep, start: From = None, end: To = None
) -> UsageReport:
    """Everyone's tokens and cost by user and app over a date range (administrators)."""
    return await service.everyone(session, start, end)
