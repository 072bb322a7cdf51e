"""Pooled Redis connections after Redis restarts: the first use of a connection the restart
broke reconnects and succeeds (no failed request), on a private redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from rechat_shared.redis import create_redis
from rechat_shared.testing.private_infra import PrivateRedis


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path) as redis:
        yield redis


async def _fill_pool(client: object, count: int) -> None:
    """Use `count` connections at once, so the pool holds that many."""

    async def hold(index: int) -> None:
        async with client.pipeline(transaction=False) as pipe:  # type: ignore[attr-defined]
            pipe.set(f"k{index}", index)
            pipe.get(f"k{index}")
            await pipe.execute()

    await asyncio.gather(*(hold(index) for index in range(count)))


async def test_connections_broken_by_a_restart_heal_on_first_use(
    private_redis: PrivateRedis,
) -> None:
    client = create_redis(private_redis.url, max_connections=20, health_check_seconds=3600)
    try:
        await _fill_pool(client, 20)
        private_redis.kill()
        private_redis.start()
        # every pooled connection is dead now; each request must still succeed at once
        results = await asyncio.gather(
            *(client.set(f"after{index}", index) for index in range(20)), return_exceptions=True
        )
        assert results == [True] * 20
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr("counter")
            pipe.expire("counter", 60)
            assert (await pipe.execute())[0] == 1
    finally:
        await client.aclose()
