"""Reusable pydantic-settings building blocks that every service composes into its own Settings.

`PORT`, `DATABASE_URL` (and its pool settings), `REDIS_URL`, `RABBITMQ_URL` and `RABBITMQ_PREFIX`
are declared once, here: `ServiceSettings`, `DatabaseSettings`, `RabbitSettings`. A service names
its prefix (`override_prefix = "AUTH_"`), and then `AUTH_DATABASE_URL` beats `DATABASE_URL` for
that service alone. A service's own setting with the same rule uses `prefixed_field`.
"""

from __future__ import annotations

from copy import copy
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-in-production"
EXAMPLE_SECRETS = frozenset(
    {DEFAULT_SECRET_KEY, "replace-with-at-least-32-random-characters"}  # deploy/k8s's example
)
"""Secret values printed in this repository's examples: public, so never a production secret."""
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT_CHARS = 10
MEMORY_URL = "memory://"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_REDIS_HEALTH_CHECK_SECONDS = 15.0


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def prefixed_field(name: str, prefix: str, default: Any) -> Any:
    """A field read from `{prefix}{name}` first, then from the shared `{name}`."""
    aliases = (f"{prefix}{name}", name) if prefix else (name,)
    return Field(default=default, validation_alias=AliasChoices(*aliases))


_OVERRIDABLE: set[str] = set()


def _overridable(name: str, default: Any) -> Any:
    """A shared setting that a service's prefix can override (see `override_prefix`)."""
    _OVERRIDABLE.add(name)
    return Field(default=default, validation_alias=name)


class ServiceSettings(BaseSettings):
    """Settings every service has: environment, secret, data dir, logging, bind address, Redis."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    override_prefix: ClassVar[str] = ""
    """`AUTH_`: `AUTH_PORT`, `AUTH_REDIS_URL`... override the shared names for this service."""
    default_port: ClassVar[int] = 8000

    environment: Environment = Field(default=Environment.DEVELOPMENT, validation_alias="RECHAT_ENV")
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET_KEY), validation_alias="RECHAT_SECRET_KEY"
    )
    data_dir: Path = Field(default=Path("data"), validation_alias="RECHAT_DATA_DIR")
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = _overridable("PORT", 8000)
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: str = Field(default="json", validation_alias="LOG_FORMAT")
    redis_url: str = _overridable("REDIS_URL", DEFAULT_REDIS_URL)
    redis_prefix: str = Field(default="rechat:", validation_alias="REDIS_PREFIX")
    redis_health_check_seconds: float = Field(
        default=DEFAULT_REDIS_HEALTH_CHECK_SECONDS,
        gt=0,
        validation_alias="REDIS_HEALTH_CHECK_SECONDS",
    )
    """A pooled connection idle this long is PINGed before use; the pub/sub connection of the
    stream hub is PINGed after this long without traffic and replaced when even that goes
    unanswered for as long again."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Give the shared names of a service's settings their `{prefix}NAME` override."""
        super().__pydantic_init_subclass__(**kwargs)
        prefix = cls.override_prefix
        if not prefix:
            return
        for name, field in list(cls.__pydantic_fields__.items()):
            alias = field.validation_alias
            if not isinstance(alias, str) or alias not in _OVERRIDABLE:
                continue
            overridden = copy(field)  # the parent class keeps its own
            overridden.validation_alias = AliasChoices(f"{prefix}{alias}", alias)
            if name == "port":
                overridden.default = cls.default_port
            cls.__pydantic_fields__[name] = overridden
        cls.model_rebuild(force=True)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if (
                secret.strip().lower() in EXAMPLE_SECRETS
                or len(secret) < MIN_SECRET_CHARS
                or len(set(secret)) < MIN_SECRET_DISTINCT_CHARS
            ):
                raise ValueError(
                    "RECHAT_SECRET_KEY must be set to a random secret of at least 32 characters"
                    " in production (not an example value from the documentation)"
                )
        return self


class DatabaseSettings(ServiceSettings):
    """Database URL: mysql+aiomysql in production, embedded SQLite in the data dir by default."""

    database_url: str = _overridable("DATABASE_URL", "")
    database_echo: bool = _overridable("DATABASE_ECHO", False)
    database_pool_size: int = _overridable("DATABASE_POOL_SIZE", 10)

    @property
    def resolved_database_url(self) -> str:
        return resolve_database_url(self.database_url, self.data_dir)


def resolve_database_url(database_url: str, data_dir: Path) -> str:
    """The configured URL, or the embedded SQLite file inside the data directory."""
    if database_url:
        return database_url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'rechat.db').resolve()}"


class RabbitSettings(ServiceSettings):
    rabbitmq_url: str = _overridable("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    rabbitmq_prefix: str = _overridable("RABBITMQ_PREFIX", "")


class JWTVerifySettings(BaseSettings):
    """What a service needs to verify access tokens minted by auth."""

    jwks_url: str = Field(
        default="http://127.0.0.1:8001/api/auth/.well-known/jwks.json",
        validation_alias="AUTH_JWKS_URL",
    )
    jwt_issuer: str = Field(default="rechat-auth", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field(default="rechat", validation_alias="JWT_AUDIENCE")
    jwks_cache_seconds: int = Field(default=300, validation_alias="JWKS_CACHE_SECONDS")
    jwt_leeway_seconds: int = Field(default=5, validation_alias="JWT_LEEWAY_SECONDS")


def is_memory_url(url: str) -> bool:
    """`memory://` selects the in-process implementation (embedded mode)."""
    return url.startswith(MEMORY_URL)
