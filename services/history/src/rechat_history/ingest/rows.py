"""Plain in-memory rows the ingest merges events into (no ORM instrumentation: a batch touches
thousands of attributes, and these are written back in bulk by `repository.write`).
Their fields are exactly the columns of the tables in `models.py` (a test holds them equal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(slots=True, kw_only=True)
class ConversationRow:
    id: str
    user_id: str
    app_id: str
    title: str = ""
    title_source: str = "question"
    title_at: datetime | None = None
    dify_conversation_id: str | None = None
    pinned: bool = False
    archived: bool = False
    folder_id: str | None = None
    unread: bool = False
    preview: str = ""
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(slots=True, kw_only=True)
class MessageRow:
    id: str
    conversation_id: str
    user_id: str
    role: str
    position: int
    content: str = ""
    status: str
    final_at: datetime | None = None
    final_event_id: str | None = None
    error: dict[str, Any] | None = None
    regenerate_of: str | None = None
    usage: dict[str, Any] | None = None
    dify_message_id: str | None = None
    dify_task_id: str | None = None
    citations: list[Any] | None = None
    thoughts: list[Any] | None = None
    nodes: list[Any] | None = None
    suggested_questions: list[Any] | None = None
    inputs: dict[str, Any] | None = None
    files: list[Any] | None = None
    timings: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True, kw_only=True)
class FeedbackRow:
    message_id: str
    user_id: str
    rating: str | None = None
    content: str | None = None
    occurred_at: datetime
    event_id: str


@dataclass(slots=True, kw_only=True)
class UsageRow:
    message_id: str
    user_id: str
    app_id: str
    day: date
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    total_price: Decimal
    currency: str
    occurred_at: datetime
