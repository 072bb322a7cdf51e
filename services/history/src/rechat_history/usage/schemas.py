"""Usage report rows."""

from __future__ import annotations

from datetime import date

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
