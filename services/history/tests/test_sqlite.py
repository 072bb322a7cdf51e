"""Embedded mode: the same migrations, ingest and API on SQLite (LIKE search, upserts)."""

from __future__ import annotations

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from rechat_history.app import create_app, run_migrations
from rechat_history.config import Settings
from rechat_history.consumers import HistoryConsumer
from rechat_history.ingest.service import IncomingEvent
from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.db import create_engine, create_sessionmaker


async def test_ingest_and_api_on_sqlite(tmp_path: Path, keyring: KeyRing) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'history.db'}",
        redis_url="memory://history-sqlite",
        rabbitmq_url="memory://history-sqlite",
        data_dir=tmp_path,
        consume_events=False,
    )
    keyring.redis_url, keyring.redis_prefix = settings.redis_url, settings.redis_prefix
    await run_migrations(settings)
    await run_migrations(settings)  # idempotent
    engine = create_engine(settings.database_url)
    script = ChatScript()
    first, second = new_id(), new_id()
    request, completed = script.turn("lite", first, "如何学习中文", "多听多说 every day")
    events = [completed, request, script.feedback(request, "like"), script.feedback(request, None)]
    events += [*script.turn("lite", second, "tides?", "The moon pulls"), completed]
    events.append(script.titled("lite", second, "Tides"))
    consumer = HistoryConsumer(create_sessionmaker(engine))
    await consumer.store([IncomingEvent(event) for event in events])
    await consumer.store([IncomingEvent(event) for event in reversed(events)])
    await engine.dispose()

    app = create_app(settings, key_source=keyring)
    headers = keyring.headers("lite")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        listed = (await client.get("/api/conversations", headers=headers)).json()["items"]
        assert [(c["id"], c["title"]) for c in listed] == [
            (second, "Tides"),
            (first, "如何学习中文"),
        ]
        for q, expected in (("学习", first), ("every", first), ("moon", second), ("tid", second)):
            found = (
                await client.get("/api/conversations", params={"q": q}, headers=headers)
            ).json()
            assert [c["id"] for c in found["items"]] == [expected], q
        messages = (
            await client.get(f"/api/conversations/{first}/messages", headers=headers)
        ).json()["items"]
        assert [(m["role"], m["status"], m["feedback"]) for m in messages] == [
            ("user", "done", None),
            ("assistant", "done", None),
        ]
        assert (
            await client.delete(f"/api/conversations/{first}", headers=headers)
        ).status_code == 204


async def test_embedded_mode_consumes_from_the_in_process_bus(
    tmp_path: Path, keyring: KeyRing
) -> None:
    import asyncio

    from rechat_shared.bus import create_bus

    bus_url = f"memory://history-{new_id()}"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}",
        redis_url="memory://history-embedded",
        rabbitmq_url=bus_url,
        data_dir=tmp_path,
    )
    keyring.redis_url, keyring.redis_prefix = settings.redis_url, settings.redis_prefix
    app = create_app(settings, key_source=keyring)
    gateway = create_bus(bus_url)
    await gateway.connect()
    conversation = new_id()
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        for event in ChatScript().turn("solo", conversation, "hello", "hi there"):
            await gateway.publish(event)
        url = f"/api/conversations/{conversation}/messages"
        for _ in range(100):
            response = await client.get(url, headers=keyring.headers("solo"))
            if response.status_code == 200 and len(response.json()["items"]) == 2:
                break
            await asyncio.sleep(0.05)
        items = response.json()["items"]
        assert [(m["content"], m["status"]) for m in items] == [
            ("hello", "done"),
            ("hi there", "done"),
        ]
    await gateway.close()
