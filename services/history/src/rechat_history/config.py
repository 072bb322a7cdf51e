"""History settings: the shared names (`DATABASE_URL`...), `HISTORY_` overrides, its own knobs."""

from __future__ import annotations

from pydantic import Field

from rechat_shared.settings import (
    DatabaseSettings,
    JWTVerifySettings,
    RabbitSettings,
)

PREFIX = "HISTORY_"
VERSION_TABLE = "alembic_version_history"


class Settings(DatabaseSettings, RabbitSettings, JWTVerifySettings):
    """Everything `rechat-history` reads from the environment."""

    override_prefix = PREFIX
    default_port = 8003

    migrate_on_start: bool = Field(default=True, validation_alias="HISTORY_MIGRATE_ON_START")
    # the largest request body taken (renames, folders, shares: small JSON)
    max_body_bytes: int = Field(default=1_048_576, ge=1, validation_alias="HISTORY_MAX_BODY_BYTES")
    # the largest chat export file taken by POST /api/conversations/import
    max_import_bytes: int = Field(
        default=20_971_520, ge=1, validation_alias="HISTORY_MAX_IMPORT_BYTES"
    )
    consume_events: bool = Field(default=True, validation_alias="HISTORY_CONSUME_EVENTS")
    """Off runs the API alone (a second replica for reads, or tests of the API only)."""
    batch_size: int = Field(default=500, ge=1, le=1000, validation_alias="HISTORY_BATCH_SIZE")
    """Events written per transaction (the consumer's prefetch)."""
    consumers: int = Field(default=1, ge=1, le=16, validation_alias="HISTORY_CONSUMERS")
    """Batches in flight at once (SQLite always uses one). More than one overlaps parsing with
    database waits, but batches that share new rows then collide and retry (see README)."""
    writers: int = Field(default=2, ge=1, le=8, validation_alias="HISTORY_WRITERS")
    """Concurrent transactions per batch, each for a share of its conversations (SQLite: one)."""
    batch_wait_seconds: float = Field(
        default=0.02, ge=0, le=1, validation_alias="HISTORY_BATCH_WAIT_SECONDS"
    )
    transient_retry_seconds: float = Field(
        default=30.0, ge=0, validation_alias="HISTORY_TRANSIENT_RETRY_SECONDS"
    )
    """How long a batch keeps retrying while the database is away before it is handed back."""
