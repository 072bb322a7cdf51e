"""Conversations, messages, feedback, usage records, erased users; FULLTEXT search on MySQL.

Revision ID: 0001_history_initial
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rechat_history.models import JSONData, LongText
from rechat_shared.db import UTCDateTime

revision = "0001_history_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("title_source", sa.String(16), nullable=False),
        sa.Column("title_at", UTCDateTime(), nullable=True),
        sa.Column("dify_conversation_id", sa.String(64), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("preview", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        "ix_conversations_user_updated", "conversations", ["user_id", "updated_at", "id"]
    )
    op.create_index("ix_conversations_user_id_app_id", "conversations", ["user_id", "app_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("content", LongText, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("final_at", UTCDateTime(), nullable=True),
        sa.Column("final_event_id", sa.String(64), nullable=True),
        sa.Column("error", JSONData, nullable=True),
        sa.Column("regenerate_of", sa.String(36), nullable=True),
        sa.Column("usage", JSONData, nullable=True),
        sa.Column("dify_message_id", sa.String(64), nullable=True),
        sa.Column("dify_task_id", sa.String(64), nullable=True),
        sa.Column("citations", JSONData, nullable=True),
        sa.Column("thoughts", JSONData, nullable=True),
        sa.Column("nodes", JSONData, nullable=True),
        sa.Column("suggested_questions", JSONData, nullable=True),
        sa.Column("inputs", JSONData, nullable=True),
        sa.Column("files", JSONData, nullable=True),
        sa.Column("timings", JSONData, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        "ix_messages_conversation_order",
        "messages",
        ["conversation_id", "created_at", "position", "id"],
    )
    op.create_index("ix_messages_user_id", "messages", ["user_id"])
    op.create_index(
        "ix_messages_conversation_updated", "messages", ["conversation_id", "updated_at"]
    )
    op.create_table(
        "message_feedback",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("rating", sa.String(16), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_feedback")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_message_feedback_user_id", "message_feedback", ["user_id"])
    op.create_table(
        "usage_records",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("app_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_price", sa.Numeric(20, 8), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_usage_records")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_usage_records_user_day", "usage_records", ["user_id", "day"])
    op.create_index("ix_usage_records_day", "usage_records", ["day"])
    op.create_table(
        "erased_users",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_erased_users")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    _create_fulltext_indexes()


def _create_fulltext_indexes() -> None:
    """FULLTEXT on MariaDB (its CJK queries use the LIKE path, see conversations/search.py);
    SQLite searches with LIKE only."""
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return
    op.create_index("ft_conversations_title", "conversations", ["title"], mysql_prefix="FULLTEXT")
    op.create_index("ft_messages_content", "messages", ["content"], mysql_prefix="FULLTEXT")


def downgrade() -> None:
    op.drop_table("erased_users")
    op.drop_table("usage_records")
    op.drop_table("message_feedback")
    op.drop_table("messages")
    op.drop_table("conversations")
