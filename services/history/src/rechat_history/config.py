"""History settings: the shared names (`DATABASE_URL`...), `HISTORY_` overrides, its own knobs."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rechat_shared.settings import (
    DEFAULT_RABBITMQ_URL,
    DEFAULT_REDIS_URL,
    JWTVerifySettings,
    ServiceSettings,
    prefixed_field,
    resolve_database_url,
)

PREFIX = "HISTORY_"
VERSION_TABLE = "alembic_version_history"


class Settings(ServiceSettings, JWTVerifySettings):
    """Everything `rechat-history` reads from the environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    port: int = prefixed_field("PORT", PREFIX, 8003)
    database_url: str = prefixed_field("DATABASE_URL", PREFIX, "")
    database_echo: bool = prefixed_field("DATABASE_ECHO", PREFIX, False)
    database_pool_size: int = prefixed_field("DATABASE_POOL_SIZE", PREFIX, 10)
    redis_url: str = prefixed_field("REDIS_URL", PREFIX, DEFAULT_REDIS_URL)
    rabbitmq_url: str = prefixed_field("RABBITMQ_URL", PREFIX, DEFAULT_RABBITMQ_URL)
    rabbitmq_prefix: str = prefixed_field("RABBITMQ_PREFIX", PREFIX, "")
    migrate_on_start: bool = Field(default=True, validation_alias="HISTORY_MIGRATE_ON_START")
    # the largest request body taken (renames, folders, shares: small JSON)
    max_body_bytes: int = Field(default=1_048_576, ge=1, validation_alias="HISTORY_MAX_BODY_BYTES")
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

    @property
    def resolved_database_url(self) -> str:
        return resolve_database_url(self.database_url, self.data_dir)
