"""Routes for usage: mine by day and app; everyone's by user and app for administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from rechat_history.usage import service
from rechat_history.usage.schemas import Bucket, UsageReport, UsageSeries
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser, AdminUser

router = APIRouter(tags=["usage"], responses=error_responses(400, 401, 403))

From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]
CSV_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "A CSV file"}
}


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


@router.get("/api/me/usage/series", response_model=UsageSeries)
async def my_usage_series(
    principal: ActiveUser,
    session: SessionDep,
    start: From = None,
    end: To = None,
    bucket: Bucket = "day",
) -> UsageSeries:
    """My tokens and cost per day, week or month and app (Settings > Usage's chart)."""
    return await service.series(session, start, end, bucket, principal.user_id)


@router.get("/api/admin/usage/series", response_model=UsageSeries)
async def admin_usage_series(
    _: AdminUser,
    session: SessionDep,
    start: From = None,
    end: To = None,
    bucket: Bucket = "day",
) -> UsageSeries:
    """Everyone's tokens and cost per day, week or month, user and app (administrators)."""
    return await service.series(session, start, end, bucket)


@router.get("/api/admin/usage/export", response_class=Response, responses=CSV_FILE)
async def admin_usage_csv(
    _: AdminUser,
    session: SessionDep,
    start: From = None,
    end: To = None,
    bucket: Bucket = "day",
) -> Response:
    """The series as a CSV file (administrators)."""
    report = await service.series(session, start, end, bucket)
    name = f"usage-{report.start}-{report.end}-{bucket}.csv"
    return Response(
        service.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
