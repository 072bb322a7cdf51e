"""A user's delete or rename of a conversation, mirrored to Dify: history publishes the change,
the gateway (which holds the app's key) calls Dify with the same end user as every turn."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_gateway.apps.repository import AppRepository
from rechat_gateway.chat.redis_repository import Records
from rechat_shared.bus import Delivery
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyApp, DifyClient, DifyError, DifyNotFoundError
from rechat_shared.events import ConversationDeleted, ConversationRenamed
from rechat_shared.redis import dify_user_id

logger = logging.getLogger(__name__)


class ConversationChanges:
    """Handler of `chat-gateway.conversations`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        records: Records,
        box: SecretBox,
        dify: DifyClient,
    ) -> None:
        self._sessions = sessions
        self._records = records
        self._box = box
        self._dify = dify

    async def __call__(self, delivery: Delivery) -> None:
        change = delivery.event
        if not isinstance(change, ConversationDeleted | ConversationRenamed):
            return
        dify_conversation_id = (
            change.dify_conversation_id
            or await self._records.dify_conversation_id(change.conversation_id)
        )
        if dify_conversation_id is None:
            return  # Dify never started it (a turn still in flight sees the tombstone)
        app = await self._app(change.app_id)
        if app is None:
            return  # the app was removed: its Dify conversations are out of reach
        user = dify_user_id(change.user_id)
        try:
            if isinstance(change, ConversationDeleted):
                await self._dify.delete_conversation(app, dify_conversation_id, user)
            else:
                await self._dify.rename_conversation(
                    app, dify_conversation_id, user, name=change.title
                )
        except DifyNotFoundError:
            return  # already gone in Dify
        except DifyError as exc:
            if exc.retryable:
                raise  # redelivered after a back-off
            logger.warning("Dify refused %s: %s", change.type, exc)

    async def _app(self, app_id: str) -> DifyApp | None:
        async with self._sessions() as session:
            row = await AppRepository(session).get(app_id)
            if row is None:
                return None
            try:
                api_key = self._box.decrypt(row.api_key_encrypted)
            except ValueError:
                logger.warning("app %s: its key cannot be decrypted", app_id)
                return None
            return DifyApp(base_url=row.base_url, api_key=api_key)
