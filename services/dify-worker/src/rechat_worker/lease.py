"""Which worker is generating an answer: a short lease in Redis, renewed while it runs.

RabbitMQ hands a request back whenever the channel it came on is lost: when its worker died,
but also when the broker restarted while the worker went on streaming. Only in the first case
may another worker ask Dify again. A redelivered request whose lease is still renewed waits for
that generation to end and reports it (nothing is generated twice); one whose lease ran out
(its worker is gone, or stopped renewing) is generated again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LEASE_SECONDS = 5.0
"""How long a lease outlives its last renewal: the delay before a dead worker's answer is
taken over."""
RENEW_SECONDS = 1.0


class GenerationLease:
    """The lease on one answer (`Keys.generation_lease`)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self.token = uuid.uuid4().hex  # this generation (a worker may run two of one answer)

    async def renew(self) -> None:
        await self.redis.set(self.key, self.token, px=int(LEASE_SECONDS * 1000))

    async def is_held(self) -> bool:
        """A live generation of this answer (in this process or another) holds the lease."""
        return bool(await self.redis.exists(self.key))

    async def _release(self) -> None:
        holder = await self.redis.get(self.key)
        if (
            holder is not None
            and (holder.decode() if isinstance(holder, bytes) else str(holder)) == self.token
        ):
            await self.redis.delete(self.key)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold the lease for the block, renewing it in the background."""
        await self.renew()
        renewing = asyncio.create_task(self._keep_renewing(), name=f"lease:{self.key}")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            with contextlib.suppress(RedisError):
                await self._release()

    async def _keep_renewing(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                await self.renew()
            except RedisError as exc:  # the generation goes on; the next renewal may work
                logger.warning("could not renew the lease %s: %r", self.key, exc)
