"""The demo app: with no Dify app registered, `rechat dev` registers one served by the bundled
Dify emulator, so a newcomer can sign up and chat at once. An admin then adds real apps."""

from __future__ import annotations

from enum import StrEnum

from pydantic import HttpUrl, SecretStr

from rechat_gateway.apps.parameters import ParametersCache
from rechat_gateway.apps.repository import AppRepository
from rechat_gateway.apps.schemas import AppCreate, AppUpdate
from rechat_gateway.apps.service import AppService
from rechat_gateway.config import GatewaySettings
from rechat_shared.crypto import SecretBox
from rechat_shared.db import create_engine, create_sessionmaker, unit_of_work
from rechat_shared.dify import DifyClient
from rechat_shared.redis import Keys, create_redis

DEMO_APP_NAME = "Demo (Dify emulator)"
DEMO_API_KEY = "app-emulator-chat"
"""The emulator's default chat app (`rechat-dify-emulator` serves it with no configuration)."""
DEMO_DESCRIPTION = (
    "A demo app answered by ReChat's bundled Dify emulator, not a real model."
    " An administrator adds real Dify apps under Admin → Apps."
)


class DemoOutcome(StrEnum):
    CREATED = "created"
    MOVED = "moved"
    """The demo app existed; its address changed with the emulator's (another port)."""
    KEPT = "kept"
    SKIPPED = "skipped"
    """Real apps are registered: no demo app."""


async def ensure_demo_app(
    emulator_base_url: str, settings: GatewaySettings | None = None
) -> DemoOutcome:
    """Register the demo app when the registry is empty; keep an existing one's address current."""
    settings = settings or GatewaySettings()
    engine = create_engine(settings.resolved_database_url)
    redis = create_redis(settings.redis_url)
    dify = DifyClient()
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            repository = AppRepository(session)
            parameters = ParametersCache(redis, Keys(settings.redis_prefix), dify, 60)
            service = AppService(repository, SecretBox(settings.secret_key), dify, parameters)
            apps = await service.list_all()
            demo = next((app for app in apps if app.name == DEMO_APP_NAME), None)
            if demo is not None:
                if demo.base_url == emulator_base_url:
                    return DemoOutcome.KEPT
                # the key goes with the address (a moved app must be given its key again)
                moved = AppUpdate(
                    base_url=HttpUrl(emulator_base_url), api_key=SecretStr(DEMO_API_KEY)
                )
                await service.update(demo.id, moved)
                return DemoOutcome.MOVED
            if apps:
                return DemoOutcome.SKIPPED
            await service.create(
                AppCreate(
                    name=DEMO_APP_NAME,
                    description=DEMO_DESCRIPTION,
                    icon="🧪",
                    base_url=HttpUrl(emulator_base_url),
                    api_key=SecretStr(DEMO_API_KEY),
                    mode="chat",
                )
            )
            return DemoOutcome.CREATED
    finally:
        await dify.aclose()
        await redis.aclose()
        await engine.dispose()
