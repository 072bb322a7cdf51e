"""The transactional outbox of `user.changed` events.

Revision ID: 0002_auth_outbox
Revises: 0001_auth_initial
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rechat_shared.db import UTCDateTime

revision = "0002_auth_outbox"
down_revision = "0001_auth_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_outbox",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_outbox")),
    )
    op.create_index(op.f("ix_auth_outbox_created_at"), "auth_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_outbox_created_at"), table_name="auth_outbox")
    op.drop_table("auth_outbox")
