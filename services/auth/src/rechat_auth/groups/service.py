"""Group administration. A user's groups travel in their access token, so whoever joins or
leaves a group has their access tokens revoked: the app refreshes silently and the new token
names the new groups at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError

from rechat_auth.dependencies import UnitOfWork
from rechat_auth.groups.repository import GroupRepository
from rechat_auth.groups.schemas import Group, GroupCreate, GroupUpdate
from rechat_auth.models import Group as GroupRow
from rechat_auth.runtime import AuthRuntime
from rechat_shared.errors import GroupExists, GroupNotFound, UserNotFound


class GroupService:
    def __init__(self, work: UnitOfWork, runtime: AuthRuntime) -> None:
        self.work = work
        self.runtime = runtime
        self.groups = GroupRepository(work.session)

    async def all(self) -> list[Group]:
        rows = await self.groups.all()
        members = await self.groups.members([row.id for row in rows])
        return [_group(row, members[row.id]) for row in rows]

    async def create(self, body: GroupCreate) -> Group:
        await self._check_name_free(body.name)
        member_ids = await self._known_users(body.member_ids)
        row = GroupRow(name=body.name, description=body.description)
        try:
            async with self.work.session.begin_nested():
                await self.groups.add(row)
        except IntegrityError:  # created concurrently under the same name
            raise GroupExists() from None
        await self.groups.set_members(row.id, member_ids)
        self._revoke_after_commit(member_ids)
        return _group(row, member_ids)

    async def update(self, group_id: str, body: GroupUpdate) -> Group:
        row = await self._get(group_id)
        if body.name is not None and body.name != row.name:
            await self._check_name_free(body.name)
            row.name = body.name
        if body.description is not None:
            row.description = body.description
        before = (await self.groups.members([row.id]))[row.id]
        members = before
        if body.member_ids is not None:
            members = await self._known_users(body.member_ids)
            await self.groups.set_members(row.id, members)
            self._revoke_after_commit(set(before) ^ set(members))
        await self.work.session.flush()
        return _group(row, members)

    async def delete(self, group_id: str) -> None:
        row = await self._get(group_id)
        members = (await self.groups.members([row.id]))[row.id]
        await self.groups.delete(row)
        self._revoke_after_commit(members)

    async def _get(self, group_id: str) -> GroupRow:
        row = await self.groups.get(group_id)
        if row is None:
            raise GroupNotFound()
        return row

    async def _check_name_free(self, name: str) -> None:
        if await self.groups.named(name) is not None:
            raise GroupExists()

    async def _known_users(self, user_ids: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(user_ids))
        missing = set(wanted) - await self.groups.existing_users(wanted)
        if missing:
            raise UserNotFound(f"No such user: {sorted(missing)[0]}")
        return wanted

    def _revoke_after_commit(self, user_ids: Iterable[str]) -> None:
        changed = sorted(set(user_ids))
        if not changed:
            return

        async def revoke() -> None:
            for user_id in changed:
                await self.runtime.user_state.revoke_tokens(user_id)

        self.work.after_commit(revoke)


def _group(row: GroupRow, member_ids: list[str]) -> Group:
    return Group(
        id=row.id,
        name=row.name,
        description=row.description,
        member_ids=member_ids,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
