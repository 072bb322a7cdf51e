"""Usage report rows."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel


class UsageRow(BaseModel):
    day: date | None = None
    """Set in my daily report; absent from the admin report, which sums over the range."""
    user_id: str | None = None
    app_id: str
    messages: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    total_price: str
    """A decimal string, in `currency`."""
    currency: str


class UsageReport(BaseModel):
    start: date
    end: date
    items: list[UsageRow]


Bucket = Literal["day", "week", "month"]


class UsagePoint(BaseModel):
    """One user's use of one app in one bucket of time."""

    period: date
    """The bucket's first day: the day, the week's Monday, the month's first."""
    user_id: str
    app_id: str
    messages: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    total_price: str
    """A decimal string, in `currency`."""
    currency: str


class UsageSeries(BaseModel):
    start: date
    end: date
    bucket: Bucket
    items: list[UsagePoint]
    """Ordered by period, user, app, currency; buckets without use are left out."""
