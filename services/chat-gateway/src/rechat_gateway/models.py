"""SQLAlchemy models of the gateway: the registry of Dify apps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rechat_shared.db import UTCDateTime, naming_metadata, utcnow
from rechat_shared.events import new_id


class Base(DeclarativeBase):
    metadata = naming_metadata()


class App(Base):
    """A Dify app an administrator registered; the API key is stored encrypted."""

    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    icon: Mapped[str] = mapped_column(String(500), default="")
    base_url: Mapped[str] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(32))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    api_key_hint: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    visible_to_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    visible_to_groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
