"""The gateway's application factory, lifespan (clients, migrations, broker) and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from rechat_gateway.apps.cache import AppCache
from rechat_gateway.apps.endpoints import router as apps_router
from rechat_gateway.audio.endpoints import router as audio_router
from rechat_gateway.chat.conversation_changes import ConversationChanges
from rechat_gateway.chat.endpoints import router as chat_router
from rechat_gateway.chat.failures import FailedRequests
from rechat_gateway.chat.history import HistoryClient
from rechat_gateway.chat.ownership import ConversationDirectory
from rechat_gateway.chat.redis_repository import Records
from rechat_gateway.chat.sse import KeepAliveTicker
from rechat_gateway.clients import GatewayClients
from rechat_gateway.config import GatewaySettings
from rechat_gateway.files.endpoints import router as files_router
from rechat_shared.app import create_service_app
from rechat_shared.body_limit import BodyLimit
from rechat_shared.bus import (
    CONVERSATIONS_QUEUE,
    FAILED_REQUESTS_QUEUE,
    BusUnavailable,
    EventBus,
    create_bus,
)
from rechat_shared.crypto import SecretBox
from rechat_shared.db import create_engine, create_sessionmaker, ping
from rechat_shared.dify import DifyClient
from rechat_shared.errors import error_body
from rechat_shared.migrations import upgrade, upgrade_database
from rechat_shared.redis import Keys, create_redis
from rechat_shared.security import JWKSCache, TokenVerifier
from rechat_shared.streams import create_stream_hub

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_gateway"
BUS_RETRY_SECONDS = 1.0
UPLOAD_FRAMING_BYTES = 64 * 1024


async def run_migrations(settings: GatewaySettings | None = None) -> None:
    """Bring the gateway's tables to the newest revision (used by `rechat migrate`)."""
    settings = settings or GatewaySettings()
    await upgrade_database(settings.resolved_database_url, MIGRATIONS, VERSION_TABLE)


async def keep_connecting(
    bus: EventBus, failed_requests: FailedRequests, changes: ConversationChanges
) -> None:
    """Connect to the broker, retrying until it answers (the connection then self-heals), and
    consume the requests the workers gave up on and the conversation changes to mirror."""
    while True:
        try:
            await bus.connect()
            await bus.consume(FAILED_REQUESTS_QUEUE, failed_requests)
            await bus.consume(CONVERSATIONS_QUEUE, changes, concurrency=4)
            return
        except BusUnavailable as exc:
            logger.warning("broker unavailable, retrying: %s", exc.detail)
            await asyncio.sleep(BUS_RETRY_SECONDS)


async def broker_connected(bus: EventBus) -> None:
    """Readiness: the broker connection is up (the bus reconnects by itself)."""
    if not getattr(bus, "connected", True):
        raise BusUnavailable("The message broker is not connected")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Clients are born here and closed in reverse order by one exit stack: a close that fails
    does not keep the others open."""
    settings: GatewaySettings = app.state.settings
    async with AsyncExitStack() as stack:
        engine = create_engine(
            settings.resolved_database_url, pool_size=settings.database_pool_size
        )
        stack.push_async_callback(engine.dispose)
        if settings.migrate_on_start:
            await upgrade(engine, MIGRATIONS, VERSION_TABLE)
        redis = create_redis(
            settings.redis_url,
            max_connections=256,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        stack.push_async_callback(redis.aclose)
        http = await stack.enter_async_context(httpx.AsyncClient())
        dify = DifyClient()
        stack.push_async_callback(dify.aclose)
        hub = create_stream_hub(
            settings.redis_url,
            settings.redis_prefix,
            health_check_seconds=settings.redis_health_check_seconds,
        )
        stack.push_async_callback(hub.close)
        bus = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix)
        stack.push_async_callback(bus.close)
        keepalive = KeepAliveTicker(settings.keepalive_seconds)
        stack.push_async_callback(keepalive.close)
        keys = Keys(settings.redis_prefix)
        records = Records(redis, keys, settings.message_record_seconds)
        history = HistoryClient(settings.history_internal_url, settings.secret_key, http)
        jwks = JWKSCache(settings.jwks_url, http, ttl=settings.jwks_cache_seconds)
        sessions = create_sessionmaker(engine)
        app.state.sessions = sessions
        app.state.token_verifier = TokenVerifier(jwks, settings, redis, keys)
        app.state.clients = GatewayClients(
            settings=settings,
            redis=redis,
            keys=keys,
            box=SecretBox(settings.secret_key),
            dify=dify,
            bus=bus,
            hub=hub,
            records=records,
            history=history,
            conversations=ConversationDirectory(records, history, settings.ownership_cache_seconds),
            app_cache=AppCache(),
            keepalive=keepalive,
        )
        app.state.readiness_checks.update(
            {
                "database": lambda: ping(engine),
                "redis": redis.ping,
                "broker": lambda: broker_connected(bus),
            }
        )
        changes = ConversationChanges(sessions, records, app.state.clients.box, dify)
        connecting = asyncio.create_task(
            keep_connecting(bus, FailedRequests(hub, redis, keys), changes)
        )
        stack.push_async_callback(_cancel, connecting)
        yield


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _redis_unavailable(_: Request, exc: Exception) -> JSONResponse:
    logger.warning("redis error: %s: %s", type(exc).__name__, exc)
    return JSONResponse(
        error_body("service_unavailable", "The session store is unavailable"), status_code=503
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The chat-gateway ASGI app (settings from the environment unless given)."""
    app = create_service_app("gateway", title="ReChat chat gateway", lifespan=lifespan)
    app.state.settings = settings = settings or GatewaySettings()
    # chunked bodies too; an upload may be as large as a file plus its multipart framing
    uploads = {"/api/files": settings.max_upload_bytes + UPLOAD_FRAMING_BYTES}
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=uploads)
    app.add_exception_handler(RedisError, _redis_unavailable)
    app.include_router(apps_router)
    app.include_router(audio_router)
    app.include_router(chat_router)
    app.include_router(files_router)
    return app
