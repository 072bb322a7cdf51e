"""Async database helpers: engine and sessions from settings, one commit per unit of work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.types import TypeDecorator, TypeEngine

from rechat_shared.errors import DatabaseUnavailable, error_body

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
"""A connection attempt to MariaDB gives up after this long (a stopped server, a dropped
route), so a request fails with 503 instead of hanging for the driver's default minute."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def naming_metadata() -> MetaData:
    """A MetaData with the constraint naming convention every service uses."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (MySQL DATETIME has no zone) and always returns aware UTC datetimes,
    with microseconds on MariaDB/MySQL too (their plain DATETIME drops them)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An AsyncEngine tuned for the backend: pre-ping and recycle on MySQL, WAL on SQLite."""
    if is_sqlite(url):
        engine = _create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # pre-ping: a pooled connection the server dropped (restart, idle timeout) is replaced on
    # its next checkout, so requests heal by themselves once the server is back
    return _create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Request-scoped session; the request boundary owns the single commit."""
    async with unit_of_work(request.app.state.sessions) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def ping(engine: AsyncEngine) -> None:
    """Readiness check: the database answers a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


# MariaDB errors worth waiting out: too many connections, shutdown, lock wait, deadlock,
# connection killed, and the client's lost/refused connection codes.
TRANSIENT_MARIADB_CODES = frozenset({1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055})


def is_unavailable(error: BaseException) -> bool:
    """The database could not do the work for now (down, unreachable, restarting, a deadlock or
    lock wait): trying again later may succeed. Other database errors are bugs or bad data."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # no pooled connection came free in time; the server dropped one
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    args = getattr(error.orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in TRANSIENT_MARIADB_CODES
    return isinstance(error, sa_exc.OperationalError)  # SQLite: database locked or busy


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        unavailable = DatabaseUnavailable()
        return JSONResponse(
            error_body(unavailable.code, unavailable.detail),
            status_code=unavailable.status_code,
            headers=unavailable.headers,
        )
    logger.exception("database error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "Internal server error"), status_code=500)


def install_database_error_handler(app: FastAPI) -> None:
    """Database failures answer in the error envelope: 503 `database_unavailable` with
    `Retry-After` while the server is away, rather than a plain-text 500 and a closed
    connection."""
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(sa_exc.TimeoutError, _database_error)
    app.add_exception_handler(sa_exc.DisconnectionError, _database_error)
