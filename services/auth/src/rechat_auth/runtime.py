"""The clients auth's requests work with, born in the lifespan and held on `app.state.clients`."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_auth.config import Settings
from rechat_auth.events import EventPublisher
from rechat_auth.keys.service import Keyring
from rechat_auth.outbox.service import OutboxRelay
from rechat_auth.sessions.throttle import LoginThrottle
from rechat_auth.sessions.tokens import AccessTokens
from rechat_auth.users.passwords import Passwords
from rechat_auth.users.revocation import UserStateStore
from rechat_shared.redis import Keys


@dataclass
class AuthRuntime:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    keys: Keys
    keyring: Keyring
    passwords: Passwords
    outbox: OutboxRelay
    user_state: UserStateStore
    throttle: LoginThrottle
    tokens: AccessTokens

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        keyring: Keyring,
        publisher: EventPublisher,
    ) -> AuthRuntime:
        keys = Keys(settings.redis_prefix)
        # the revocation state only has to outlive the access tokens it voids
        state_ttl = settings.access_token_seconds + settings.jwt_leeway_seconds + 60
        return cls(
            settings=settings,
            sessions=sessions,
            redis=redis,
            keys=keys,
            keyring=keyring,
            passwords=Passwords(),
            outbox=OutboxRelay(sessions, publisher),
            user_state=UserStateStore(redis, keys, state_ttl),
            throttle=LoginThrottle(
                redis,
                keys,
                per_source=settings.login_max_failures_per_source,
                per_account=settings.login_max_failures_per_email,
                per_ip=settings.login_max_failures_per_ip,
                window_seconds=settings.login_window_seconds,
                known_source_seconds=settings.login_known_source_days * 86400,
            ),
            tokens=AccessTokens(keyring, settings),
        )
