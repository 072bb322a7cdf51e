"""The gateway's public way for tools to make sure an app is registered (`rechat dev`'s demo
app), without reaching into its repository and service: `await ensure_app(settings, seed)`."""

from __future__ import annotations

from dataclasses import dataclass
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
from rechat_shared.events import AppMode
from rechat_shared.redis import Keys, create_redis


@dataclass(frozen=True)
class AppSeed:
    """An app to register, found again by its name."""

    name: str
    base_url: str
    api_key: str
    description: str = ""
    icon: str = ""
    mode: AppMode = "chat"
    """Trusted, not detected: a seed is registered before the Dify beside it (the bundled
    emulator, in the same process in embedded mode) may serve requests."""


class SeedOutcome(StrEnum):
    CREATED = "created"
    MOVED = "moved"
    """The app existed; its address changed (and its key was given again)."""
    KEPT = "kept"
    SKIPPED = "skipped"
    """Other apps are registered and the seed was only for an empty registry."""


async def ensure_app(
    settings: GatewaySettings, seed: AppSeed, *, only_into_empty_registry: bool = False
) -> SeedOutcome:
    """Register `seed` unless an app of its name exists; keep that one's address current."""
    engine = create_engine(settings.resolved_database_url)
    redis = create_redis(settings.redis_url)
    dify = DifyClient()
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            parameters = ParametersCache(redis, Keys(settings.redis_prefix), dify, 60)
            service = AppService(
                AppRepository(session), SecretBox(settings.secret_key), dify, parameters
            )
            apps = await service.list_all()
            existing = next((app for app in apps if app.name == seed.name), None)
            if existing is not None:
                if existing.base_url == seed.base_url:
                    return SeedOutcome.KEPT
                # the key goes with the address (a moved app must be given its key again)
                moved = AppUpdate(base_url=HttpUrl(seed.base_url), api_key=SecretStr(seed.api_key))
                await service.update(existing.id, moved, detect=False)
                return SeedOutcome.MOVED
            if apps and only_into_empty_registry:
                return SeedOutcome.SKIPPED
            await service.create(
                AppCreate(
                    name=seed.name,
                    description=seed.description,
                    icon=seed.icon,
                    base_url=HttpUrl(seed.base_url),
                    api_key=SecretStr(seed.api_key),
                    mode=seed.mode,
                ),
                detect=False,
            )
            return SeedOutcome.CREATED
    finally:
        await dify.aclose()
        await redis.aclose()
        await engine.dispose()
