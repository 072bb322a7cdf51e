"""What the gateway learns about a conversation."""

from __future__ import annotations

from pydantic import BaseModel


class ConversationOwner(BaseModel):
    id: str
    user_id: str
    app_id: str
    dify_conversation_id: str | None
