"""History's application factory: the API plus, in the same process, the event consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from rechat_history.config import VERSION_TABLE, Settings
from rechat_history.consumers import HistoryConsumer, create_consumer_engine, start_consumers
from rechat_history.conversations.endpoints import router as conversations_router
from rechat_history.conversations.mirror import DifyMirror
from rechat_history.folders.endpoints import router as folders_router
from rechat_history.internal.endpoints import router as internal_router
from rechat_history.messages.endpoints import router as messages_router
from rechat_history.shares.endpoints import router as shares_router
from rechat_history.usage.endpoints import router as usage_router
from rechat_shared.app import create_service_app
from rechat_shared.body_limit import BodyLimit
from rechat_shared.bus import create_bus
from rechat_shared.db import create_engine, create_sessionmaker, is_sqlite, ping
from rechat_shared.migrations import upgrade, upgrade_database
from rechat_shared.redis import Keys, create_redis
from rechat_shared.security import JWKSCache, KeySource, TokenVerifier

MIGRATIONS = Path(__file__).parent / "migrations"


async def run_migrations(settings: Settings | None = None) -> None:
    """Bring history's tables to the newest revision (start-up and `rechat migrate`)."""
    settings = settings or Settings()
    await upgrade_database(settings.resolved_database_url, MIGRATIONS, VERSION_TABLE)


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    """The history service. `key_source` replaces auth's JWKS (tests sign their own tokens)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(
                settings.resolved_database_url,
                echo=settings.database_echo,
                pool_size=settings.database_pool_size,
            )
            stack.push_async_callback(engine.dispose)
            if settings.migrate_on_start:
                await upgrade(engine, MIGRATIONS, VERSION_TABLE)
            app.state.sessions = create_sessionmaker(engine)
            redis = create_redis(
                settings.redis_url,
                health_check_seconds=settings.redis_health_check_seconds,
            )
            stack.push_async_callback(redis.aclose)
            http = await stack.enter_async_context(httpx.AsyncClient())
            keys = key_source or JWKSCache(settings.jwks_url, http, ttl=settings.jwks_cache_seconds)
            app.state.token_verifier = TokenVerifier(
                keys, settings, redis, Keys(settings.redis_prefix)
            )
            app.state.readiness_checks = {
                "database": lambda: ping(engine),
                "redis": redis.ping,
            }
            bus = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix)
            await bus.connect()
            stack.push_async_callback(bus.close)  # stops consuming before the engine goes
            app.state.dify_mirror = DifyMirror(redis, Keys(settings.redis_prefix), bus)
            if settings.consume_events:
                sqlite = is_sqlite(settings.resolved_database_url)
                writers = 1 if sqlite else settings.writers
                consumer_engine = engine  # SQLite: one writer, no isolation level to set
                if not sqlite:
                    consumer_engine = create_consumer_engine(
                        settings.resolved_database_url, writers=writers, echo=settings.database_echo
                    )
                    stack.push_async_callback(consumer_engine.dispose)
                consumer = HistoryConsumer(
                    create_sessionmaker(consumer_engine),
                    transient_retry_seconds=settings.transient_retry_seconds,
                    writers=writers,
                )
                app.state.consumers = await start_consumers(
                    bus,
                    consumer,
                    count=1 if sqlite else settings.consumers,
                    batch_size=settings.batch_size,
                    batch_wait=settings.batch_wait_seconds,
                )
            yield

    app = create_service_app("history", title="ReChat history", lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/api/conversations/import": settings.max_import_bytes},
    )
    app.include_router(conversations_router)
    app.include_router(messages_router)
    app.include_router(folders_router)
    app.include_router(shares_router)
    app.include_router(usage_router)
    app.include_router(internal_router)
    return app
