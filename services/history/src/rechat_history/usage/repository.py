"""All SQL of the usage reports: sums over `usage_records`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.models import UsageRecord

_SUMS = (
    func.count().label("messages"),
    func.coalesce(func.sum(UsageRecord.prompt_tokens), 0).label("prompt_tokens"),
    func.coalesce(func.sum(UsageRecord.completion_tokens), 0).label("completion_tokens"),
    func.coalesce(func.sum(UsageRecord.total_tokens), 0).label("total_tokens"),
    func.coalesce(func.sum(UsageRecord.total_price), 0).label("total_price"),
)


async def by_day_and_app(
    session: AsyncSession, user_id: str, start: date, end: date
) -> Sequence[dict[str, Any]]:
    query = (
        select(UsageRecord.day, UsageRecord.app_id, UsageRecord.currency, *_SUMS)
        .where(UsageRecord.user_id == user_id, UsageRecord.day.between(start, end))
        .group_by(UsageRecord.day, UsageRecord.app_id, UsageRecord.currency)
        .order_by(UsageRecord.day, UsageRecord.app_id, UsageRecord.currency)
    )
    return [_row(row._mapping) for row in await session.execute(query)]


async def by_user_and_app(
    session: AsyncSession, start: date, end: date
) -> Sequence[dict[str, Any]]:
    query = (
        select(UsageRecord.user_id, UsageRecord.app_id, UsageRecord.currency, *_SUMS)
        .where(UsageRecord.day.between(start, end))
        .group_by(UsageRecord.user_id, UsageRecord.app_id, UsageRecord.currency)
        .order_by(UsageRecord.user_id, UsageRecord.app_id, UsageRecord.currency)
    )
    return [_row(row._mapping) for row in await session.execute(query)]


async def by_day_user_and_app(
    session: AsyncSession, start: date, end: date, user_id: str | None = None
) -> Sequence[dict[str, Any]]:
    """Sums per day, user, app and currency (the series fold the days into their buckets)."""
    keys = (UsageRecord.day, UsageRecord.user_id, UsageRecord.app_id, UsageRecord.currency)
    query = select(*keys, *_SUMS).where(UsageRecord.day.between(start, end))
    if user_id is not None:
        query = query.where(UsageRecord.user_id == user_id)
    query = query.group_by(*keys).order_by(*keys)
    return [_row(row._mapping) for row in await session.execute(query)]


def _row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    for name in ("messages", "prompt_tokens", "completion_tokens", "total_tokens"):
        row[name] = int(row[name])
    row["total_price"] = format(Decimal(str(row["total_price"])).normalize(), "f")
    return row
