"""What a test that mints its own access tokens must also do: write the user's state entry.

Verifiers refuse a token whose user has no `live` entry in Redis (auth writes it with every
token it mints); tests that sign tokens themselves write it with `mark_live`.
"""

from __future__ import annotations

from typing import Any

import redis

from rechat_shared.redis import Keys
from rechat_shared.security import LIVE_FIELD
from rechat_shared.settings import is_memory_url

STATE_SECONDS = 3600


def _client(url: str) -> Any:
    if is_memory_url(url):
        import fakeredis

        from rechat_shared.redis import _memory_servers

        return fakeredis.FakeRedis(server=_memory_servers.setdefault(url, fakeredis.FakeServer()))
    return redis.Redis.from_url(url)


def mark_live(redis_url: str, prefix: str, user_id: str) -> None:
    """Write `live` into the user's state hash (synchronously: token helpers are plain calls)."""
    client = _client(redis_url)
    try:
        key = Keys(prefix).user_state(user_id)
        client.hset(key, LIVE_FIELD, "1")
        client.expire(key, STATE_SECONDS)
    finally:
        client.close()
