"""Riding out a Redis outage: an operation that needs Redis is retried while Redis is away,
for a bounded time, instead of failing at the first refused connection.

A worker's answer is worth waiting for: Dify keeps streaming meanwhile and the answer goes out
whole once Redis is back, where failing fast would spend the request's deliveries within a
second and have Dify generate it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rechat_shared.streams.base import StreamUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT = (StreamUnavailable, RedisConnectionError, RedisTimeoutError, OSError, RuntimeError)
"""What an unreachable, restarting (`BusyLoadingError` is a ConnectionError) or frozen Redis
raises; RuntimeError too, for redis-py reconnecting under uvloop can write on a transport that
was closed meanwhile ("unable to perform operation on <TCPTransport closed=True>")."""

_FIRST_DELAY = 0.05
_MAX_DELAY = 1.0


async def wait_for_redis(operation: Callable[[], Awaitable[T]], *, patience: float, what: str) -> T:
    """`await operation()`, retried (50 ms, doubling up to 1 s apart) while it fails the way
    an unavailable Redis makes it fail, for up to `patience` seconds; then the last failure
    is raised."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    delay = _FIRST_DELAY
    failures = 0
    while True:
        try:
            result = await operation()
        except TRANSIENT as exc:
            if loop.time() + delay > deadline:
                logger.error("%s: Redis still unavailable after %.0f s (%r)", what, patience, exc)
                raise
            if failures == 0:
                logger.warning("%s waits for Redis (%r)", what, exc)
            failures += 1
            await asyncio.sleep(delay)
            delay = min(2 * delay, _MAX_DELAY)
            continue
        if failures:
            logger.info("%s went through after %d retries", what, failures)
        return result
