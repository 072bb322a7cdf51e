"""Auth's application factory and lifespan, plus the entry points the `rechat` CLI calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from rechat_auth.admin.endpoints import router as admin_router
from rechat_auth.admin.repository import AuthSettingsRepository
from rechat_auth.avatars.endpoints import router as avatars_router
from rechat_auth.config import Settings
from rechat_auth.dependencies import UnitOfWork
from rechat_auth.groups.endpoints import router as groups_router
from rechat_auth.keys.endpoints import router as keys_router
from rechat_auth.keys.service import load_keyring
from rechat_auth.preferences.endpoints import router as preferences_router
from rechat_auth.runtime import AuthRuntime
from rechat_auth.sessions.endpoints import router as sessions_router
from rechat_auth.sessions.maintenance import run_maintenance
from rechat_auth.users.endpoints import router as users_router
from rechat_auth.users.schemas import User as UserSchema
from rechat_auth.users.schemas import UserCreate
from rechat_auth.users.service import UserService
from rechat_shared.app import create_service_app
from rechat_shared.body_limit import BodyLimit
from rechat_shared.bus import BusUnavailable, EventBus, create_bus
from rechat_shared.db import create_engine, create_sessionmaker, ping, unit_of_work
from rechat_shared.errors import error_body
from rechat_shared.events import BusEvent
from rechat_shared.migrations import upgrade, upgrade_database
from rechat_shared.redis import create_redis
from rechat_shared.security import TokenVerifier

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_auth"


async def run_migrations(settings: Settings | None = None) -> None:
    """Bring auth's tables to the newest revision (`rechat migrate`, and every start-up)."""
    settings = settings or Settings()
    await upgrade_database(settings.resolved_database_url, MIGRATIONS, VERSION_TABLE)


@asynccontextmanager
async def _bus(settings: Settings) -> AsyncIterator[EventBus]:
    """The event bus, connected if the broker answers; auth serves without it (its events
    wait in the outbox and the relay reconnects)."""
    bus = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix)
    try:
        await bus.connect()
    except BusUnavailable as exc:
        logger.warning("broker unavailable at start-up", extra={"reason": exc.detail})
    try:
        yield bus
    finally:
        await bus.close()


@asynccontextmanager
async def _background(runtime: AuthRuntime, bus: EventBus) -> AsyncIterator[None]:
    """The service's loops: the outbox relay and the refresh-token purge."""
    settings = runtime.settings
    tasks = [
        asyncio.create_task(
            runtime.outbox.run(settings.outbox_interval_seconds, bus.connect), name="auth-outbox"
        ),
        asyncio.create_task(
            run_maintenance(runtime.sessions, settings.maintenance_interval_seconds),
            name="auth-maintenance",
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    keyring = load_keyring(settings)  # before anything else: refuse to start without a key
    async with AsyncExitStack() as stack:
        engine = create_engine(
            settings.resolved_database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
        )
        stack.push_async_callback(engine.dispose)
        if settings.migrate_on_start:
            await upgrade(engine, MIGRATIONS, VERSION_TABLE)
        redis = create_redis(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        stack.push_async_callback(redis.aclose)
        bus = await stack.enter_async_context(_bus(settings))
        sessions = create_sessionmaker(engine)
        async with unit_of_work(sessions) as session:
            # the settings row is what registrations lock; it must exist before they start
            await AuthSettingsRepository(session).get()
        runtime = AuthRuntime.build(settings, sessions, redis, keyring, bus)
        await stack.enter_async_context(_background(runtime, bus))
        app.state.sessions = sessions
        app.state.clients = runtime
        app.state.token_verifier = TokenVerifier(keyring, settings, redis, runtime.keys)
        app.state.readiness_checks.update(
            {
                "database": lambda: ping(engine),
                "redis": lambda: redis.ping(),
            }
        )
        yield


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    logger.error("backing service unavailable", exc_info=exc)
    return JSONResponse(
        error_body("service_unavailable", "A backing service is unavailable; try again"),
        status_code=503,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The auth service as an ASGI app (settings from the environment unless given)."""
    app = create_service_app("auth", title="ReChat auth", lifespan=lifespan)
    app.state.settings = settings = settings or Settings()
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/api/auth/me/avatar": settings.avatar_max_bytes},
    )
    app.add_exception_handler(RedisError, _unavailable)
    app.add_exception_handler(OperationalError, _unavailable)
    routers = (
        sessions_router,
        users_router,
        preferences_router,
        keys_router,
        admin_router,
        groups_router,
        avatars_router,
    )
    for router in routers:
        app.include_router(router)
    return app


class _RelayedByTheService:
    """The CLI's publisher: it never publishes itself. Its events stay in the outbox, where
    the running auth service's relay finds them (with `memory://` only that process can
    deliver them, and the broker may be unreachable from where the CLI runs)."""

    async def publish(self, event: BusEvent) -> None:
        raise BusUnavailable("left in the outbox for the running service")


async def create_admin(
    email: str, password: str, name: str, settings: Settings | None = None
) -> UserSchema:
    """Create an admin account directly in the database (`rechat create-admin`)."""
    settings = settings or Settings()
    data = UserCreate(email=email, password=password, name=name)  # same rules as sign-up
    await run_migrations(settings)
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.resolved_database_url)
        stack.push_async_callback(engine.dispose)
        redis = create_redis(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        stack.push_async_callback(redis.aclose)
        runtime = AuthRuntime.build(
            settings,
            create_sessionmaker(engine),
            redis,
            load_keyring(settings),
            _RelayedByTheService(),
        )
        async with unit_of_work(runtime.sessions) as session:
            user = await UserService(UnitOfWork(session), runtime).create(
                data.email, data.password, data.name, role="admin"
            )
        return UserSchema.model_validate(user)
