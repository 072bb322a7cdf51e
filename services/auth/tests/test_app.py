"""The entry points the `rechat` CLI calls: migrations and creating an admin."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rechat_auth.app import create_admin, run_migrations
from rechat_auth.config import Settings
from rechat_auth.testing import PASSWORD, Running, UserEvents
from rechat_shared.errors import Conflict


async def test_create_admin_then_sign_in(
    running: Running, settings: Settings, user_events: UserEvents
) -> None:
    await run_migrations(settings)  # idempotent on a migrated database
    admin = await create_admin("Root@Example.com", PASSWORD, "Root", settings=settings)
    assert (admin.email, admin.role, admin.active) == ("root@example.com", "admin", True)
    login = await running.client.post(
        "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
    )
    assert login.json()["user"]["role"] == "admin"
    (event,) = await user_events.wait_for(admin.id, 1)
    assert event.change == "created"
    with pytest.raises(Conflict):
        await create_admin("root@example.com", PASSWORD, "Again", settings=settings)
    with pytest.raises(ValidationError):
        await create_admin("not-an-email", "short", "", settings=settings)
