"""pytest plugin with fixtures for real infrastructure, loaded by every test run (pyproject).

- `mariadb_url`: a fresh MariaDB database for this run (dropped at the end); services migrate
  into it and tests isolate with `truncate_tables`.
- `redis_url` / `redis_prefix`: the real Redis and a key prefix unique to each test.
- `rabbit_prefix`: exchange/queue name prefix unique to this run (deleted at the end).
- `service_process`: starts a service as a real process and waits until it answers.
- `dify_emulator` / `dify_emulator_015`: the Dify emulator as a real process (both profiles).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rechat_shared.db import create_engine
from rechat_shared.testing.emulator import dify_emulator, dify_emulator_015
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
    delete_redis_prefix,
)
from rechat_shared.testing.processes import ServiceProcess, free_port

# Re-exported fixtures are registered with pytest through this plugin module.
__all__ = ["ServiceProcess", "dify_emulator", "dify_emulator_015", "free_port"]


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def mariadb_url(run_id: str) -> AsyncIterator[str]:
    """A database of its own for this test run, utf8mb4, dropped afterwards."""
    name = f"rechat_test_{run_id}"
    admin = create_engine(MARIADB_ADMIN_URL)
    async with admin.begin() as connection:
        await connection.execute(
            text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    yield f"{MARIADB_ADMIN_URL.rstrip('/')}/{name}?charset=utf8mb4"
    async with admin.begin() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    await admin.dispose()


async def truncate_tables(engine: AsyncEngine, tables: list[str]) -> None:
    """Empty the given tables (per-test isolation for tests that share a migrated database)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "mysql":
            await connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in tables:
            statement = "DELETE FROM" if engine.dialect.name == "sqlite" else "TRUNCATE TABLE"
            await connection.execute(text(f"{statement} {table}"))
        if engine.dialect.name == "mysql":
            await connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
async def redis_prefix(run_id: str) -> AsyncIterator[str]:
    """A key prefix unique to this test; its keys are deleted afterwards."""
    prefix = f"rechat-test:{run_id}:{uuid.uuid4().hex[:8]}:"
    yield prefix
    await delete_redis_prefix(REDIS_URL, prefix)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return RABBITMQ_URL


@pytest.fixture(scope="session")
async def rabbit_prefix(run_id: str) -> AsyncIterator[str]:
    """Exchange and queue names unique to this run; everything under it is deleted after."""
    prefix = f"t{run_id}."
    yield prefix
    await delete_rabbit_names(RABBITMQ_URL, prefix)


@pytest.fixture(scope="session")
def service_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ServiceProcess]]:
    """Factory: `service_process("rechat_auth", env={...})` starts `python -m rechat_auth`
    on a free port, waits for `/healthz`, and stops it at the end of the session."""
    started: list[ServiceProcess] = []
    log_dir = tmp_path_factory.mktemp("service-logs")

    def start(
        module: str,
        *,
        env: dict[str, str] | None = None,
        ready_path: str = "/healthz",
        args: list[str] | None = None,
        name: str | None = None,
    ) -> ServiceProcess:
        process = ServiceProcess(
            module=module,
            env={**os.environ, **(env or {})},
            log_path=log_dir / f"{name or module}-{len(started)}.log",
            ready_path=ready_path,
            args=args or [],
        )
        process.start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
