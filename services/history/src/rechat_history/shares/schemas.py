"""What the API says about shared snapshots: the owner's view and the public one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from rechat_history.messages.schemas import Message, MessageError, MessageStatus


class SharedMessage(BaseModel):
    """A message as a visitor of the link sees it: what was said and how, nothing private
    (no inputs, files, usage, ratings or Dify ids)."""

    role: Literal["user", "assistant"]
    content: str
    status: MessageStatus
    error: MessageError | None = None
    citations: list[dict[str, Any]] | None = None
    thoughts: list[dict[str, Any]] | None = None
    nodes: list[dict[str, Any]] | None = None
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> SharedMessage:
        return cls(
            role=message.role,
            content=message.content,
            status=message.status,
            error=message.error,
            citations=message.citations,
            thoughts=message.thoughts,
            nodes=message.nodes,
            created_at=message.created_at,
        )


class Share(BaseModel):
    """One of my shared links."""

    id: str
    conversation_id: str
    title: str
    created_at: datetime
    updated_at: datetime


class SharedConversation(BaseModel):
    """The public snapshot behind a link."""

    id: str
    title: str
    messages: list[SharedMessage]
    updated_at: datetime
