"""All SQL about the sign-up settings row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import SETTINGS_ROW_ID, AuthSettings

DEFAULT_SIGNUP_OPEN = True
DEFAULT_ROLE = "pending"


class AuthSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, *, lock: bool = False) -> AuthSettings:
        """The settings row, created with the defaults when missing. `lock` takes a row lock
        that serialises registrations (so only one "first account" becomes admin)."""
        # The migration and every start-up create the row; should it be missing anyway, never
        # lock it before it exists (locking reads of absent rows take gap locks, and two
        # transactions that both insert then deadlock).
        if await self._select(lock=False) is None:
            await self._create()
        row = await self._select(lock)
        assert row is not None
        return row

    async def _create(self) -> None:
        try:
            async with self.session.begin_nested():
                self.session.add(
                    AuthSettings(
                        id=SETTINGS_ROW_ID,
                        signup_open=DEFAULT_SIGNUP_OPEN,
                        default_role=DEFAULT_ROLE,
                    )
                )
        except IntegrityError:
            pass  # created concurrently; use theirs

    async def _select(self, lock: bool) -> AuthSettings | None:
        statement = select(AuthSettings).where(AuthSettings.id == SETTINGS_ROW_ID)
        if lock:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()
