"""All SQL of user preferences: one JSON document per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import UserPreferences
from rechat_shared.db import utcnow


class PreferencesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str, *, lock: bool = False) -> UserPreferences | None:
        query = select(UserPreferences).where(UserPreferences.user_id == user_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def save(self, user_id: str, data: dict[str, Any]) -> None:
        row = await self.get(user_id, lock=True)
        if row is None:
            self.session.add(UserPreferences(user_id=user_id, data=data, updated_at=utcnow()))
        else:
            row.data = data
            row.updated_at = utcnow()
        await self.session.flush()
