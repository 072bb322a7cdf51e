"""Fixtures for history's tests: the run's MariaDB migrated once (tables emptied per test), a
signing key that stands in for auth, and the app driven in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rechat_history.app import create_app, run_migrations
from rechat_history.config import Settings
from rechat_history.consumers import HistoryConsumer, create_consumer_engine
from rechat_history.ingest.service import IncomingEvent
from rechat_history.testing import ChatScript, KeyRing
from rechat_shared.db import create_engine, create_sessionmaker
from rechat_shared.events import AnyBusEvent
from rechat_shared.testing.plugin import truncate_tables

HISTORY_TABLES = [
    "messages",
    "conversations",
    "message_feedback",
    "usage_records",
    "erased_users",
    "folders",
    "shares",
]

Ingest = Callable[..., Awaitable[None]]


@pytest.fixture(scope="session")
async def history_engine(mariadb_url: str) -> AsyncIterator[AsyncEngine]:
    """The run's database with history's migrations applied once."""
    await run_migrations(Settings(database_url=mariadb_url, _env_file=None))  # type: ignore[call-arg]
    engine = create_engine(mariadb_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def engine(history_engine: AsyncEngine) -> AsyncEngine:
    """The migrated database with history's tables emptied for this test."""
    await truncate_tables(history_engine, HISTORY_TABLES)
    return history_engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def consumer_sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the consumer's own connections (READ COMMITTED), as in the service."""
    url = engine.url.render_as_string(hide_password=False)
    consumer_engine = create_consumer_engine(url, writers=3)
    yield create_sessionmaker(consumer_engine)
    await consumer_engine.dispose()


@pytest.fixture
def ingest(consumer_sessions: async_sessionmaker[AsyncSession]) -> Ingest:
    """`await ingest(events, dead_lettered=False)`: one batch through the consumer's store."""
    consumer = HistoryConsumer(consumer_sessions, transient_retry_seconds=0)

    async def store(events: list[AnyBusEvent], *, dead_lettered: bool = False) -> None:
        await consumer.store([IncomingEvent(event, dead_lettered) for event in events])

    return store


@pytest.fixture
def script() -> ChatScript:
    return ChatScript()


@pytest.fixture(scope="session")
def keyring() -> KeyRing:
    return KeyRing()


@pytest.fixture
def settings(engine: AsyncEngine, redis_url: str, redis_prefix: str, tmp_path: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=engine.url.render_as_string(hide_password=False),
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        rabbitmq_url="memory://history-tests",  # what the API publishes stays in this process
        data_dir=tmp_path,
        migrate_on_start=False,
        consume_events=False,
    )


@pytest.fixture
async def client(settings: Settings, keyring: KeyRing) -> AsyncIterator[httpx.AsyncClient]:
    """The API in-process (no consumer: tests write events with `ingest`)."""
    keyring.redis_url, keyring.redis_prefix = settings.redis_url, settings.redis_prefix
    app = create_app(settings, key_source=keyring)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        yield http
