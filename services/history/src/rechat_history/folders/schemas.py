"""What the API says about folders (`Folder` of docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from rechat_history.models import FOLDER_NAME_LENGTH
from rechat_history.models import Folder as FolderRow
from rechat_shared.text import plain_text

FolderName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=FOLDER_NAME_LENGTH),
    AfterValidator(plain_text),
]


class Folder(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: FolderRow) -> Folder:
        return cls(id=row.id, name=row.name, created_at=row.created_at, updated_at=row.updated_at)


class FolderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: FolderName


class FolderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: FolderName
