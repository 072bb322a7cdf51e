"""The outbox: events commit with their change, and wait there while the broker is away."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from rechat_auth.models import OutboxEvent
from rechat_auth.testing import Running, StartAuth, UserEvents

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:9/"  # nothing listens on the discard port


async def waiting_events(running: Running) -> int:
    async with running.runtime.sessions() as session:
        return int(await session.scalar(select(func.count(OutboxEvent.id))) or 0)


async def test_published_events_leave_the_outbox(running: Running, user_events: UserEvents) -> None:
    response = await running.client.post(
        "/api/auth/register",
        json={"email": "out@example.com", "password": "outbox pw", "name": "O"},
    )
    await user_events.wait_for(response.json()["user"]["id"], 1)
    assert await waiting_events(running) == 0


async def test_events_wait_while_the_broker_is_away(
    start_auth: StartAuth, user_events: UserEvents
) -> None:
    async with start_auth(rabbitmq_url=UNREACHABLE_BROKER) as offline:
        # auth keeps serving: sign-up works and readiness does not depend on the broker
        response = await offline.client.post(
            "/api/auth/register",
            json={"email": "offline@example.com", "password": "offline pw", "name": "O"},
        )
        assert response.status_code == 201
        assert (await offline.client.get("/readyz")).status_code == 200
        assert await waiting_events(offline) == 1
    user_id = response.json()["user"]["id"]
    assert not [event for event in user_events.received if event.user_id == user_id]
    # the broker is back (an instance that reaches it): what waited is published, once
    async with start_auth(keep_data=True, outbox_interval_seconds=0.1) as online:
        (event,) = await user_events.wait_for(user_id, 1)
        assert (event.change, event.role) == ("created", "admin")
        # the relay deletes the row once the broker confirmed: right after, not before
        deadline = time.monotonic() + 10
        while await waiting_events(online) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert await waiting_events(online) == 0
