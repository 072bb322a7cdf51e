"""The per-user state every token verifier reads from Redis (`rechat_shared.security`).

`live` is written with every token auth mints: verifiers refuse a token whose user has no such
entry (it was lost or evicted), so the client renews its session at auth, which reads the
database. Auth writes the rest after a change has committed: tokens issued before `nbf` are
void at once, `disabled` turns every still-valid token into a 403, `ended:{sid}` voids the
tokens of a session that logged out. The hash only has to outlive the longest-lived access
token, so it expires by itself (every write extends it).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from rechat_shared.redis import Keys
from rechat_shared.security import LIVE_FIELD, ended_session_field


class UserStateStore:
    def __init__(self, redis: Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds

    async def revoke_tokens(self, user_id: str, *, disabled: bool | None = None) -> None:
        """Void every access token issued until now; optionally set the disabled flag too."""
        fields: dict[str, str] = {"nbf": repr(time.time())}
        if disabled is not None:
            fields["disabled"] = "1" if disabled else "0"
        await self._write(user_id, fields)

    async def mark_live(self, user_id: str) -> None:
        """Called with every token minted: the user's tokens are backed by a state entry."""
        await self._write(user_id, {LIVE_FIELD: "1"})

    async def end_session(self, user_id: str, session_id: str) -> None:
        """Void the access tokens minted for this session (logout)."""
        await self._write(user_id, {ended_session_field(session_id): "1"})

    async def set_disabled(self, user_id: str, disabled: bool) -> None:
        await self._write(user_id, {"disabled": "1" if disabled else "0"})

    async def _write(self, user_id: str, fields: dict[str, str]) -> None:
        key = self._keys.user_state(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.expire(key, self._ttl)
            await pipe.execute()
