"""Users as the API shows them, and the validated inputs that create or change them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import email_validator
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from rechat_auth.users.passwords import refuse_guessable
from rechat_shared.security import Role
from rechat_shared.text import plain_text

MAX_EMAIL = 320

# `.local` (mDNS, and many a company's internal mail domain) is a special-use name the library
# refuses by default; its documented switch is this module-level list.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [
    name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name != "local"
]


def utf8_text(value: str) -> str:
    """Refuse lone surrogates (valid JSON escapes, but no database or hash can store them)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


def normalize_email(value: str) -> str:
    """The canonical spelling we store and compare: validated, then lower-cased entirely.

    Intranet domains (`.local`, `.internal`, a bare host name's company domain) are fine: a
    self-hosted ReChat often serves exactly such a network.
    """
    try:
        email = validate_email(
            utf8_text(value).strip(), check_deliverability=False, globally_deliverable=False
        )
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    normalized = email.normalized.lower()
    if len(normalized) > MAX_EMAIL:
        raise ValueError("email address is too long")
    return normalized


Email = Annotated[
    str,
    StringConstraints(max_length=MAX_EMAIL),
    AfterValidator(normalize_email),
    Field(json_schema_extra={"format": "email"}),
]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=256),
    AfterValidator(utf8_text),
    AfterValidator(refuse_guessable),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(plain_text),
]


class User(BaseModel):
    """An account as every client sees it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    avatar_url: str | None = None
    """The profile picture (`/api/auth/avatars/{id}`), or none: show the initials."""


class AdminContact(BaseModel):
    """The admin a pending account is told to contact (name and email only)."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    email: str


class UserCreate(BaseModel):
    email: Email
    password: Password
    name: Name


class UserUpdate(BaseModel):
    name: Name


class PasswordChange(BaseModel):
    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=256), AfterValidator(utf8_text)
    ]
    new_password: Password
