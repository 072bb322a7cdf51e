"""Where `rechat dev` runs from and in which mode: `.env`, the data dir, embedded or processes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dotenv import load_dotenv

from rechat_shared.settings import MEMORY_URL

INFRA_VARIABLES = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL")
TRANSPORT_VARIABLES = ("RABBITMQ_URL", "REDIS_URL")


class Mode(StrEnum):
    EMBEDDED = "embedded"
    """One process: SQLite (unless DATABASE_URL is set), in-process bus, stream hub and Redis."""
    PROCESSES = "processes"
    """Each service in its own process against the real database, RabbitMQ and Redis."""


class ModeError(ValueError):
    """The environment names some infrastructure servers but not all of them."""


def load_env_file(path: Path | None = None) -> Path | None:
    """Load `.env` (the working directory's, unless given) without overriding the environment."""
    env_file = path or Path.cwd() / ".env"
    if env_file.is_file():
        load_dotenv(env_file, override=False)
        return env_file
    return None


def detect_mode(environ: dict[str, str] | None = None) -> Mode:
    """Embedded with no broker and Redis URLs, processes with both; half of it is a mistake."""
    env = os.environ if environ is None else environ
    given = [name for name in TRANSPORT_VARIABLES if env.get(name, "").strip()]
    if not given:
        return Mode.EMBEDDED
    if len(given) == len(TRANSPORT_VARIABLES) and all(
        not env[name].startswith(MEMORY_URL) for name in given
    ):
        if not env.get("DATABASE_URL", "").strip():
            raise ModeError(
                "RABBITMQ_URL and REDIS_URL are set but DATABASE_URL is not: set it too to run"
                " the services as separate processes, or unset all three for embedded mode"
            )
        return Mode.PROCESSES
    missing = [name for name in INFRA_VARIABLES if not env.get(name, "").strip()]
    raise ModeError(
        f"only some infrastructure URLs are set ({', '.join(given)}); set DATABASE_URL,"
        f" RABBITMQ_URL and REDIS_URL for separate processes (missing: {', '.join(missing)}),"
        " or unset RABBITMQ_URL and REDIS_URL for the embedded single process"
    )


def repository_root() -> Path:
    """The checkout this CLI runs from (the working directory when it is one)."""
    cwd = Path.cwd()
    if (cwd / "web" / "package.json").is_file():
        return cwd
    for parent in Path(__file__).resolve().parents:
        if (parent / "web" / "package.json").is_file():
            return parent
    return cwd


def data_dir() -> Path:
    return Path(os.environ.get("RECHAT_DATA_DIR", "data")).resolve()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where `rechat dev` answers; services call each other through it in embedded mode."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def loopback_url(self) -> str:
        """The address this machine's own processes use (also when bound to 0.0.0.0)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "localhost") else self.host
        if host == "::":
            host = "[::1]"
        return f"http://{host}:{self.port}"
