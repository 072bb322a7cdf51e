"""What the API says about a message (`Message` of docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rechat_history.models import Message as MessageRow
from rechat_history.models import MessageFeedback

MessageStatus = Literal["pending", "done", "stopped", "failed"]


class MessageError(BaseModel):
    code: str
    message: str


class Feedback(BaseModel):
    rating: Literal["like", "dislike"] | None
    content: str | None = None


class MessageUpdate(BaseModel):
    """A user's edit of a message's text (a question kept without asking again, or an answer)."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=100_000)


class Message(BaseModel):
    id: str
    conversation_id: str
    role: Literal["user", "assistant"]
    content: str
    status: MessageStatus
    error: MessageError | None
    regenerate_of: str | None
    usage: dict[str, Any] | None
    citations: list[dict[str, Any]] | None
    thoughts: list[dict[str, Any]] | None
    nodes: list[dict[str, Any]] | None
    suggested_questions: list[str] | None
    feedback: Feedback | None
    inputs: dict[str, Any] | None
    files: list[dict[str, Any]] | None
    timings: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: MessageRow, feedback: MessageFeedback | None) -> Message:
        rated = feedback is not None and (feedback.rating is not None or feedback.content)
        error = row.error if isinstance(row.error, dict) else None
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            role="user" if row.role == "user" else "assistant",
            content=row.content,
            status=row.status,
            error=MessageError.model_validate(error) if error else None,
            regenerate_of=row.regenerate_of,
            usage=row.usage,
            citations=row.citations,
            thoughts=row.thoughts,
            nodes=row.nodes,
            suggested_questions=row.suggested_questions,
            feedback=(
                Feedback(rating=feedback.rating, content=feedback.content)
                if feedback is not None and rated
                else None
            ),
            inputs=row.inputs,
            files=row.files,
            timings=row.timings,
            created_at=row.created_at,
        )
