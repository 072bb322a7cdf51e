"""Sessions: what login and refresh answer, what login takes, and the public sign-in config."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StringConstraints

from rechat_auth.users.schemas import MAX_EMAIL, User, utf8_text


class Session(BaseModel):
    """An access token and its user; the refresh token travels in the `rechat_refresh` cookie."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: User


class LoginRequest(BaseModel):
    # not validated as an address: a malformed email is just an unknown one (same 401)
    email: Annotated[str, StringConstraints(max_length=MAX_EMAIL), AfterValidator(utf8_text)]
    password: Annotated[str, StringConstraints(max_length=256), AfterValidator(utf8_text)]


class AuthConfig(BaseModel):
    """What the sign-in page needs before anyone is signed in."""

    signup_open: bool
    has_users: bool
    image_hosts: list[str] = []
    """Hosts whose images answers show at once (the CSP's img-src allows them)."""
