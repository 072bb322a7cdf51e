"""Answer streams (DESIGN §4): Redis Streams + pub/sub in deployments, in-process in embedded
mode (`memory://`).

Worker:   await hub.append(message_id, "delta", {"text": "Hel"})
          async with hub.watch_cancel(message_id) as stop: ... stop.is_set() / await stop.wait()
Gateway:  async with hub.attach(message_id, last_event_id) as events:
              await bus.publish(request)          # subscribed before publishing: no race
              async for event in events: yield event.to_sse()
          await hub.status(message_id)            # streaming, finished, or unknown/expired
          await hub.request_cancel(message_id)
"""

from __future__ import annotations

from rechat_shared.settings import DEFAULT_REDIS_HEALTH_CHECK_SECONDS, is_memory_url
from rechat_shared.streams.base import (
    DEFAULT_LOG_MAXLEN,
    DEFAULT_LOG_TTL_SECONDS,
    CancelSignal,
    StreamGap,
    StreamHub,
    StreamStatus,
    StreamSubscription,
    StreamUnavailable,
)
from rechat_shared.streams.memory import MemoryStreamHub

__all__ = [
    "CancelSignal",
    "MemoryStreamHub",
    "StreamGap",
    "StreamHub",
    "StreamStatus",
    "StreamSubscription",
    "StreamUnavailable",
    "create_stream_hub",
]


def create_stream_hub(
    redis_url: str,
    prefix: str = "rechat:",
    *,
    log_ttl: int = DEFAULT_LOG_TTL_SECONDS,
    log_maxlen: int = DEFAULT_LOG_MAXLEN,
    health_check_seconds: float = DEFAULT_REDIS_HEALTH_CHECK_SECONDS,
) -> StreamHub:
    """The hub for `redis_url`: `memory://…` gives the in-process hub, `redis://…` Redis.

    Keys: `rechat_shared.redis.Keys.stream_*` (channel, log, sequence, stop signal).
    """
    if is_memory_url(redis_url):
        return MemoryStreamHub(redis_url, prefix, log_ttl=log_ttl, log_maxlen=log_maxlen)
    from rechat_shared.streams.redis_hub import RedisStreamHub

    return RedisStreamHub(
        redis_url,
        prefix,
        log_ttl=log_ttl,
        log_maxlen=log_maxlen,
        health_check_seconds=health_check_seconds,
    )
