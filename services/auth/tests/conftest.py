"""Fixtures for auth's tests: one migrated MariaDB database per run (tables emptied per test),
a Redis prefix per test, the app driven in-process, and accounts made without slow hashing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rechat_auth.app import create_app, run_migrations
from rechat_auth.config import Settings
from rechat_auth.models import User
from rechat_auth.testing import PASSWORD, Account, MakeUser, Running, StartAuth, UserEvents
from rechat_auth.users.passwords import OWASP_MEMORY_KIB, OWASP_PARALLELISM, OWASP_TIME_COST
from rechat_shared.bus import HISTORY_QUEUE, create_bus
from rechat_shared.db import create_engine, unit_of_work
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
    delete_redis_prefix,
)
from rechat_shared.testing.plugin import truncate_tables
from rechat_shared.testing.processes import ServiceProcess

AUTH_TABLES = [
    "user_group_members",
    "user_groups",
    "user_avatars",
    "user_preferences",
    "refresh_tokens",
    "users",
    "auth_settings",
    "auth_outbox",
]


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
async def auth_engine(mariadb_url: str) -> AsyncIterator[AsyncEngine]:
    """The run's database with auth's migrations applied once."""
    await run_migrations(Settings(database_url=mariadb_url, _env_file=None))
    engine = create_engine(mariadb_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once for the whole run (argon2id at the service's parameters)."""
    hasher = PasswordHasher(
        time_cost=OWASP_TIME_COST, memory_cost=OWASP_MEMORY_KIB, parallelism=OWASP_PARALLELISM
    )
    return hasher.hash(PASSWORD)


@pytest.fixture(scope="session")
async def auth_rabbit_prefix(rabbit_prefix: str, rabbitmq_url: str) -> AsyncIterator[str]:
    """Auth's tests publish under a prefix of their own, so other services' consumers in the
    same run never see these events."""
    prefix = f"{rabbit_prefix}auth."
    yield prefix
    await delete_rabbit_names(rabbitmq_url, prefix)


@pytest.fixture(scope="session")
async def user_events(auth_rabbit_prefix: str, rabbitmq_url: str) -> AsyncIterator[UserEvents]:
    """Every `user.changed` the tests' apps publish, as consumed back from RabbitMQ."""
    events = UserEvents()
    bus = create_bus(rabbitmq_url, auth_rabbit_prefix)
    await bus.connect()
    await bus.consume(HISTORY_QUEUE, events.handle)
    yield events
    await bus.close()


@pytest.fixture
def settings(
    mariadb_url: str,
    auth_engine: AsyncEngine,
    redis_url: str,
    redis_prefix: str,
    rabbitmq_url: str,
    auth_rabbit_prefix: str,
    signing_key: Ed25519PrivateKey,
    tmp_path: Any,
) -> Settings:
    return Settings(
        _env_file=None,
        database_url=mariadb_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        rabbitmq_url=rabbitmq_url,
        rabbitmq_prefix=auth_rabbit_prefix,
        private_key=SecretStr(pem(signing_key)),
        data_dir=tmp_path,
        migrate_on_start=False,
    )


@pytest.fixture
def start_auth(settings: Settings, auth_engine: AsyncEngine) -> StartAuth:
    """`async with start_auth(**setting_overrides) as running:` an app on empty tables
    (`keep_data=True` keeps what an earlier app of the same test stored)."""

    @asynccontextmanager
    async def start(*, keep_data: bool = False, **overrides: Any) -> AsyncIterator[Running]:
        if not keep_data:
            await truncate_tables(auth_engine, AUTH_TABLES)
        app = create_app(settings.model_copy(update=overrides))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            yield Running(app, client)

    return start


@pytest.fixture
async def running(start_auth: StartAuth) -> AsyncIterator[Running]:
    async with start_auth() as running:
        yield running


@pytest.fixture
def client(running: Running) -> httpx.AsyncClient:
    return running.client


@pytest.fixture
def make_user(running: Running, password_hash: str) -> MakeUser:
    """Insert an account with PASSWORD (no hashing per test) and mint its access token."""

    async def make(role: str = "user", *, email: str | None = None, active: bool = True) -> Account:
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        user = User(
            email=email,
            name=f"{role} tester",
            role=role,
            active=active,
            password_hash=password_hash,
        )
        async with unit_of_work(running.runtime.sessions) as session:
            session.add(user)
        await running.runtime.user_state.mark_live(user.id)
        return Account(user.id, email, role, running.runtime.tokens.mint(user))

    return make


@pytest.fixture
async def admin(make_user: MakeUser) -> Account:
    return await make_user("admin")


@pytest.fixture
async def member(make_user: MakeUser) -> Account:
    return await make_user("user")


StartProcess = Callable[[str], Awaitable[ServiceProcess]]


@pytest.fixture(scope="session")
async def start_auth_process(
    run_id: str,
    auth_rabbit_prefix: str,
    service_process: Callable[..., ServiceProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[StartProcess]:
    """`await start_auth_process(name)`: `python -m rechat_auth` as a real process on a database
    of its own (which it migrates at start-up), with a generated development key."""
    admin = create_engine(MARIADB_ADMIN_URL)
    cleanups: list[tuple[ServiceProcess, str, str, str]] = []

    async def start(name: str) -> ServiceProcess:
        database = f"rechat_test_{run_id}_auth_{name}"
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
        prefix = f"rechat-test:{run_id}:auth-{name}:"
        rabbit_prefix = f"{auth_rabbit_prefix}{name}."
        process = service_process(
            "rechat_auth",
            env={
                "AUTH_DATABASE_URL": f"{MARIADB_ADMIN_URL.rstrip('/')}/{database}?charset=utf8mb4",
                "AUTH_REDIS_URL": REDIS_URL,
                "REDIS_PREFIX": prefix,
                "AUTH_RABBITMQ_URL": RABBITMQ_URL,
                "AUTH_RABBITMQ_PREFIX": rabbit_prefix,
                "RECHAT_DATA_DIR": str(tmp_path_factory.mktemp(f"auth-{name}")),
                "RECHAT_ENV": "development",
                "LOG_FORMAT": "text",
                "AUTH_OUTBOX_INTERVAL_SECONDS": "1",
            },
            ready_path="/readyz",
            name=f"auth-{name}",
        )
        cleanups.append((process, prefix, rabbit_prefix, database))
        return process

    yield start
    for process, prefix, rabbit_prefix, database in cleanups:
        process.stop()
        await delete_redis_prefix(REDIS_URL, prefix)
        await delete_rabbit_names(RABBITMQ_URL, rabbit_prefix)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{database}`"))
    await admin.dispose()
