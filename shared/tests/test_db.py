"""DB helpers on real MariaDB and on SQLite: UTC datetimes, one commit per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rechat_shared.db import (
    UTCDateTime,
    create_engine,
    create_sessionmaker,
    naming_metadata,
    unit_of_work,
)


class Base(DeclarativeBase):
    metadata = naming_metadata()


class Note(Base):
    __tablename__ = "shared_test_notes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


@pytest.fixture(params=["mariadb", "sqlite"])
async def engine(
    request: pytest.FixtureRequest, mariadb_url: str, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    url = mariadb_url if request.param == "mariadb" else f"sqlite+aiosqlite:///{tmp_path}/t.db"
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
    await engine.dispose()


async def test_datetimes_come_back_as_the_same_utc_instant(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    at = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    async with unit_of_work(sessions) as session:
        session.add(Note(id="a", at=at))
    async with sessions() as session:
        stored = (await session.execute(select(Note))).scalar_one()
    assert stored.at == at
    assert stored.at.tzinfo is UTC


async def test_unit_of_work_rolls_back_on_error(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            session.add(Note(id="b", at=datetime.now(UTC)))
            await session.flush()
            raise RuntimeError("boom")
    async with sessions() as session:
        assert (await session.execute(select(Note))).first() is None


async def test_naive_datetimes_are_refused(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    with pytest.raises(Exception, match="naive datetime"):
        async with unit_of_work(sessions) as session:
            session.add(Note(id="c", at=datetime(2026, 1, 1)))
