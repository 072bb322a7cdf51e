"""Redis-only behaviour: the shared pub/sub connection recovers from being cut; an
unreachable Redis fails fast with a typed error."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from rechat_shared.events import StreamEvent
from rechat_shared.streams import StreamUnavailable
from rechat_shared.streams.autopipeline import AutoPipeline, BatchScript
from rechat_shared.streams.redis_hub import RedisStreamHub
from rechat_shared.testing.processes import free_port


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


async def test_redis_down_fails_fast_with_a_typed_error(redis_prefix: str) -> None:
    hub = RedisStreamHub(f"redis://127.0.0.1:{free_port()}/0", redis_prefix, subscribe_timeout=0.5)
    try:
        async with asyncio.timeout(30):  # typed errors, not retries that never end
            with pytest.raises(StreamUnavailable):
                await hub.append(str(uuid.uuid4()), "delta", {"text": "x"})
            with pytest.raises(StreamUnavailable):
                async with hub.attach(str(uuid.uuid4())):
                    pass
    finally:
        await hub.close()


async def test_a_refused_append_fails_alone_in_its_batch(redis_url: str, redis_prefix: str) -> None:
    hub = RedisStreamHub(redis_url, redis_prefix)
    broken, healthy = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(20)]
    try:
        # a log key of the wrong type: Redis refuses that stream's XADD
        await hub._client.set(hub.keys.stream_log(broken), b"not a stream")
        outcomes = await asyncio.gather(
            hub.append(broken, "delta", {"text": "x"}),
            *(hub.append(m, "delta", {"text": "y"}) for m in healthy),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], StreamUnavailable)
        assert [e.seq for e in outcomes[1:] if isinstance(e, StreamEvent)] == [1] * len(healthy)
        for message_id in healthy:
            assert (await hub.status(message_id)).last_seq == 1
    finally:
        await hub.close()


async def test_a_batch_loads_its_script_when_redis_does_not_know_it(
    redis_url: str, redis_prefix: str
) -> None:
    # a script Redis has never seen (as after a restart): the first batch gets NOSCRIPT
    source = f"""-- {uuid.uuid4()}
local replies = {{}}
for i = 1, #KEYS do replies[i] = redis.call('INCRBY', KEYS[i], ARGV[1] + ARGV[i + 1]) end
return replies
"""
    client = Redis.from_url(redis_url)
    pipeline = AutoPipeline(
        client, BatchScript(source, keys_per_item=1, args_per_item=1, args=(100,))
    )
    keys = [f"{redis_prefix}counter:{index}" for index in range(5)]
    try:
        assert await client.script_exists(client.register_script(source).sha) == [False]
        replies = await asyncio.gather(
            *(pipeline.run_item([key], [index]) for index, key in enumerate(keys)),
            pipeline.execute(lambda pipe: pipe.get(keys[0])),  # a plain command in the batch
            *(pipeline.run_item([key], [index]) for index, key in enumerate(keys)),
        )
        assert replies[:5] == [100 + index for index in range(5)]
        assert replies[5] is None  # the GET ran before the script was loaded and retried
        assert replies[6:] == [2 * (100 + index) for index in range(5)]
    finally:
        await pipeline.close()
        await client.aclose()


async def test_streams_and_stop_watches_work_after_the_connection_idled(
    redis_url: str, redis_prefix: str
) -> None:
    """A quiet spell longer than the health-check interval: the next subscription must be
    confirmed (redis-py's own health check PINGed inside SUBSCRIBE and raced the reader)."""
    interval = 0.2
    gateway = RedisStreamHub(redis_url, redis_prefix, health_check_seconds=interval)
    worker = RedisStreamHub(redis_url, redis_prefix, health_check_seconds=interval)

    async def one_turn() -> None:
        message_id = str(uuid.uuid4())
        async with gateway.attach(message_id, new=True) as events:
            await worker.append(message_id, "done", {"status": "done"})
            assert [e.event async for e in events] == ["done"]
        async with worker.watch_cancel(message_id) as stop:
            await asyncio.sleep(0)  # let the watch subscribe before the stop goes out
            await gateway.request_cancel(message_id)
            assert await asyncio.wait_for(stop.wait(), 10)

    try:
        await one_turn()  # both pub/sub connections exist and now listen to nothing
        for _ in range(2):
            await asyncio.sleep(3 * interval)  # the idle time under test
            await asyncio.wait_for(asyncio.gather(*(one_turn() for _ in range(5))), 20)
    finally:
        await gateway.close()
        await worker.close()


async def test_the_pipeline_outlives_a_failure_that_is_not_a_redis_error(
    redis_url: str, redis_prefix: str
) -> None:
    """redis-py reconnecting under uvloop can raise RuntimeError; the batch must fail and the
    runner live on (when it died, every caller of that batch waited forever)."""
    hub = RedisStreamHub(redis_url, redis_prefix)

    def broken(pipe: object) -> None:
        raise RuntimeError("unable to perform operation on <TCPTransport closed=True>")

    try:
        with pytest.raises(StreamUnavailable):
            await asyncio.wait_for(hub._pipeline.execute(broken), 10)
        message_id = str(uuid.uuid4())
        event = await asyncio.wait_for(hub.append(message_id, "delta", {"text": "x"}), 10)
        assert event.seq == 1
    finally:
        await hub.close()
