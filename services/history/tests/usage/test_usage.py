"""Usage reports: mine by day and app, everyone's by user and app for administrators."""

from __future__ import annotations

from datetime import timedelta

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.db import utcnow


async def test_my_usage_by_day_and_app_and_admin_by_user(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    conversation = new_id()
    for _ in range(3):
        await ingest(list(script.turn("u-a", conversation, "q", "a")))
    await ingest(list(script.turn("u-b", new_id(), "q", "a")))
    mine = (await client.get("/api/me/usage", headers=keyring.headers("u-a"))).json()
    assert len(mine["items"]) == 1
    row = mine["items"][0]
    assert (row["app_id"], row["messages"], row["total_tokens"]) == ("app-1", 3, 90)
    assert row["total_price"] == "0.00036"
    assert row["day"] == utcnow().date().isoformat()
    admin = keyring.headers("root", "admin")
    everyone = (await client.get("/api/admin/usage", headers=admin)).json()["items"]
    assert {(r["user_id"], r["messages"]) for r in everyone} == {("u-a", 3), ("u-b", 1)}
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    later = await client.get("/api/admin/usage", params={"from": tomorrow}, headers=admin)
    assert later.status_code == 400  # `from` after the default `to` (today)
    empty = await client.get(
        "/api/admin/usage", params={"from": tomorrow, "to": tomorrow}, headers=admin
    )
    assert empty.json()["items"] == []
