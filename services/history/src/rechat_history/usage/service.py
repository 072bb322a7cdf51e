"""Usage reports over a date range (default: the last 30 days, today included)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.usage import repository
from rechat_history.usage.schemas import Bucket, UsagePoint, UsageReport, UsageRow, UsageSeries
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


def period_of(day: date, bucket: Bucket) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


async def series(
    session: AsyncSession,
    start: date | None,
    end: date | None,
    bucket: Bucket,
    user_id: str | None = None,
) -> UsageSeries:
    """Tokens and cost per bucket of time, user and app (one user's with `user_id`)."""
    first, last = date_range(start, end)
    rows = await repository.by_day_user_and_app(session, first, last, user_id)
    points: dict[tuple[date, str, str, str], UsagePoint] = {}
    for row in rows:
        key = (period_of(row["day"], bucket), row["user_id"], row["app_id"], row["currency"])
        point = points.get(key)
        if point is None:
            points[key] = UsagePoint(period=key[0], **{k: v for k, v in row.items() if k != "day"})
            continue
        point.messages += row["messages"]
        point.prompt_tokens += row["prompt_tokens"]
        point.completion_tokens += row["completion_tokens"]
        point.total_tokens += row["total_tokens"]
        price = Decimal(point.total_price) + Decimal(row["total_price"])
        point.total_price = format(price.normalize(), "f")
    items = [points[key] for key in sorted(points)]
    return UsageSeries(start=first, end=last, bucket=bucket, items=items)


CSV_COLUMNS = (
    "period",
    "user_id",
    "app_id",
    "messages",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "total_price",
    "currency",
)


def as_csv(report: UsageSeries) -> str:
    """The series as CSV, one row per point, with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for point in report.items:
        data = point.model_dump(mode="json")
        writer.writerow([_cell(str(data[column])) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: str) -> str:
    """No spreadsheet formulas from ids (CSV injection)."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
