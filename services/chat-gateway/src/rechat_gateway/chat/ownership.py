"""Who owns a conversation: the gateway's own record of new ones, else history (cached)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from rechat_gateway.chat.history import ConversationInfo, HistoryClient
from rechat_gateway.chat.redis_repository import Records
from rechat_shared.errors import ConversationNotFound

CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class OwnedConversation:
    conversation_id: str
    app_id: str
    dify_conversation_id: str | None


class ConversationDirectory:
    """Answers "is this conversation the caller's?"; 404 when not, whoever owns it."""

    def __init__(self, records: Records, history: HistoryClient, cache_seconds: float) -> None:
        self._records = records
        self._history = history
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ConversationInfo]] = {}

    async def owned(self, conversation_id: str, user_id: str) -> OwnedConversation:
        deleted, dify_id, owner = await asyncio.gather(
            self._records.deleted(conversation_id),
            self._records.dify_conversation_id(conversation_id),
            self._records.owner(conversation_id),
        )
        if deleted:  # before any cache: another tab may have deleted it a moment ago
            raise ConversationNotFound()
        if owner is not None:
            if owner.user_id != user_id:
                raise ConversationNotFound()
            return OwnedConversation(conversation_id, owner.app_id, dify_id)
        info = await self._lookup(conversation_id)
        if info is None or info.user_id != user_id:
            raise ConversationNotFound()
        return OwnedConversation(conversation_id, info.app_id, dify_id or info.dify_conversation_id)

    async def _lookup(self, conversation_id: str) -> ConversationInfo | None:
        now = time.monotonic()
        cached = self._cache.get(conversation_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        info = await self._history.conversation(conversation_id)
        if info is not None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[conversation_id] = (now + self._cache_seconds, info)
        return info
