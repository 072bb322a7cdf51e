"""What history tells the rest of the system when a user deletes or renames a conversation:
the Redis tombstone at once (the gateway refuses new turns on it), the bus event after the
commit (the gateway mirrors the change to Dify)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from rechat_history.models import Conversation
from rechat_shared.bus import BusUnavailable, EventBus
from rechat_shared.conversation_tombstone import mark_deleted
from rechat_shared.events import ConversationChange, ConversationDeleted, ConversationRenamed
from rechat_shared.redis import Keys

logger = logging.getLogger(__name__)


@dataclass
class DifyMirror:
    redis: Redis
    keys: Keys
    bus: EventBus

    async def mark_deleted(self, conversations: Sequence[Conversation]) -> None:
        """Before the commit: a turn sent right after the 204 must already be refused (should
        the commit fail, the conversation is refused while the user retries the delete)."""
        await mark_deleted(self.redis, self.keys, [row.id for row in conversations])

    async def announce(self, changes: Sequence[ConversationChange]) -> None:
        """After the commit (a background task): at most once; a broker outage leaves the Dify
        conversation in place, never a ReChat conversation without its Dify history."""
        for change in changes:
            try:
                await self.bus.publish(change)
            except BusUnavailable as exc:
                logger.warning("%s not published: %s", change.routing_key, exc.detail)
                return


def deleted(row: Conversation) -> ConversationDeleted:
    """The event of a deletion (built before the tombstone clears the Dify id)."""
    return ConversationDeleted(**_ids(row))


def renamed(row: Conversation) -> ConversationRenamed:
    return ConversationRenamed(**_ids(row), title=row.title)


def _ids(row: Conversation) -> dict[str, str | None]:
    return {
        "user_id": row.user_id,
        "conversation_id": row.id,
        "app_id": row.app_id,
        "dify_conversation_id": row.dify_conversation_id,
    }


def get_mirror(request: Request) -> DifyMirror:
    mirror: DifyMirror = request.app.state.dify_mirror
    return mirror


MirrorDep = Annotated[DifyMirror, Depends(get_mirror)]
