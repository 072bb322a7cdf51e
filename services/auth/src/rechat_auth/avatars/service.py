"""Set, remove and read a profile picture.

Each upload gets a new random id, so its URL (`/api/auth/avatars/{id}`) can be cached forever and
shown by a plain `<img>` (which sends no bearer token): the id is 128 random bits, known only
to those the user's name is shown to, like a share link.
"""

from __future__ import annotations

import base64
import secrets

from rechat_auth.avatars.images import sniff
from rechat_auth.avatars.repository import AvatarRepository
from rechat_auth.dependencies import UnitOfWork
from rechat_auth.models import User, UserAvatar
from rechat_auth.users.repository import UserRepository
from rechat_shared.db import utcnow
from rechat_shared.errors import NotFound, UserNotFound
from rechat_shared.security import Principal


class AvatarService:
    def __init__(self, work: UnitOfWork) -> None:
        self.users = UserRepository(work.session)
        self.avatars = AvatarRepository(work.session)

    async def _me(self, principal: Principal) -> User:
        user = await self.users.get(principal.user_id, lock=True)
        if user is None:
            raise UserNotFound()
        return user

    async def set(self, principal: Principal, data: bytes) -> User:
        content_type = sniff(data)
        user = await self._me(principal)
        avatar = UserAvatar(
            id=secrets.token_hex(16),
            user_id=user.id,
            content_type=content_type,
            data=base64.b64encode(data).decode(),
            created_at=utcnow(),
        )
        await self.avatars.replace(user.id, avatar)
        user.avatar_id = avatar.id
        return user

    async def remove(self, principal: Principal) -> User:
        user = await self._me(principal)
        await self.avatars.replace(user.id, None)
        user.avatar_id = None
        return user

    async def read(self, avatar_id: str) -> tuple[bytes, str]:
        """The picture's bytes and content type."""
        avatar = await self.avatars.get(avatar_id)
        if avatar is None:
            raise NotFound("No such picture")
        return base64.b64decode(avatar.data), avatar.content_type
