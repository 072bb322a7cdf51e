"""Redis client construction; `memory://` gives an in-process server for embedded mode."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from rechat_shared.settings import is_memory_url

_memory_servers: dict[str, Any] = {}


def create_redis(url: str) -> Redis:
    """A decode-responses=False client for the URL; `memory://name` shares one fake server."""
    if is_memory_url(url):
        import fakeredis  # imported lazily: only embedded mode needs it

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        client: Redis = fakeredis.FakeAsyncRedis(server=server)
        return client
    return Redis.from_url(url, health_check_interval=30, socket_keepalive=True)


class Keys:
    """Builds every Redis key and channel name under the deployment's prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)
