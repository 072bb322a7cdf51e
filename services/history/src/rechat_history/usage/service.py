"""Usage reports over a date range (default: the last 30 days, today included)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.usage import repository
from rechat_history.usage.schemas import UsageReport, UsageRow
from rechat_shared.db import utcnow
from rechat_shared.errors import InvalidRange

DEFAULT_DAYS = 30
MAX_DAYS = 366


def date_range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidRange("`from` must not be after `to`")
    if (end - start).days >= MAX_DAYS:
        raise InvalidRange(f"The range may span at most {MAX_DAYS} days")
    return start, end


async def mine(
    session: AsyncSession, user_id: str, start: date | None, end: date | None
) -> UsageReport:
    first, last = date_range(start, end)
    rows = await repository.by_day_and_app(session, user_id, first, last)
    return UsageReport(start=first, end=last, items=[UsageRow(**row) for row in rows])


async def everyone(session: AsyncSession, start: date | None, end: date | None) -> UsageReport:
    first, last = date_range(start, end)
    rows = await repository.by_user_and_app(session, first, last)
    return UsageReport(start=first, end=last, items=[UsageRow(**row) for row in rows])
