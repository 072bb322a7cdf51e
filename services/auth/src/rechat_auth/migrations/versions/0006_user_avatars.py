"""Profile pictures: `user_avatars` and the user's current one.

Revision ID: 0006_user_avatars
Revises: 0005_user_groups
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from rechat_shared.db import UTCDateTime

revision = "0006_user_avatars"
down_revision = "0005_user_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("avatar_id", sa.String(32), nullable=True))
    op.create_table(
        "user_avatars",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column(
            "data",
            sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_avatars_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_avatars")),
    )
    op.create_index(op.f("ix_user_avatars_user_id"), "user_avatars", ["user_id"])


def downgrade() -> None:
    op.drop_table("user_avatars")
    op.drop_column("users", "avatar_id")
