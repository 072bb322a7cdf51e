"""Alembic wiring shared by every service: each has its own script directory and version table.

A service's `migrations/env.py` is two lines: import its metadata and call `run_env(metadata)`.
`upgrade(engine, ...)` runs the migrations on a live async engine (at start-up or from the CLI).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rechat_shared.db import create_engine, is_sqlite


def _config(script_location: Path, version_table: str, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("version_table", version_table)
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, version_table: str) -> None:
    """Bring the service's tables to the newest revision."""

    def _run(connection: Connection) -> None:
        config = _config(script_location, version_table)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(_run)


async def upgrade_database(url: str, script_location: Path, version_table: str) -> None:
    """`upgrade` on a short-lived engine: what `rechat migrate` runs for each service."""
    engine = create_engine(url)
    try:
        await upgrade(engine, script_location, version_table)
    finally:
        await engine.dispose()


def autogenerate(url: str, script_location: Path, version_table: str, message: str) -> None:
    """Write a new revision from the difference between the models and the database (dev aid)."""
    command.revision(
        _config(script_location, version_table, url), message=message, autogenerate=True
    )


def run_env(metadata: MetaData) -> None:
    """Body of every service's env.py: online migrations on the given or a new connection."""
    config = context.config
    version_table = config.get_main_option("version_table") or "alembic_version"
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_migrations(connection, metadata, version_table)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url given to Alembic")

    async def _with_new_engine() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_run_migrations, metadata, version_table)
        await engine.dispose()

    asyncio.run(_with_new_engine())


def _run_migrations(connection: Connection, metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        render_as_batch=is_sqlite(str(connection.engine.url)),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
