"""Bodies of the chat routes."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_QUERY_CHARS = 32_000
MAX_FILES = 10
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""Ids we mint are UUIDs; anything else is refused before it reaches a URL or a key."""


LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def public_file_url(url: str) -> str:
    """A remote file URL Dify may fetch for the user: http(s), no credentials, and not an
    address of Dify's own network (loopback, private, link-local: the metadata endpoint)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("url must be an http or https URL")
    if parts.username or parts.password:
        raise ValueError("url must not carry credentials")
    if host == LOCAL_NAMES[0] or host.endswith(LOCAL_NAMES[1:]):
        raise ValueError("url must point at a public host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: resolved by Dify
    if not address.is_global:
        raise ValueError("url must point at a public address")
    return url


class ChatFile(BaseModel):
    """A file for Dify: an id from `POST /api/files`, or a remote URL."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["image", "document", "audio", "video", "custom"] = "image"
    transfer_method: Literal["local_file", "remote_url"] = "local_file"
    upload_file_id: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=255)
    """What the user's message shows (history keeps it; Dify is not sent it)."""

    @model_validator(mode="after")
    def _has_source(self) -> ChatFile:
        if self.transfer_method == "local_file" and not self.upload_file_id:
            raise ValueError("a local_file needs upload_file_id")
        if self.transfer_method == "remote_url" and not self.url:
            raise ValueError("a remote_url file needs url")
        if self.transfer_method == "remote_url" and self.url:
            public_file_url(self.url)
        return self


class ChatMessageCreate(BaseModel):
    """One user turn."""

    model_config = ConfigDict(extra="forbid")

    app_id: str = Field(pattern=ID_PATTERN)
    conversation_id: str | None = Field(default=None, pattern=ID_PATTERN)
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    inputs: dict[str, Any] = Field(default_factory=dict)
    files: list[ChatFile] = Field(default_factory=list, max_length=MAX_FILES)


class StopResult(BaseModel):
    status: Literal["stopping"] = "stopping"


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["like", "dislike"] | None
    content: str | None = Field(default=None, max_length=5000)
