"""An answer being written while Redis goes away (killed and restarted empty, killed and
restarted from its AOF, frozen): the writer waits for Redis and the client attached through
another hub receives every event once, in order, up to the end. On a private redis-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rechat_shared.events import StreamEvent
from rechat_shared.streams.redis_hub import RedisStreamHub
from rechat_shared.testing.private_infra import PrivateRedis
from rechat_worker.emitter import StreamWriter


@pytest.fixture(params=["restart-empty", "restart-with-data", "freeze"])
def fault(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def private_redis(tmp_path: Path, fault: str) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path, persistent=fault == "restart-with-data") as redis:
        yield redis


async def _collect(hub: RedisStreamHub, message_id: str, seen: list[StreamEvent]) -> None:
    async with hub.attach(message_id, new=True) as events:
        async for event in events:
            seen.append(event)


async def test_the_client_gets_the_whole_answer_across_a_redis_fault(
    private_redis: PrivateRedis, fault: str
) -> None:
    gateway = RedisStreamHub(private_redis.url, "t:", health_check_seconds=0.5)
    worker = RedisStreamHub(private_redis.url, "t:", health_check_seconds=0.5)
    message_id = str(uuid.uuid4())
    seen: list[StreamEvent] = []
    try:
        collector = asyncio.create_task(_collect(gateway, message_id, seen))
        while not gateway._mux._channels:  # attached (subscribed) before the first event
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        writer = StreamWriter(worker, message_id, window=0, patience=30)
        words = [f"w{index} " for index in range(12)]
        for word in words[:6]:
            await writer.emit("delta", {"text": word})
        if fault == "freeze":
            private_redis.pause()
        else:
            private_redis.kill()

        async def the_rest() -> None:
            for word in words[6:]:
                await writer.emit("delta", {"text": word})
            await writer.emit("done", {"status": "done"})

        rest = asyncio.create_task(the_rest())
        await asyncio.sleep(1.5)  # the outage
        if fault == "freeze":
            private_redis.resume()
        else:
            private_redis.start()
        await asyncio.wait_for(rest, 30)
        await asyncio.wait_for(collector, 30)

        assert [event.seq for event in seen] == list(range(1, 14))
        assert "".join(str(e.data.get("text", "")) for e in seen) == "".join(words)
        assert seen[-1].event == "done"
        # and the log holds the whole answer again, for a client resuming later
        logged = await worker._read_log(message_id, 0)
        assert [event.seq for event in logged] == list(range(1, 14))
    finally:
        await gateway.close()
        await worker.close()
