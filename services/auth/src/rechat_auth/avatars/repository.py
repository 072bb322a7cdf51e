"""All SQL of profile pictures."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import UserAvatar


class AvatarRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, avatar_id: str) -> UserAvatar | None:
        return await self.session.get(UserAvatar, avatar_id)

    async def replace(self, user_id: str, avatar: UserAvatar | None) -> None:
        """The user's pictures become `avatar` alone (none: no picture)."""
        await self.session.execute(delete(UserAvatar).where(UserAvatar.user_id == user_id))
        if avatar is not None:
            self.session.add(avatar)
        await self.session.flush()
