"""Addresses of the real test infrastructure and clean-up helpers for what tests leave there."""

from __future__ import annotations

import os

import aio_pika
from redis.asyncio import Redis

MARIADB_ADMIN_URL = os.environ.get("TEST_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


async def delete_redis_prefix(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def delete_rabbit_names(url: str, prefix: str) -> None:
    """Delete the run's exchanges and queues (the topology of `rechat_shared.bus` under prefix)."""
    from rechat_shared.bus.topology import topology_names  # the bus owns its names

    connection = await aio_pika.connect(url)
    try:
        for kind, name in topology_names(prefix):
            channel = await connection.channel()
            try:
                if kind == "queue":
                    await channel.queue_delete(name)
                else:
                    await channel.exchange_delete(name)
            except aio_pika.exceptions.AMQPError:
                pass  # never declared in this run
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()
