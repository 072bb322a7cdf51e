"""Which Dify app to call (``DifyApp``) and how long to wait (``DifyTimeouts``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class DifyApp(BaseModel):
    """One Dify app: its Service API base URL (ending in ``/v1``) and its app key.

    The key is a ``SecretStr``: it never shows in ``repr``, logs or exceptions.
    """

    model_config = ConfigDict(frozen=True)

    base_url: str
    api_key: SecretStr

    @property
    def root(self) -> str:
        """Base URL without a trailing slash."""
        return self.base_url.rstrip("/")


class DifyTimeouts(BaseModel):
    """Time limits, in seconds.

    ``read`` is well above Dify's 10 s ping interval; ``stall`` is the watchdog for a stream
    that sends only pings; ``deadline`` bounds one whole generation; ``terminal_grace`` is how
    long a chatflow stream may take to send its second terminal event.
    """

    model_config = ConfigDict(frozen=True)

    connect: float = Field(default=5.0, gt=0)
    read: float = Field(default=45.0, gt=0)
    write: float = Field(default=30.0, gt=0)
    pool: float = Field(default=10.0, gt=0)
    blocking_read: float = Field(default=300.0, gt=0)
    stall: float = Field(default=120.0, gt=0)
    deadline: float = Field(default=1300.0, gt=0)
    terminal_grace: float = Field(default=3.0, ge=0)
