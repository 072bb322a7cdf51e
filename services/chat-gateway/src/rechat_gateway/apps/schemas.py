"""Schemas of the apps registry: `App` for users, `AdminApp` and its create/update bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    StringConstraints,
    field_validator,
)

from rechat_shared.events import AppMode, Role
from rechat_shared.text import plain_text

ALL_ROLES: list[Role] = ["admin", "user"]
AppName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(plain_text)]
"""Shown in every user's app picker: no control or bidi-control characters."""


class App(BaseModel):
    """An app as the chat UI sees it, described by Dify's `/parameters`."""

    # every field is always sent: the OpenAPI document (and the SPA's types) say so
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: str
    name: str
    description: str
    icon: str
    mode: AppMode
    opening_statement: str | None = None
    suggested_questions: list[str] = Field(default_factory=list)
    user_input_form: list[dict[str, Any]] = Field(default_factory=list)
    file_upload: dict[str, Any] | None = None
    suggested_questions_after_answer: bool = False
    speech_to_text: bool = False
    """Dify's audio-to-text is on: the mic transcribes through `/api/apps/{id}/speech-to-text`."""
    text_to_speech: bool = False
    """Dify's text-to-audio is on: answers are read aloud via `/api/apps/{id}/text-to-speech`."""
    query_input: str | None = None
    """Workflow and completion apps: the input the message box fills (the form leaves it out)."""


class AdminApp(BaseModel):
    """An app as the administrator manages it; the key is never returned, only a hint."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    icon: str
    base_url: str
    mode: AppMode
    enabled: bool
    visible_to_roles: list[Role]
    visible_to_groups: list[str]
    api_key_hint: str
    created_at: datetime
    updated_at: datetime


GroupIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=200)
]

API_KEY_CHARACTERS = frozenset(chr(code) for code in range(0x21, 0x7F))
"""What a Dify key is made of (`app-` and letters/digits): printable ASCII without spaces. It
travels in an HTTP header, where anything else cannot be sent."""


def _plain_key(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not set(value.get_secret_value().strip()) <= API_KEY_CHARACTERS:
        raise ValueError("api_key may only contain printable ASCII characters, no spaces")
    return value


def _base_url(value: HttpUrl | None) -> str | None:
    return None if value is None else str(value).rstrip("/")


class AppCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: AppName
    description: str = Field(default="", max_length=5000)
    icon: str = Field(default="", max_length=500)
    base_url: HttpUrl
    api_key: SecretStr = Field(min_length=1, max_length=500)
    mode: AppMode | None = None
    """Detected from Dify; when given, registration fails unless Dify reports the same."""
    enabled: bool = True
    visible_to_roles: list[Role] = Field(default_factory=lambda: list(ALL_ROLES), max_length=3)
    visible_to_groups: GroupIds = Field(default_factory=list)
    """Groups (auth's group ids) whose members see the app whatever their role."""

    @field_validator("base_url")
    @classmethod
    def _short_url(cls, value: HttpUrl) -> HttpUrl:
        if len(str(value)) > 500:
            raise ValueError("base_url is longer than 500 characters")
        return value

    @field_validator("api_key")
    @classmethod
    def _plain_key(cls, value: SecretStr) -> SecretStr:
        _plain_key(value)
        return value

    @property
    def base_url_text(self) -> str:
        return _base_url(self.base_url) or ""


class AppUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: AppName | None = None
    description: str | None = Field(default=None, max_length=5000)
    icon: str | None = Field(default=None, max_length=500)
    base_url: HttpUrl | None = None
    api_key: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    mode: AppMode | None = None
    enabled: bool | None = None
    visible_to_roles: list[Role] | None = Field(default=None, max_length=3)
    visible_to_groups: GroupIds | None = None

    @field_validator("base_url")
    @classmethod
    def _short_url(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and len(str(value)) > 500:
            raise ValueError("base_url is longer than 500 characters")
        return value

    @field_validator("api_key")
    @classmethod
    def _plain_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _plain_key(value)

    @property
    def base_url_text(self) -> str | None:
        return _base_url(self.base_url)


class AppTestResult(BaseModel):
    """Outcome of checking an app's key against Dify."""

    ok: bool
    reason: str | None = None
    info: dict[str, Any] | None = None
