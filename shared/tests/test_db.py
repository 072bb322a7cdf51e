"""DB helpers on real MariaDB and on SQLite: UTC datetimes, one commit per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rechat_shared.app import create_service_app
from rechat_shared.db import (
    SessionDep,
    UTCDateTime,
    create_engine,
    create_sessionmaker,
    naming_metadata,
    unit_of_work,
)
from rechat_shared.testing.processes import free_port


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


def _service_with_a_database(url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(url)
        app.state.sessions = create_sessionmaker(engine)
        yield
        await engine.dispose()

    app = create_service_app("demo", title="Demo", lifespan=lifespan)

    @app.get("/api/notes")
    async def notes(session: SessionDep) -> list[str]:
        return list((await session.scalars(select(Note.id))).all())

    @app.post("/api/notes/twice")
    async def twice(session: SessionDep) -> None:
        at = datetime.now(UTC)
        session.add_all([Note(id="same", at=at)])
        await session.flush()
        session.expunge_all()
        session.add(Note(id="same", at=at))
        await session.flush()

    return app


async def _call(app: FastAPI, method: str, path: str) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path)


async def test_a_database_that_is_down_answers_503_with_retry_after() -> None:
    nobody_listens = f"mysql+aiomysql://root@127.0.0.1:{free_port()}/rechat"
    response = await _call(_service_with_a_database(nobody_listens), "GET", "/api/notes")
    assert response.status_code == 503
    assert response.json() == {
        "error": "database_unavailable",
        "detail": "The database is unavailable; try again shortly",
    }
    assert int(response.headers["retry-after"]) > 0


async def test_other_database_errors_answer_500_in_the_envelope(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    response = await _call(_service_with_a_database(url), "POST", "/api/notes/twice")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "retry-after" not in response.headers
