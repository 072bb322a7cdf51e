"""Auth's tables: users, their refresh tokens and preferences, groups, and the one row of
sign-up settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rechat_shared.db import UTCDateTime, naming_metadata, utcnow
from rechat_shared.security import Role

DefaultRole = Literal["user", "pending"]
AVATAR_PATH = "/api/auth/avatars"
"""Where pictures are served; the id in the path is 128 random bits, new with every upload."""


def new_id() -> str:
    return str(uuid.uuid4())


# Emails are normalised (lower-cased) before they are stored, so compare them byte for byte:
# MariaDB's default collation would also fold accents ("josé" = "jose").
EmailString = String(320).with_variant(mysql.VARCHAR(320, collation="utf8mb4_bin"), "mysql")


class Base(DeclarativeBase):
    metadata = naming_metadata()


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(EmailString, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    avatar_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The current picture's `user_avatars.id` (a new one per upload), or none: initials."""

    @property
    def avatar_url(self) -> str | None:
        return f"{AVATAR_PATH}/{self.avatar_id}" if self.avatar_id else None


class RefreshToken(Base):
    """One opaque refresh token (stored as its SHA-256); rotation chains tokens in a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserPreferences(Base):
    """The settings a user changed from their defaults (see `preferences/schemas.py`)."""

    __tablename__ = "user_preferences"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserAvatar(Base):
    """A profile picture, checked to be a PNG, JPEG, GIF or WebP image of bounded size."""

    __tablename__ = "user_avatars"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"))
    """The picture in base64 (aiomysql cannot send bytes parameters with today's PyMySQL)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Group(Base):
    """A named set of users; apps can be opened to a group (the gateway reads the token's
    `groups` claim)."""

    __tablename__ = "user_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GroupMember(Base):
    __tablename__ = "user_group_members"

    group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


SETTINGS_ROW_ID = 1


class AuthSettings(Base):
    """Admin-configured sign-up rules; a single row with id 1."""

    __tablename__ = "auth_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    signup_open: Mapped[bool] = mapped_column(Boolean, default=True)
    default_role: Mapped[DefaultRole] = mapped_column(String(16), default="pending")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxEvent(Base):
    """An event committed with the change it describes, waiting to be published."""

    __tablename__ = "auth_outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the event's id
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
