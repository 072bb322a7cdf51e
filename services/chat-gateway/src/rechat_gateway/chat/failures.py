"""Requests the workers gave up on: RabbitMQ dead-letters a `chat.requested` that failed too
often (a worker died on it each time) or that no worker could read. The client may still be
attached to its stream, seeing keep-alives only, and its conversation is still locked; the
gateway ends the stream with an `error` and frees the conversation. History marks the answer
failed from its own copy of the dead letter."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from rechat_shared.bus import Delivery
from rechat_shared.conversation_lock import release_conversation
from rechat_shared.events import GENERATION_FAILED, ChatRequested
from rechat_shared.redis import Keys
from rechat_shared.streams import StreamHub

logger = logging.getLogger(__name__)


class FailedRequests:
    """Handler of `chat-gateway.failed-requests`."""

    def __init__(self, hub: StreamHub, redis: Redis, keys: Keys) -> None:
        self._hub = hub
        self._redis = redis
        self._keys = keys

    async def __call__(self, delivery: Delivery) -> None:
        request = delivery.event
        if not isinstance(request, ChatRequested):
            return
        logger.warning("request %s was given up on; ending its stream", request.message_id)
        if not (await self._hub.status(request.message_id)).finished:
            await self._hub.append(request.message_id, "error", dict(GENERATION_FAILED))
        await release_conversation(
            self._redis, self._keys, request.conversation_id, request.message_id
        )
