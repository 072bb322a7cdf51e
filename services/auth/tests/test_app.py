"""The app as a whole: the CLI entry points (migrations, creating an admin), documented routes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rechat_auth.app import create_admin, create_app, run_migrations
from rechat_auth.config import Settings
from rechat_auth.models import Base
from rechat_auth.testing import PASSWORD, StartAuth, UserEvents
from rechat_auth.users.passwords import DECOY_HASH, Passwords
from rechat_shared.errors import Conflict


async def test_create_admin_then_sign_in(
    start_auth: StartAuth, settings: Settings, user_events: UserEvents
) -> None:
    async with start_auth(outbox_interval_seconds=0.1) as running:
        await run_migrations(settings)  # idempotent on a migrated database
        admin = await create_admin("Root@Example.com", PASSWORD, "Root", settings=settings)
        assert (admin.email, admin.role, admin.active) == ("root@example.com", "admin", True)
        login = await running.client.post(
            "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
        )
        assert login.json()["user"]["role"] == "admin"
        # the CLI leaves its event in the outbox; the running service's relay publishes it
        (event,) = await user_events.wait_for(admin.id, 1)
        assert event.change == "created"
    with pytest.raises(Conflict):
        await create_admin("root@example.com", PASSWORD, "Again", settings=settings)
    with pytest.raises(ValidationError):
        await create_admin("not-an-email", "short", "", settings=settings)


def test_every_public_route_is_documented(settings: Settings) -> None:
    """Each operation has a one-line description and a response schema (or is a 204)."""
    document = create_app(settings).openapi()
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 15
    for name, operation in operations:
        assert operation.get("description"), name
        assert "\n" not in operation["description"].strip(), name
        success = {code: answer for code, answer in operation["responses"].items() if code < "300"}
        assert success, name
        for code, answer in success.items():
            if code == "204":
                continue
            content = answer.get("content", {})
            assert content, name
            # a JSON answer has its schema; a picture (the avatar) is bytes of its own type
            if "application/json" in content:
                assert "schema" in content["application/json"], name
            else:
                assert all(kind.startswith("image/") for kind in content), name


def test_decoy_hash_matches_the_service_parameters() -> None:
    assert not Passwords().needs_rehash(DECOY_HASH)


async def test_migrations_match_the_models(auth_engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to do for auth's tables on the migrated MariaDB database."""

    def ours(name: str | None, kind: str, parent: object) -> bool:
        return kind != "table" or name in Base.metadata.tables

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": ours}
        )
        return list(compare_metadata(context, Base.metadata))

    async with auth_engine.connect() as connection:
        assert await connection.run_sync(diff) == []
