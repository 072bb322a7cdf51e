"""Folders, shared snapshots, and a conversation's folder and unread mark.

Revision ID: 0002_history_folders_shares
Revises: 0001_history_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rechat_history.models import JSONData
from rechat_shared.db import UTCDateTime

revision = "0002_history_folders_shares"
down_revision = "0001_history_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_folders_user_id", "folders", ["user_id"])
    op.create_table(
        "shares",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("messages", JSONData, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_shares_user_id", "shares", ["user_id"])
    op.create_index("ix_shares_conversation_id", "shares", ["conversation_id"], unique=True)
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("folder_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("unread", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_conversations_user_folder", "conversations", ["user_id", "folder_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_user_folder", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("unread")
        batch.drop_column("folder_id")
    op.drop_table("shares")
    op.drop_table("folders")
