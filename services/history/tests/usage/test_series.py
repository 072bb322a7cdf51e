"""Usage over time: per day, week or month, user and app; mine and everyone's; CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_history.models import UsageRecord
from rechat_history.testing import KeyRing, new_id
from rechat_shared.db import unit_of_work

# (user, app, day, total tokens, price); 2026-11-02 is a Monday
RECORDS = [
    ("u-a", "app-1", date(2026, 11, 2), 100, "0.001"),
    ("u-a", "app-1", date(2026, 11, 4), 50, "0.0005"),
    ("u-a", "app-2", date(2026, 11, 9), 10, "0.0001"),
    ("u-b", "app-1", date(2026, 11, 30), 7, "0.00007"),
    ("u-b", "=cmd", date(2026, 12, 1), 1, "0"),
]
RANGE = {"from": "2026-11-01", "to": "2026-12-03"}


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as session:
        for user, app, day, tokens, price in RECORDS:
            session.add(
                UsageRecord(
                    message_id=new_id(),
                    user_id=user,
                    app_id=app,
                    day=day,
                    prompt_tokens=tokens - tokens // 2,
                    completion_tokens=tokens // 2,
                    total_tokens=tokens,
                    total_price=Decimal(price),
                    currency="USD",
                    occurred_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                )
            )


def points(body: dict) -> list[tuple[str, str, str, int, str]]:
    return [
        (p["period"], p["user_id"], p["app_id"], p["total_tokens"], p["total_price"])
        for p in body["items"]
    ]


async def test_buckets_per_day_week_and_month(
    client: httpx.AsyncClient, keyring: KeyRing, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seed(sessions)
    admin = keyring.headers("root", "admin")
    url = "/api/admin/usage/series"
    daily = (await client.get(url, params=RANGE, headers=admin)).json()
    assert daily["bucket"] == "day"
    assert len(daily["items"]) == 5
    weekly = (await client.get(url, params={**RANGE, "bucket": "week"}, headers=admin)).json()
    assert points(weekly) == [
        ("2026-11-02", "u-a", "app-1", 150, "0.0015"),
        ("2026-11-09", "u-a", "app-2", 10, "0.0001"),
        ("2026-11-30", "u-b", "=cmd", 1, "0"),
        ("2026-11-30", "u-b", "app-1", 7, "0.00007"),
    ]
    monthly = (await client.get(url, params={**RANGE, "bucket": "month"}, headers=admin)).json()
    assert points(monthly) == [
        ("2026-11-01", "u-a", "app-1", 150, "0.0015"),
        ("2026-11-01", "u-a", "app-2", 10, "0.0001"),
        ("2026-11-01", "u-b", "app-1", 7, "0.00007"),
        ("2026-12-01", "u-b", "=cmd", 1, "0"),
    ]
    first = monthly["items"][0]
    assert (first["messages"], first["prompt_tokens"], first["completion_tokens"]) == (2, 75, 75)
    # the range bounds it
    late = {"from": "2026-11-09", "to": "2026-11-30", "bucket": "month"}
    assert len((await client.get(url, params=late, headers=admin)).json()["items"]) == 2


async def test_mine_is_mine_and_the_admin_series_is_for_admins(
    client: httpx.AsyncClient, keyring: KeyRing, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seed(sessions)
    mine = await client.get(
        "/api/me/usage/series", params={**RANGE, "bucket": "month"}, headers=keyring.headers("u-a")
    )
    assert {p["user_id"] for p in mine.json()["items"]} == {"u-a"}
    assert [p["total_tokens"] for p in mine.json()["items"]] == [150, 10]
    for path in ("/api/admin/usage/series", "/api/admin/usage/export"):
        refused = await client.get(path, headers=keyring.headers("u-a"))
        assert refused.status_code == 403
    bad = await client.get(
        "/api/me/usage/series", params={"bucket": "year"}, headers=keyring.headers("u-a")
    )
    assert bad.status_code == 422
    backwards = await client.get(
        "/api/me/usage/series",
        params={"from": "2026-12-01", "to": "2026-11-01"},
        headers=keyring.headers("u-a"),
    )
    assert backwards.status_code == 400
    assert backwards.json()["error"] == "invalid_range"


async def test_csv_export(
    client: httpx.AsyncClient, keyring: KeyRing, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seed(sessions)
    answer = await client.get(
        "/api/admin/usage/export",
        params={**RANGE, "bucket": "week"},
        headers=keyring.headers("root", "admin"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert (
        'filename="usage-2026-11-01-2026-12-03-week.csv"' in answer.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["period"] for r in rows] == ["2026-11-02", "2026-11-09", "2026-11-30", "2026-11-30"]
    assert rows[0] == {
        "period": "2026-11-02",
        "user_id": "u-a",
        "app_id": "app-1",
        "messages": "2",
        "prompt_tokens": "75",
        "completion_tokens": "75",
        "total_tokens": "150",
        "total_price": "0.0015",
        "currency": "USD",
    }
    assert rows[2]["app_id"] == "'=cmd"  # no formula for a spreadsheet to run
