"""Embedded mode: SQLite in the data directory and in-process Redis, migrated at start-up,
with a generated development key and the in-process bus: the same rules hold."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from rechat_auth.app import create_app
from rechat_auth.config import Settings
from rechat_auth.testing import UserEvents
from rechat_shared.bus import HISTORY_QUEUE, create_bus


async def test_sqlite_memory_redis_and_memory_bus(tmp_path: Path) -> None:
    memory = f"memory://{uuid.uuid4().hex}"
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=memory, rabbitmq_url=memory)
    app = create_app(settings)
    events = UserEvents()
    listener = create_bus(memory)
    await listener.consume(HISTORY_QUEUE, events.handle)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (tmp_path / "rechat.db").exists()
        assert (tmp_path / "auth_signing_key.pem").exists()
        admin = await client.post(
            "/api/auth/register",
            json={"email": "Admin@Example.com", "password": "embedded pw", "name": "A"},
        )
        assert admin.status_code == 201
        admin_headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        client.cookies.clear()
        second = await client.post(
            "/api/auth/register",
            json={"email": "ADMIN@example.com", "password": "embedded pw", "name": "B"},
        )
        assert second.json()["user"]["id"] == admin.json()["user"]["id"]  # signed in again
        member = await client.post(
            "/api/auth/register",
            json={"email": "member@example.com", "password": "embedded pw", "name": "M"},
        )
        assert member.json()["user"]["role"] == "pending"
        member_id = member.json()["user"]["id"]
        refreshed = await client.post("/api/auth/refresh")
        assert refreshed.status_code == 200
        member_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        approved = await client.patch(
            f"/api/admin/users/{member_id}", json={"role": "user"}, headers=admin_headers
        )
        assert approved.status_code == 200
        assert (await client.get("/api/auth/me", headers=member_headers)).status_code == 401
        last = await client.delete(
            f"/api/admin/users/{admin.json()['user']['id']}", headers=admin_headers
        )
        assert last.status_code == 409
        changes = await events.wait_for(member_id, 2)
        assert [(event.change, event.role) for event in changes] == [
            ("created", "pending"),
            ("updated", "user"),
        ]
        listing = await client.get("/api/admin/users?sort=email&q=EXAMPLE", headers=admin_headers)
        assert [user["email"] for user in listing.json()["items"]] == [
            "admin@example.com",
            "member@example.com",
        ]
    await listener.close()
