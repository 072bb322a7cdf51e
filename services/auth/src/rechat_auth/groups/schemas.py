"""Groups as the admin API shows and changes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from rechat_auth.users.schemas import Name, utf8_text

Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(utf8_text)
]
UserIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(max_length=10_000),
]


class Group(BaseModel):
    id: str
    name: str
    description: str
    member_ids: list[str]
    created_at: datetime
    updated_at: datetime


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    member_ids: UserIds = Field(default_factory=list)


class GroupUpdate(BaseModel):
    """Only the fields given change; `member_ids` replaces the whole membership."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    member_ids: UserIds | None = None
