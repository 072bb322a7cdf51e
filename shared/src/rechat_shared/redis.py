"""Redis client construction; `memory://` gives an in-process server for embedded mode."""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from rechat_shared.settings import is_memory_url

_memory_servers: dict[str, Any] = {}


def create_redis(url: str, *, max_connections: int = 50, pool_timeout: float = 5.0) -> Redis:
    """A bytes client for the URL; `memory://name` shares one in-process server per name.

    The pool blocks: a burst of requests waits up to `pool_timeout` for a free connection
    instead of failing (redis-py's default pool raises once it is exhausted).
    """
    if is_memory_url(url):
        import fakeredis  # imported lazily: only embedded mode needs it

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        client: Redis = fakeredis.FakeAsyncRedis(server=server)
        return client
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        health_check_interval=30,
        socket_keepalive=True,
    )
    return Redis(connection_pool=pool)


class Keys:
    """Builds every Redis key and channel name under the deployment's prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)
