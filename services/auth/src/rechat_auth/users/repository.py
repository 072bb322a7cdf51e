"""All SQL about users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import User

UserSort = Literal[
    "created_at",
    "-created_at",
    "email",
    "-email",
    "name",
    "-name",
    "last_login_at",
    "-last_login_at",
]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str, *, lock: bool = False) -> User | None:
        statement = select(User).where(User.id == user_id)
        if lock:  # the latest committed row, even if this session loaded it before
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get_by_email(self, email: str) -> User | None:
        statement = select(User).where(User.email == email)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def delete(self, user: User) -> None:
        await self.session.execute(delete(User).where(User.id == user.id))

    async def exists(self, *, locking: bool = False) -> bool:
        """Whether any account exists. `locking` reads the latest committed rows rather than
        the transaction's snapshot (which may predate a lock the caller waited for)."""
        statement = select(User.id).limit(1)
        if locking:
            statement = statement.with_for_update(read=True)
        return (await self.session.execute(statement)).first() is not None

    async def first_admin(self) -> User | None:
        """The longest-serving active admin: whom a pending account is told to contact."""
        statement = (
            select(User)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.created_at, User.id)
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def active_admin_ids(self) -> list[str]:
        """The active admins, row-locked so two concurrent demotions cannot both pass."""
        statement = (
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await self.session.execute(statement)).scalars())

    async def search(
        self, query: str | None, *, limit: int, offset: int, sort: UserSort
    ) -> tuple[Sequence[User], int]:
        conditions: list[ColumnElement[bool]] = []
        if query:
            pattern = f"%{_escape_like(query)}%"
            conditions.append(
                or_(
                    User.email.like(f"%{_escape_like(query.lower())}%", escape="\\"),
                    User.name.like(pattern, escape="\\"),
                )
            )
        total = await self.session.scalar(select(func.count(User.id)).where(*conditions))
        column = getattr(User, sort.lstrip("-"))
        order = column.desc() if sort.startswith("-") else column.asc()
        statement = (
            select(User).where(*conditions).order_by(order, User.id).limit(limit).offset(offset)
        )
        users = (await self.session.execute(statement)).scalars().all()
        return users, int(total or 0)
