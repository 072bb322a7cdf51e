"""Apps can be shown to groups of users as well as to roles.

Revision ID: 0002_app_groups
Revises: 0001_apps
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_app_groups"
down_revision = "0001_apps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("visible_to_groups", sa.JSON(), nullable=True))
    op.execute("UPDATE apps SET visible_to_groups = '[]'")
    with op.batch_alter_table("apps") as batch:
        batch.alter_column("visible_to_groups", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("visible_to_groups")
