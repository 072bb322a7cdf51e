"""Accounts: registration, the caller's own profile and password, and the effects of a change."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.exc import IntegrityError

from rechat_auth.admin.repository import AuthSettingsRepository
from rechat_auth.dependencies import UnitOfWork
from rechat_auth.models import User
from rechat_auth.outbox.repository import OutboxRepository
from rechat_auth.runtime import AuthRuntime
from rechat_auth.sessions.repository import RefreshTokenRepository
from rechat_auth.users.repository import UserRepository
from rechat_auth.users.schemas import UserCreate
from rechat_shared.db import utcnow
from rechat_shared.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidToken,
    NotFound,
    SignupClosed,
    WrongPassword,
)
from rechat_shared.events import UserChanged
from rechat_shared.security import Principal, Role

logger = logging.getLogger(__name__)


async def announce_change(
    work: UnitOfWork,
    runtime: AuthRuntime,
    user: User,
    change: Literal["created", "updated", "deleted"],
    *,
    revoke: bool = False,
    disabled: bool | None = None,
) -> None:
    """The effects of a change to an account, around its commit.

    `user.changed` goes into the outbox in the same transaction and is published right after
    the commit (or later by the relay, should the broker be away). With `revoke`, the user's
    access tokens are voided twice: now (so that, should the commit succeed but Redis fail
    afterwards, no token from before the change survives) and again after the commit (voiding
    any token minted from the old state in between). The disabled flag waits for the commit,
    since the change may still roll back.
    """
    event = UserChanged(
        user_id=user.id,
        change=change,
        role=None if change == "deleted" else user.role,
        active=None if change == "deleted" else user.active,
    )
    logger.info(
        "account changed",
        extra={"user_id": user.id, "change": change, "role": event.role, "active": event.active},
    )
    await OutboxRepository(work.session).add(event)
    if revoke:
        await runtime.user_state.revoke_tokens(event.user_id)

    async def after_commit() -> None:
        if revoke:
            await runtime.user_state.revoke_tokens(event.user_id, disabled=disabled)
        elif disabled is not None:
            await runtime.user_state.set_disabled(event.user_id, disabled)
        await runtime.outbox.flush()

    work.after_commit(after_commit)


class UserService:
    def __init__(self, work: UnitOfWork, runtime: AuthRuntime) -> None:
        self.work = work
        self.runtime = runtime
        self.users = UserRepository(work.session)

    async def register(self, data: UserCreate) -> User:
        """First account: admin, always allowed. Later ones: the configured default role,
        only while sign-up is open."""
        settings = await AuthSettingsRepository(self.work.session).get(lock=True)
        first = not await self.users.exists(locking=True)
        if not first and not settings.signup_open:
            raise SignupClosed()
        role = "admin" if first else settings.default_role
        return await self.create(data.email, data.password, data.name, role=role)

    async def create(self, email: str, password: str, name: str, *, role: Role) -> User:
        if await self.users.get_by_email(email) is not None:
            raise EmailTaken()
        user = User(
            email=email,
            name=name,
            role=role,
            active=True,
            password_hash=await self.runtime.passwords.hash(password),
        )
        try:
            async with self.work.session.begin_nested():
                await self.users.add(user)
        except IntegrityError:  # registered concurrently
            raise EmailTaken() from None
        await announce_change(self.work, self.runtime, user, "created")
        return user

    async def current(self, principal: Principal) -> User:
        user = await self.users.get(principal.user_id)
        if user is None:
            raise InvalidToken("This account no longer exists")
        if not user.active:
            raise AccountDisabled()
        return user

    async def admin_contact(self, principal: Principal) -> User:
        """Whom the caller (a pending account, typically) should ask for access."""
        await self.current(principal)
        admin = await self.users.first_admin()
        if admin is None:
            raise NotFound("No active admin")
        return admin

    async def rename(self, principal: Principal, name: str) -> User:
        user = await self.current(principal)
        user.name = name
        await self.work.session.flush()
        return user

    async def change_password(
        self, principal: Principal, current: str, new: str, *, keep_family: str | None
    ) -> None:
        """Needs the current password; every other session of the user ends."""
        user = await self.current(principal)
        throttle = self.runtime.throttle
        await throttle.password_check(user.id)
        if not await self.runtime.passwords.verify(user.password_hash, current):
            raise WrongPassword()
        await self.set_password(user, new, keep_family=keep_family)

    async def set_password(self, user: User, new: str, *, keep_family: str | None = None) -> None:
        user.password_hash = await self.runtime.passwords.hash(new)
        tokens = RefreshTokenRepository(self.work.session)
        await tokens.revoke_for_user(user.id, utcnow(), keep_family=keep_family)
        await self.work.session.flush()
        await announce_change(self.work, self.runtime, user, "updated", revoke=True)
