"""The worker's answer slots are shared fairly: a user with many requests waiting does not keep
the others out (they take turns as slots free up), through the real in-process bus."""

from __future__ import annotations

import asyncio
import uuid

from rechat_shared.bus import REQUESTS_QUEUE, Delivery, create_bus
from rechat_shared.events import ChatRequested, DifyTarget
from rechat_shared.redis import dify_user_id
from rechat_worker.scheduling import FairSlots, fair


def request(user_id: str) -> ChatRequested:
    return ChatRequested(
        user_id=user_id,
        app_id="app-1",
        conversation_id=uuid.uuid4().hex,
        user_message_id=uuid.uuid4().hex,
        message_id=uuid.uuid4().hex,
        query="q",
        dify=DifyTarget(base_url="http://dify.invalid/v1", api_key_encrypted="x", mode="chat"),
        dify_user=dify_user_id(user_id),
    )


async def test_users_take_turns_for_the_slots() -> None:
    bus = create_bus(f"memory://fair-{uuid.uuid4().hex[:8]}")
    await bus.connect()
    started: list[str] = []
    finish = asyncio.Event()
    all_started = asyncio.Event()

    async def generate(delivery: Delivery) -> None:
        assert isinstance(delivery.event, ChatRequested)
        started.append(delivery.event.user_id)
        if len(started) == 10:
            all_started.set()
        await finish.wait()

    slots = FairSlots(2)
    try:
        await bus.consume(REQUESTS_QUEUE, fair(generate, slots), concurrency=10)
        for _ in range(6):
            await bus.publish(request("greedy"))
        for user in ("second", "third", "second", "fourth"):
            await bus.publish(request(user))
        async with asyncio.timeout(10):
            while len(started) < 2:
                await asyncio.sleep(0.01)
        assert started == ["greedy", "greedy"]  # the first to come take the two slots
        finish.set()  # every answer ends at once: slots free one by one, users take turns
        async with asyncio.timeout(10):
            await all_started.wait()
        # after the first two, the waiting users alternate instead of greedy's four going first
        assert started[2:6] == ["greedy", "second", "third", "fourth"]
        assert started[6:] == ["greedy", "second", "greedy", "greedy"]
    finally:
        finish.set()
        await bus.close()
