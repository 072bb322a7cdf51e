"""Index refresh tokens by expiry, for the purge of expired ones.

Revision ID: 0003_refresh_token_expiry
Revises: 0002_auth_outbox
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003_refresh_token_expiry"
down_revision = "0002_auth_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_refresh_tokens_expires_at"), "refresh_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_tokens_expires_at"), table_name="refresh_tokens")
