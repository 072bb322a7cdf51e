"""Schemas of file uploads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

FileKind = Literal["image", "document", "audio", "video", "custom"]


class UploadedFile(BaseModel):
    """A file uploaded to the app's Dify; its `id` goes into a message's `files`."""

    id: str
    name: str
    size: int
    mime_type: str
    type: FileKind
