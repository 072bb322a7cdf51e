"""Sessions: login, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from rechat_auth.dependencies import UnitOfWork
from rechat_auth.groups.repository import GroupRepository
from rechat_auth.metrics import LOGINS, REFRESHES
from rechat_auth.models import RefreshToken, User, new_id
from rechat_auth.runtime import AuthRuntime
from rechat_auth.sessions.repository import RefreshTokenRepository
from rechat_auth.sessions.schemas import Session
from rechat_auth.users.repository import UserRepository
from rechat_auth.users.schemas import User as UserSchema
from rechat_auth.users.schemas import normalize_email
from rechat_shared.db import unit_of_work, utcnow
from rechat_shared.errors import (
    AccountDisabled,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    TooManyRequests,
)

logger = logging.getLogger(__name__)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are 256 random bits, so one fast hash is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    session: Session
    refresh_token: str
    refresh_max_age: int


class SessionService:
    def __init__(self, work: UnitOfWork, runtime: AuthRuntime) -> None:
        self.work = work
        self.runtime = runtime
        self.users = UserRepository(work.session)
        self.tokens = RefreshTokenRepository(work.session)

    async def open(self, user: User, *, family_id: str | None = None) -> IssuedSession:
        """A new access token and a new refresh token (in a new family, or the given one)."""
        settings = self.runtime.settings
        raw = secrets.token_urlsafe(32)
        family_id = family_id or new_id()
        await self.tokens.add(
            RefreshToken(
                id=new_id(),
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(raw),
                expires_at=utcnow() + timedelta(seconds=settings.refresh_token_seconds),
            )
        )
        await self.runtime.user_state.mark_live(user.id)
        session = Session(
            access_token=self.runtime.tokens.mint(
                user, family_id, await GroupRepository(self.work.session).ids_of(user.id)
            ),
            expires_in=settings.access_token_seconds,
            user=UserSchema.model_validate(user),
        )
        return IssuedSession(session, raw, settings.refresh_token_seconds)

    async def login(self, email: str, password: str, client_ip: str) -> IssuedSession:
        try:
            email = normalize_email(email)
        except ValueError:
            email = email.strip().lower()  # cannot exist; still throttled and still slow
        try:
            await self.runtime.throttle.attempt(email, client_ip)
        except TooManyRequests:
            LOGINS.labels("throttled").inc()
            logger.warning("login throttled", extra={"client_ip": client_ip})
            raise
        passwords = self.runtime.passwords
        user = await self.users.get_by_email(email)
        if user is None:
            await passwords.verify_decoy(password)
            LOGINS.labels("invalid_credentials").inc()
            raise InvalidCredentials()  # one answer for an unknown email and a wrong password alike
        if not await passwords.verify(user.password_hash, password):
            LOGINS.labels("invalid_credentials").inc()
            logger.info("login with a wrong password", extra={"user_id": user.id})
            raise InvalidCredentials()
        if not user.active:
            LOGINS.labels("account_disabled").inc()
            raise AccountDisabled()
        await self.runtime.throttle.succeeded(email, client_ip)
        LOGINS.labels("success").inc()
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash(password)
        user.last_login_at = utcnow()
        return await self.open(user)

    async def refresh(self, raw: str | None) -> IssuedSession:
        """Rotate: the presented token is used up and its successor joins the same family.
        Presenting a used token again means it leaked: the whole family is revoked."""
        token = await self.tokens.get_by_hash(hash_refresh_token(raw)) if raw else None
        now = utcnow()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            REFRESHES.labels("invalid").inc()
            raise InvalidRefreshToken()
        if token.used_at is not None or not await self.tokens.claim(token.id, now):
            REFRESHES.labels("reused").inc()
            logger.warning(
                "refresh token reused; its family is revoked",
                extra={"user_id": token.user_id, "family_id": token.family_id},
            )
            await self._revoke_leaked_family(token)
            raise RefreshTokenReused()
        user = await self.users.get(token.user_id)
        if user is None:
            raise InvalidRefreshToken()
        if not user.active:
            raise AccountDisabled()
        REFRESHES.labels("rotated").inc()
        return await self.open(user, family_id=token.family_id)

    async def _revoke_leaked_family(self, token: RefreshToken) -> None:
        """Commit the revocation although the request fails: in a transaction of its own, after
        ending the request's (whose row lock on the token would block it)."""
        family_id, user_id = token.family_id, token.user_id  # the rollback expires `token`
        await self.work.session.rollback()
        async with unit_of_work(self.runtime.sessions) as session:
            await RefreshTokenRepository(session).revoke_family(family_id, utcnow())
        # access tokens minted from the leaked family die too
        await self.runtime.user_state.revoke_tokens(user_id)

    async def logout(self, raw: str | None) -> None:
        """Revoke the session's refresh-token family and void the access tokens it minted."""
        token = await self.tokens.get_by_hash(hash_refresh_token(raw)) if raw else None
        if token is not None:
            await self.tokens.revoke_family(token.family_id, utcnow())
            await self.runtime.user_state.end_session(token.user_id, token.family_id)

    async def family_of(self, raw: str | None, user_id: str) -> str | None:
        """The session family of the caller's refresh cookie, if it is theirs."""
        token = await self.tokens.get_by_hash(hash_refresh_token(raw)) if raw else None
        return token.family_id if token is not None and token.user_id == user_id else None
