"""Auth's settings: shared names (`DATABASE_URL`...) overridable with `AUTH_`, and its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from rechat_shared.settings import (
    DatabaseSettings,
    Environment,
    JWTVerifySettings,
    RabbitSettings,
    prefixed_field,
)

PREFIX = "AUTH_"
SIGNING_KEY_FILENAME = "auth_signing_key.pem"
IMAGE_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")


class Settings(DatabaseSettings, RabbitSettings, JWTVerifySettings):
    """Everything `rechat-auth` reads from the environment."""

    override_prefix = PREFIX
    default_port = 8001

    redis_max_connections: int = prefixed_field("REDIS_MAX_CONNECTIONS", PREFIX, 50)
    migrate_on_start: bool = Field(default=True, validation_alias="AUTH_MIGRATE_ON_START")
    # the largest request body taken (credentials and names: a few hundred bytes)
    max_body_bytes: int = Field(default=65_536, ge=1, validation_alias="AUTH_MAX_BODY_BYTES")
    # the largest profile picture taken (the SPA sends a 256 px square, far below this)
    avatar_max_bytes: int = Field(default=1_048_576, ge=1, validation_alias="AUTH_AVATAR_MAX_BYTES")
    # how often the outbox relay retries events the broker could not take at once
    outbox_interval_seconds: float = Field(
        default=5.0, validation_alias="AUTH_OUTBOX_INTERVAL_SECONDS"
    )
    # how often expired refresh tokens are deleted
    maintenance_interval_seconds: float = Field(
        default=3600.0, validation_alias="AUTH_MAINTENANCE_INTERVAL_SECONDS"
    )

    # signing key: PEM in the variable or a file; development generates one into the data dir
    private_key: SecretStr | None = Field(default=None, validation_alias="AUTH_PRIVATE_KEY")
    private_key_file: Path | None = Field(default=None, validation_alias="AUTH_PRIVATE_KEY_FILE")
    # the key used before the last rotation, still published in the JWKS (public PEM)
    previous_public_key: str | None = Field(
        default=None, validation_alias="AUTH_PREVIOUS_PUBLIC_KEY"
    )
    previous_public_key_file: Path | None = Field(
        default=None, validation_alias="AUTH_PREVIOUS_PUBLIC_KEY_FILE"
    )

    access_token_seconds: int = Field(default=900, validation_alias="AUTH_ACCESS_TOKEN_SECONDS")
    refresh_token_seconds: int = Field(
        default=14 * 24 * 3600, validation_alias="AUTH_REFRESH_TOKEN_SECONDS"
    )

    # password-guess throttling (sessions/throttle.py), failed attempts per window: per account
    # and source address, per source address, per account from sources it never signed in
    # from (sources it did are remembered for `known_source_days`)
    login_max_failures_per_source: int = Field(
        default=5, validation_alias="AUTH_LOGIN_MAX_FAILURES_PER_SOURCE"
    )
    login_max_failures_per_ip: int = Field(
        default=50, validation_alias="AUTH_LOGIN_MAX_FAILURES_PER_IP"
    )
    login_max_failures_per_email: int = Field(
        default=20, validation_alias="AUTH_LOGIN_MAX_FAILURES_PER_EMAIL"
    )
    login_window_seconds: int = Field(default=900, validation_alias="AUTH_LOGIN_WINDOW_SECONDS")
    login_known_source_days: int = Field(
        default=30, validation_alias="AUTH_LOGIN_KNOWN_SOURCE_DAYS"
    )

    # hosts whose images answers show at once (and the CSP's img-src allows), space separated
    # (nginx writes the value into its CSP as it is); any other remote image in an answer is
    # a link the reader may open
    image_hosts: str = Field(default="", validation_alias="RECHAT_IMAGE_HOSTS")

    @property
    def image_host_list(self) -> list[str]:
        return [host for host in self.image_hosts.lower().split() if host]

    @field_validator("image_hosts")
    @classmethod
    def _plain_host_names(cls, value: str) -> str:
        for host in value.split():
            if host and not IMAGE_HOST.fullmatch(host):
                raise ValueError(f"RECHAT_IMAGE_HOSTS: {host!r} is not a host name[:port]")
        return value

    @model_validator(mode="after")
    def _production_needs_a_key(self) -> Self:
        if self.environment is Environment.PRODUCTION and not (
            self.private_key or self.private_key_file
        ):
            raise ValueError(
                "AUTH_PRIVATE_KEY or AUTH_PRIVATE_KEY_FILE must be set in production"
                " (a signing key is generated on its own only in development)"
            )
        return self

    @property
    def generated_key_path(self) -> Path:
        return self.data_dir / SIGNING_KEY_FILENAME
