"""All SQL of the apps registry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_gateway.models import App


class AppRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, *, enabled_only: bool = False) -> Sequence[App]:
        statement = select(App).order_by(App.name, App.id)
        if enabled_only:
            statement = statement.where(App.enabled.is_(True))
        return (await self.session.scalars(statement)).all()

    async def get(self, app_id: str) -> App | None:
        return await self.session.get(App, app_id)

    def detach(self, app: App) -> None:
        """Take a loaded row out of the session (it keeps its loaded values)."""
        self.session.expunge(app)

    async def add(self, app: App) -> App:
        self.session.add(app)
        await self.session.flush()
        return app

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, app: App) -> None:
        await self.session.delete(app)
        await self.session.flush()
