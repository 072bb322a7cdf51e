"""Opaque keyset cursors: a page continues after the last row's sort key, so rows inserted
meanwhile neither shift nor repeat what the caller has already seen."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from rechat_shared.errors import InvalidCursor

T = TypeVar("T")
MAX_CURSOR_LENGTH = 300


class Page(BaseModel, Generic[T]):
    # every field is always sent: the OpenAPI document (and the SPA's types) say so
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(*parts: str | int | datetime) -> str:
    text = "|".join(part.isoformat() if isinstance(part, datetime) else str(part) for part in parts)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The cursor's `size` parts; 400 `invalid_cursor` for anything we did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor() from exc
    parts = text.split("|", size - 1)
    if len(parts) != size:
        raise InvalidCursor()
    return parts


def cursor_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if moment.tzinfo is None:
        raise InvalidCursor()
    return moment
