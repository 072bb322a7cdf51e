"""All SQL about groups and their members."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.models import Group, GroupMember, User


class GroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Group]:
        return list(await self.session.scalars(select(Group).order_by(Group.name, Group.id)))

    async def get(self, group_id: str) -> Group | None:
        return await self.session.get(Group, group_id)

    async def named(self, name: str) -> Group | None:
        return (await self.session.scalars(select(Group).where(Group.name == name))).first()

    async def add(self, group: Group) -> Group:
        self.session.add(group)
        await self.session.flush()
        return group

    async def delete(self, group: Group) -> None:
        await self.session.delete(group)  # its memberships go with it (ON DELETE CASCADE)
        await self.session.flush()

    async def members(self, group_ids: Collection[str]) -> dict[str, list[str]]:
        """Member user ids per group."""
        result: dict[str, list[str]] = {group_id: [] for group_id in group_ids}
        if group_ids:
            query = (
                select(GroupMember.group_id, GroupMember.user_id)
                .where(GroupMember.group_id.in_(group_ids))
                .order_by(GroupMember.user_id)
            )
            for group_id, user_id in await self.session.execute(query):
                result[group_id].append(user_id)
        return result

    async def existing_users(self, user_ids: Collection[str]) -> set[str]:
        if not user_ids:
            return set()
        return set(await self.session.scalars(select(User.id).where(User.id.in_(user_ids))))

    async def set_members(self, group_id: str, user_ids: Collection[str]) -> None:
        await self.session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
        self.session.add_all(GroupMember(group_id=group_id, user_id=uid) for uid in user_ids)
        await self.session.flush()

    async def ids_of(self, user_id: str) -> list[str]:
        """The groups a user belongs to (the token's `groups` claim)."""
        query = (
            select(GroupMember.group_id)
            .where(GroupMember.user_id == user_id)
            .order_by(GroupMember.group_id)
        )
        return list(await self.session.scalars(query))
