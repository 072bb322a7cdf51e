"""Redis stream hub. Placeholder until the implementation lands in the next commit."""

from __future__ import annotations

from rechat_shared.streams.memory import MemoryStreamHub


class RedisStreamHub(MemoryStreamHub):
    def __init__(self, url: str, prefix: str, *, log_ttl: int, log_maxlen: int) -> None:
        raise NotImplementedError("RedisStreamHub lands in the next commit; use memory://")
