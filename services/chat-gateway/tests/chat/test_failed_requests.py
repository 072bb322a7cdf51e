"""A request the workers give up on (dead-lettered) ends its client's stream and frees the
conversation, instead of leaving the client on keep-alives and the conversation locked."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from rechat_shared.bus import REQUESTS_QUEUE, Delivery, create_bus
from rechat_shared.events import GENERATION_FAILED
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.infra import RABBITMQ_URL
from rechat_shared.testing.polling import eventually

from ..conftest import Gateway
from .test_validation import _app_id


@pytest.fixture(params=["rabbitmq", "memory"])
def bus_url(request: pytest.FixtureRequest) -> str:
    """RabbitMQ itself counts the deliveries and dead-letters; the in-process bus mirrors it."""
    if request.param == "rabbitmq":
        return RABBITMQ_URL
    return f"memory://gateway-{uuid.uuid4().hex[:8]}"


def sse_events(body: str) -> list[tuple[str, dict[str, object]]]:
    events = []
    for frame in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_a_request_the_workers_give_up_on_ends_the_stream_and_frees_the_conversation(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    app_id = await _app_id(gateway, dify_emulator)
    attempts: list[int] = []

    async def dying_worker(delivery: Delivery) -> None:
        attempts.append(delivery.delivery_count)
        raise RuntimeError("the worker died on this request")

    settings = gateway.settings
    workers = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix, retry_delay=0.01)
    await workers.connect()
    await workers.consume(REQUESTS_QUEUE, dying_worker)
    headers = gateway.mint()
    try:
        first = await asyncio.wait_for(
            gateway.client.post(
                "/api/chat/messages", json={"app_id": app_id, "query": "hi"}, headers=headers
            ),
            20,
        )
        events = sse_events(first.text)
        assert [name for name, _ in events] == ["start", "error"]
        assert events[1][1] == GENERATION_FAILED
        assert len(attempts) > 1, "retried before it was given up on"

        conversation_id = events[0][1]["conversation_id"]
        body = {"app_id": app_id, "query": "again", "conversation_id": conversation_id}
        follow_up = await asyncio.wait_for(
            gateway.client.post("/api/chat/messages", json=body, headers=headers), 20
        )
        assert follow_up.status_code == 200, "the conversation was freed"
        assert [name for name, _ in sse_events(follow_up.text)] == ["start", "error"]
    finally:
        await workers.close()


async def test_a_published_turn_is_not_refused_when_redis_fails_a_moment_after(
    gateway: Gateway, dify_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the request is published a worker answers it (and Dify bills it): the client must
    get that stream, not a 503 that has it ask a second time (bench/soak.py counted such turns
    as Dify calls for refused turns)."""
    app_id = await _app_id(gateway, dify_emulator)
    records = gateway.app.state.clients.records
    original = records.set_last_answer
    published: list[str] = []
    noted: list[tuple[str, str]] = []

    async def redis_away_once(conversation_id: str, message_id: str) -> None:
        if not noted:
            noted.append(("refused", message_id))
            raise RedisConnectionError("Connection refused (Redis restarting)")
        await original(conversation_id, message_id)
        noted.append(("noted", message_id))

    monkeypatch.setattr(records, "set_last_answer", redis_away_once)

    async def dying_worker(delivery: Delivery) -> None:
        published.append(delivery.event.message_id)
        raise RuntimeError("no worker here: the request is given up on")

    settings = gateway.settings
    workers = create_bus(settings.rabbitmq_url, settings.rabbitmq_prefix, retry_delay=0.01)
    await workers.connect()
    await workers.consume(REQUESTS_QUEUE, dying_worker)
    try:
        answer = await asyncio.wait_for(
            gateway.client.post(
                "/api/chat/messages", json={"app_id": app_id, "query": "hi"}, headers=gateway.mint()
            ),
            20,
        )
        assert answer.status_code == 200, answer.text
        events = sse_events(answer.text)
        assert [name for name, _ in events] == ["start", "error"]
        message_id = events[0][1]["message_id"]
        assert set(published) == {message_id}
        # the note regenerate reads is written once Redis answers again
        await eventually(lambda: ("noted", message_id) in noted)
        conversation_id = str(events[0][1]["conversation_id"])
        assert await records.last_answer(conversation_id) == message_id
    finally:
        await workers.close()
