"""The gateway's settings: shared names (`DATABASE_URL`...) overridable with `GATEWAY_`."""

from __future__ import annotations

from pydantic import Field

from rechat_shared.settings import (
    DatabaseSettings,
    JWTVerifySettings,
    RabbitSettings,
    prefixed_field,
)

PREFIX = "GATEWAY_"


class GatewaySettings(DatabaseSettings, RabbitSettings, JWTVerifySettings):
    """Everything `rechat-gateway` reads from the environment."""

    override_prefix = PREFIX
    default_port = 8002

    history_internal_url: str = prefixed_field(
        "HISTORY_INTERNAL_URL", PREFIX, "http://127.0.0.1:8003"
    )
    migrate_on_start: bool = Field(default=True, validation_alias="GATEWAY_MIGRATE_ON_START")
    # hosts registered apps may point at (apps/hosts.py): names, *.domain, IP networks; empty
    # allows any
    dify_allowed_hosts: str = Field(default="", validation_alias="GATEWAY_DIFY_ALLOWED_HOSTS")

    # limits of one chat request
    max_query_chars: int = Field(default=32_000, validation_alias="GATEWAY_MAX_QUERY_CHARS")
    max_inputs_bytes: int = Field(default=64_000, validation_alias="GATEWAY_MAX_INPUTS_BYTES")
    max_files: int = Field(default=10, validation_alias="GATEWAY_MAX_FILES")
    max_body_bytes: int = Field(default=256_000, validation_alias="GATEWAY_MAX_BODY_BYTES")
    max_upload_bytes: int = Field(default=15_000_000, validation_alias="GATEWAY_MAX_UPLOAD_BYTES")

    # per-user rate limit of generations (send and regenerate) in any window of that many
    # seconds (sliding), and how many of a user's answers may be generated at once
    rate_limit_count: int = Field(default=30, validation_alias="GATEWAY_RATE_LIMIT_COUNT")
    rate_limit_window: int = Field(default=60, validation_alias="GATEWAY_RATE_LIMIT_WINDOW")
    max_answers_in_flight: int = Field(
        default=4, ge=1, validation_alias="GATEWAY_MAX_ANSWERS_IN_FLIGHT"
    )

    # a generation holds its conversation's lock at most this long (the worker releases it)
    conversation_lock_seconds: int = Field(
        default=900, validation_alias="GATEWAY_CONVERSATION_LOCK_SECONDS"
    )
    # how long the gateway remembers who owns a message (resume, stop, feedback, regenerate)
    message_record_seconds: int = Field(
        default=7 * 24 * 3600, validation_alias="GATEWAY_MESSAGE_RECORD_SECONDS"
    )
    ownership_cache_seconds: float = Field(
        default=60.0, validation_alias="GATEWAY_OWNERSHIP_CACHE_SECONDS"
    )
    parameters_cache_seconds: int = Field(
        default=300, validation_alias="GATEWAY_PARAMETERS_CACHE_SECONDS"
    )
    keepalive_seconds: float = Field(default=15.0, validation_alias="GATEWAY_KEEPALIVE_SECONDS")
