"""History's tables: conversations, messages, feedback, usage records, erased users, and what
the user organises them with (folders, shared snapshots).

Every row is built from events (see `ingest/`), except conversation metadata the user edits.
Times are stored with microseconds so turns of one conversation keep their order.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rechat_shared.db import UTCDateTime, naming_metadata

ID_LENGTH = 36
EXTERNAL_ID_LENGTH = 64
TITLE_LENGTH = 255
PREVIEW_LENGTH = 200
FOLDER_NAME_LENGTH = 100
SHARE_ID_LENGTH = 32


LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# None is SQL NULL (not the JSON text "null"): nothing to encode for the many empty fields
JSONData = sa.JSON(none_as_null=True).with_variant(
    mysql.JSON(none_as_null=True), "mysql", "mariadb"
)


class Base(DeclarativeBase):
    metadata = naming_metadata()


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.Index("ix_conversations_user_updated", "user_id", "updated_at", "id"),
        sa.Index("ix_conversations_user_id_app_id", "user_id", "app_id"),
        sa.Index("ix_conversations_user_folder", "user_id", "folder_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    app_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), default="")
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH), default="")
    title_source: Mapped[str] = mapped_column(sa.String(16), default="question")
    """`question` (start of the first question), `generated` (Dify's title) or `user`."""
    title_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dify_conversation_id: Mapped[str | None] = mapped_column(
        sa.String(EXTERNAL_ID_LENGTH), nullable=True
    )
    pinned: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    archived: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    folder_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH), nullable=True)
    unread: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    """Set by the user ("Mark as unread"), cleared when they open the conversation again."""
    preview: Mapped[str] = mapped_column(sa.String(PREVIEW_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """A deleted conversation stays as a content-free tombstone so late events cannot revive it."""


class Folder(Base):
    """A user's named group of conversations in the sidebar."""

    __tablename__ = "folders"
    __table_args__ = (sa.Index("ix_folders_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    name: Mapped[str] = mapped_column(sa.String(FOLDER_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Share(Base):
    """A read-only snapshot of a conversation at a public link; one per conversation."""

    __tablename__ = "shares"
    __table_args__ = (
        sa.Index("ix_shares_user_id", "user_id"),
        sa.Index("ix_shares_conversation_id", "conversation_id", unique=True),
    )

    id: Mapped[str] = mapped_column(sa.String(SHARE_ID_LENGTH), primary_key=True)
    """The link's secret part: 128 random bits, so links cannot be guessed or enumerated."""
    conversation_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    messages: Mapped[list[Any]] = mapped_column(JSONData)
    """The messages as they were when shared (later turns never appear)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index(
            "ix_messages_conversation_order", "conversation_id", "created_at", "position", "id"
        ),
        sa.Index("ix_messages_user_id", "user_id"),
        sa.Index("ix_messages_conversation_updated", "conversation_id", "updated_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    role: Mapped[str] = mapped_column(sa.String(16))
    position: Mapped[int] = mapped_column(sa.SmallInteger())
    """0 for the question, 1 for the answer: orders the two messages of one turn."""
    content: Mapped[str] = mapped_column(LongText, default="")
    status: Mapped[str] = mapped_column(sa.String(16))
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    final_event_id: Mapped[str | None] = mapped_column(sa.String(EXTERNAL_ID_LENGTH), nullable=True)
    """Which terminal event decided the status (the highest rank, then the latest, wins)."""
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONData, nullable=True)
    regenerate_of: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH), nullable=True)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSONData, nullable=True)
    dify_message_id: Mapped[str | None] = mapped_column(
        sa.String(EXTERNAL_ID_LENGTH), nullable=True
    )
    dify_task_id: Mapped[str | None] = mapped_column(sa.String(EXTERNAL_ID_LENGTH), nullable=True)
    citations: Mapped[list[Any] | None] = mapped_column(JSONData, nullable=True)
    thoughts: Mapped[list[Any] | None] = mapped_column(JSONData, nullable=True)
    nodes: Mapped[list[Any] | None] = mapped_column(JSONData, nullable=True)
    suggested_questions: Mapped[list[Any] | None] = mapped_column(JSONData, nullable=True)
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONData, nullable=True)
    files: Mapped[list[Any] | None] = mapped_column(JSONData, nullable=True)
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSONData, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageFeedback(Base):
    """The latest rating per message; kept apart so a rating may arrive before its message."""

    __tablename__ = "message_feedback"

    message_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), index=True)
    rating: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    content: Mapped[str | None] = mapped_column(sa.Text(), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_id: Mapped[str] = mapped_column(sa.String(EXTERNAL_ID_LENGTH))


class UsageRecord(Base):
    """Tokens and cost of one answer; outlives the conversation so cost reports stay whole."""

    __tablename__ = "usage_records"
    __table_args__ = (
        sa.Index("ix_usage_records_user_day", "user_id", "day"),
        sa.Index("ix_usage_records_day", "day"),
    )

    message_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    app_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    day: Mapped[date] = mapped_column(sa.Date())
    prompt_tokens: Mapped[int] = mapped_column(sa.BigInteger(), default=0)
    completion_tokens: Mapped[int] = mapped_column(sa.BigInteger(), default=0)
    total_tokens: Mapped[int] = mapped_column(sa.BigInteger(), default=0)
    total_price: Mapped[Decimal] = mapped_column(sa.Numeric(20, 8), default=Decimal(0))
    currency: Mapped[str] = mapped_column(sa.String(8), default="USD")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasedUser(Base):
    """A deleted account: its data is gone and every later event about it is dropped."""

    __tablename__ = "erased_users"

    user_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
