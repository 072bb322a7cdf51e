"""Administration: list, change, delete and reset users; sign-up settings. The last active
admin can never be demoted, deactivated or deleted."""

from __future__ import annotations

from collections.abc import Sequence

from rechat_auth.admin.repository import AuthSettingsRepository
from rechat_auth.admin.schemas import AdminUserCreate, AdminUserUpdate, AuthSettingsUpdate
from rechat_auth.dependencies import UnitOfWork
from rechat_auth.models import AuthSettings, User
from rechat_auth.runtime import AuthRuntime
from rechat_auth.sessions.repository import RefreshTokenRepository
from rechat_auth.users.repository import UserRepository, UserSort
from rechat_auth.users.service import UserService, announce_change
from rechat_shared.db import utcnow
from rechat_shared.errors import EmailTaken, LastAdmin, UserNotFound


class AdminService:
    def __init__(self, work: UnitOfWork, runtime: AuthRuntime) -> None:
        self.work = work
        self.runtime = runtime
        self.users = UserRepository(work.session)
        self.tokens = RefreshTokenRepository(work.session)

    async def list_users(
        self, query: str | None, *, limit: int, offset: int, sort: UserSort
    ) -> tuple[Sequence[User], int]:
        return await self.users.search(query, limit=limit, offset=offset, sort=sort)

    async def get_user(self, user_id: str, *, lock: bool = False) -> User:
        user = await self.users.get(user_id, lock=lock)
        if user is None:
            raise UserNotFound()
        return user

    async def _serialise(self) -> None:
        """Lock the settings row first: changes to accounts then queue behind one another,
        so two admins demoting each other cannot both pass the last-admin check."""
        await AuthSettingsRepository(self.work.session).get(lock=True)

    async def create_user(self, data: AdminUserCreate) -> User:
        return await UserService(self.work, self.runtime).create(
            data.email, data.password, data.name, role=data.role
        )

    async def update_user(self, user_id: str, changes: AdminUserUpdate) -> User:
        await self._serialise()
        user = await self.get_user(user_id, lock=True)
        await self._change_profile(user, changes)
        role = changes.role if changes.role is not None else user.role
        active = changes.active if changes.active is not None else user.active
        if role == user.role and active == user.active:
            return user
        if user.role == "admin" and user.active and (role != "admin" or not active):
            await self._keep_an_admin(user)
        role_changed, deactivated = role != user.role, user.active and not active
        user.role, user.active = role, active
        if deactivated or role_changed:
            await self.tokens.revoke_for_user(user.id, utcnow())
        await self.work.session.flush()
        await announce_change(
            self.work,
            self.runtime,
            user,
            "updated",
            revoke=deactivated or role_changed,
            disabled=not active,
        )
        return user

    async def _change_profile(self, user: User, changes: AdminUserUpdate) -> None:
        """Name and email: no token carries them, so nothing is revoked."""
        if changes.email is not None and changes.email != user.email:
            if await self.users.get_by_email(changes.email) is not None:
                raise EmailTaken()
            user.email = changes.email
        if changes.name is not None:
            user.name = changes.name
        await self.work.session.flush()

    async def sign_out_everywhere(self, user_id: str) -> None:
        """End every session of the user: refresh tokens and access tokens alike."""
        user = await self.get_user(user_id, lock=True)
        await self.tokens.revoke_for_user(user.id, utcnow())
        await self.work.session.flush()
        await announce_change(self.work, self.runtime, user, "updated", revoke=True)

    async def delete_user(self, user_id: str) -> None:
        await self._serialise()
        user = await self.get_user(user_id, lock=True)
        if user.role == "admin" and user.active:
            await self._keep_an_admin(user)
        await self.users.delete(user)  # its refresh tokens go with it (ON DELETE CASCADE)
        await announce_change(self.work, self.runtime, user, "deleted", revoke=True, disabled=True)

    async def set_password(self, user_id: str, password: str) -> None:
        user = await self.get_user(user_id, lock=True)
        await UserService(self.work, self.runtime).set_password(user, password)

    async def _keep_an_admin(self, leaving: User) -> None:
        others = [admin for admin in await self.users.active_admin_ids() if admin != leaving.id]
        if not others:
            raise LastAdmin()

    async def settings(self) -> AuthSettings:
        return await AuthSettingsRepository(self.work.session).get()

    async def update_settings(self, changes: AuthSettingsUpdate) -> AuthSettings:
        settings = await AuthSettingsRepository(self.work.session).get(lock=True)
        if changes.signup_open is not None:
            settings.signup_open = changes.signup_open
        if changes.default_role is not None:
            settings.default_role = changes.default_role
        await self.work.session.flush()
        return settings
