"""The demo app: registered only into an empty registry, kept current when the emulator moves."""

from __future__ import annotations

from pathlib import Path

from rechat_cli.demo import DEMO_APP_NAME, ensure_demo_app
from rechat_gateway.app import run_migrations
from rechat_gateway.apps.repository import AppRepository
from rechat_gateway.apps.seeding import AppSeed, SeedOutcome, ensure_app
from rechat_gateway.config import GatewaySettings
from rechat_shared.db import create_engine, create_sessionmaker, unit_of_work


def settings_for(tmp_path: Path) -> GatewaySettings:
    return GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'rechat.db'}",
        redis_url="memory://demo-tests",
    )


async def apps(settings: GatewaySettings) -> list[tuple[str, str]]:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return [(a.name, a.base_url) for a in await AppRepository(session).list()]
    finally:
        await engine.dispose()


async def test_created_once_then_kept_then_moved(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await run_migrations(settings)
    first = "http://127.0.0.1:8080/dify-emulator/v1"
    assert await ensure_demo_app(first, settings) is SeedOutcome.CREATED
    assert await ensure_demo_app(first, settings) is SeedOutcome.KEPT
    assert await apps(settings) == [(DEMO_APP_NAME, first)]
    moved = "http://127.0.0.1:9090/dify-emulator/v1"
    assert await ensure_demo_app(moved, settings) is SeedOutcome.MOVED
    assert await apps(settings) == [(DEMO_APP_NAME, moved)]


async def test_no_demo_app_beside_real_apps(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await run_migrations(settings)
    real = AppSeed(name="Support bot", base_url="https://dify.example.com/v1", api_key="app-real")
    assert await ensure_app(settings, real) is SeedOutcome.CREATED
    assert await ensure_demo_app("http://127.0.0.1:8080/v1", settings) is SeedOutcome.SKIPPED
    assert [name for name, _ in await apps(settings)] == ["Support bot"]
