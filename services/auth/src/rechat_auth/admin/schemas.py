"""Admin views: the user list, per-user changes, and the sign-up settings."""

from __future__ import annotations

from pydantic import BaseModel

from rechat_auth.models import DefaultRole
from rechat_auth.users.schemas import Password, User
from rechat_shared.security import Role


class UserPage(BaseModel):
    items: list[User]
    total: int


class AdminUserUpdate(BaseModel):
    """Only the fields given change."""

    role: Role | None = None
    active: bool | None = None


class PasswordReset(BaseModel):
    password: Password


class AuthSettingsRead(BaseModel):
    signup_open: bool
    default_role: DefaultRole


class AuthSettingsUpdate(BaseModel):
    """Only the fields given change."""

    signup_open: bool | None = None
    default_role: DefaultRole | None = None
