"""What the API says about conversations (`Conversation` of docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from rechat_history.messages.schemas import Message
from rechat_history.models import TITLE_LENGTH
from rechat_history.models import Conversation as ConversationRow
from rechat_shared.text import plain_text

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_LENGTH),
    AfterValidator(plain_text),
]
ExportFormat = Literal["json", "markdown"]


class Conversation(BaseModel):
    id: str
    app_id: str
    title: str
    pinned: bool
    archived: bool
    folder_id: str | None
    unread: bool
    created_at: datetime
    updated_at: datetime
    preview: str

    @classmethod
    def from_row(cls, row: ConversationRow) -> Conversation:
        return cls(
            id=row.id,
            app_id=row.app_id,
            title=row.title,
            pinned=row.pinned,
            archived=row.archived,
            folder_id=row.folder_id,
            unread=row.unread,
            created_at=row.created_at,
            updated_at=row.updated_at,
            preview=row.preview,
        )


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    pinned: bool | None = None
    archived: bool | None = None
    folder_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    """A folder of mine to move the conversation into; null takes it out of its folder."""
    unread: bool | None = None


class DeleteAllConversations(BaseModel):
    confirm: bool
    """Must be true: deleting every conversation is not undoable."""


class ConversationFilters(BaseModel):
    app_id: str | None = None
    pinned: bool | None = None
    archived: bool | None = None
    folder_id: str | None = None
    in_folder: bool | None = None
    q: str | None = None


class ConversationExport(BaseModel):
    conversation: Conversation
    messages: list[Message]


class ExportAll(BaseModel):
    exported_at: datetime
    conversations: list[ConversationExport]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
