"""Fixtures for the stream hub contract tests: each runs against Redis and the in-process hub;
several hubs on one prefix stand for several processes (gateways and workers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

from rechat_shared.events import StreamEvent
from rechat_shared.streams import MemoryStreamHub, StreamHub
from rechat_shared.streams.redis_hub import RedisStreamHub
from rechat_shared.streams.wire import dump_data


class HubFactory(Protocol):
    def __call__(self, *, log_ttl: int = 3600) -> StreamHub: ...


@pytest.fixture(params=["redis", "memory"])
def hub_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_hub(hub_kind: str, redis_url: str, redis_prefix: str) -> AsyncIterator[HubFactory]:
    opened: list[StreamHub] = []

    def make(*, log_ttl: int = 3600) -> StreamHub:
        hub: StreamHub
        if hub_kind == "redis":
            name = f"rechat-test-{uuid.uuid4().hex[:8]}"
            hub = RedisStreamHub(redis_url, redis_prefix, log_ttl=log_ttl, client_name=name)
        else:
            hub = MemoryStreamHub(f"memory://{redis_prefix}", redis_prefix, log_ttl=log_ttl)
        opened.append(hub)
        return hub

    yield make
    for hub in opened:
        await hub.close()


async def append_without_publishing(
    hub: StreamHub, message_id: str, event: str, data: dict[str, Any]
) -> None:
    """Put an event in the replay log only: what a subscriber sees when a live message is
    lost (the hub must notice the gap in seq and read the log)."""
    if isinstance(hub, RedisStreamHub):
        client = hub._client
        seq = await client.incr(hub.keys.stream_seq(message_id))
        fields = {"e": event, "d": dump_data(data)}
        await client.xadd(hub.keys.stream_log(message_id), fields, id=f"{seq}-0")
        return
    assert isinstance(hub, MemoryStreamHub)
    stream = hub.state.stream(message_id, create=True, maxlen=hub.log_maxlen)
    assert stream is not None
    stream.seq += 1
    stream.log.append(StreamEvent(seq=stream.seq, event=event, data=data))
