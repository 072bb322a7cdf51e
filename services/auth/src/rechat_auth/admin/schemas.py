"""Admin views: the user list, per-user changes, and the sign-up settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rechat_auth.models import DefaultRole
from rechat_auth.users.schemas import Email, Name, Password, User
from rechat_shared.security import Role


class UserPage(BaseModel):
    items: list[User]
    total: int


class AdminUserCreate(BaseModel):
    """An account the admin adds by hand ("Add User"); sign-up rules do not apply."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    password: Password
    role: Role = "user"


class AdminUserUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None
    name: Name | None = None
    email: Email | None = None


class PasswordReset(BaseModel):
    password: Password


class AuthSettingsRead(BaseModel):
    signup_open: bool
    default_role: DefaultRole


class AuthSettingsUpdate(BaseModel):
    """Only the fields given change."""

    signup_open: bool | None = None
    default_role: DefaultRole | None = None
