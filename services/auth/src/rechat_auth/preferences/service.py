"""Reading and changing the caller's preferences.

Stored as the settings the user changed; read through `Preferences`, so a setting added later
reads as its default and one removed later is dropped, without a migration.
"""

from __future__ import annotations

from typing import Any

from rechat_auth.dependencies import UnitOfWork
from rechat_auth.preferences.repository import PreferencesRepository
from rechat_auth.preferences.schemas import Preferences, PreferencesUpdate


def _known(data: dict[str, Any]) -> Preferences:
    fields = Preferences.model_fields
    return Preferences.model_validate({k: v for k, v in data.items() if k in fields})


class PreferencesService:
    def __init__(self, work: UnitOfWork) -> None:
        self.preferences = PreferencesRepository(work.session)

    async def read(self, user_id: str) -> Preferences:
        row = await self.preferences.get(user_id)
        return _known(row.data) if row is not None else Preferences()

    async def update(self, user_id: str, changes: PreferencesUpdate) -> Preferences:
        row = await self.preferences.get(user_id, lock=True)
        current = _known(row.data) if row is not None else Preferences()
        updated = changes.apply(current)
        await self.preferences.save(user_id, updated.model_dump(exclude_defaults=True))
        return updated
