"""The per-user state every token verifier reads from Redis: "not before" and "disabled".

Auth writes it after the change has committed: tokens issued before `nbf` are void at once,
`disabled` turns every still-valid token into a 403. The hash only has to outlive the
longest-lived access token, so it expires by itself.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from rechat_shared.redis import Keys


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

    async def set_disabled(self, user_id: str, disabled: bool) -> None:
        await self._write(user_id, {"disabled": "1" if disabled else "0"})

    async def _write(self, user_id: str, fields: dict[str, str]) -> None:
        key = self._keys.user_state(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.expire(key, self._ttl)
            await pipe.execute()
