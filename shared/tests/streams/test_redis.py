"""Redis-only behaviour: the shared pub/sub connection recovers from being cut."""

from __future__ import annotations

import asyncio
import uuid

from rechat_shared.events import StreamEvent
from rechat_shared.streams.redis_hub import RedisStreamHub


async def kill_pubsub_connection(hub: RedisStreamHub) -> None:
    name = hub._client.connection_pool.connection_kwargs["client_name"]
    clients = await hub._client.client_list(_type="pubsub")
    (mine,) = [c for c in clients if c.get("name") == name]
    await hub._client.client_kill_filter(_id=mine["id"])


async def test_subscriptions_survive_a_cut_pubsub_connection(
    redis_url: str, redis_prefix: str
) -> None:
    gateway = RedisStreamHub(redis_url, redis_prefix, client_name=f"t-{uuid.uuid4().hex[:8]}")
    worker = RedisStreamHub(redis_url, redis_prefix)
    message_id = str(uuid.uuid4())
    received: list[StreamEvent] = []
    try:
        async with gateway.attach(message_id) as events:
            await worker.append(message_id, "delta", {"text": "before "})
            received.append(await asyncio.wait_for(anext(events), 5))
            await kill_pubsub_connection(gateway)
            # published while the gateway is reconnecting: only the log has them
            await worker.append(message_id, "delta", {"text": "during "})
            await worker.append(message_id, "done", {"status": "done"})
            async for event in events:
                received.append(event)
        assert [e.seq for e in received] == [1, 2, 3]
        assert [e.event for e in received] == ["delta", "delta", "done"]

        # and the connection serves new subscriptions again
        again = str(uuid.uuid4())
        async with gateway.attach(again) as events:
            await worker.append(again, "done", {"status": "done"})
            assert [e.event async for e in events] == ["done"]
    finally:
        await gateway.close()
        await worker.close()
