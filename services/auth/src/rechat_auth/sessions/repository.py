"""All SQL about refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import RefreshToken


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: RefreshToken) -> RefreshToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def claim(self, token_id: str, now: datetime) -> bool:
        """Mark the token used, atomically: False when it was already used or revoked."""
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        result = await self.session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        statement = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await self.session.execute(statement)

    async def revoke_for_user(
        self, user_id: str, now: datetime, *, keep_family: str | None = None
    ) -> None:
        """Revoke every session of the user, except `keep_family` when given."""
        statement = update(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
        )
        if keep_family is not None:
            statement = statement.where(RefreshToken.family_id != keep_family)
        await self.session.execute(statement.values(revoked_at=now))

    async def delete_expired(self, before: datetime, limit: int) -> int:
        """Forget up to `limit` tokens that expired before `before`; how many went."""
        expired = (
            select(RefreshToken.id)
            .where(RefreshToken.expires_at < before)
            .order_by(RefreshToken.expires_at)
            .limit(limit)
        )
        ids = list((await self.session.execute(expired)).scalars())
        if ids:
            await self.session.execute(delete(RefreshToken).where(RefreshToken.id.in_(ids)))
        return len(ids)
