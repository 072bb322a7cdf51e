"""Login throttling in Redis: failed attempts per email and per client address, fixed windows."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from rechat_shared.errors import LoginThrottled
from rechat_shared.redis import Keys


class LoginThrottle:
    """Every attempt counts up front (so parallel guesses cannot slip past the limit); a
    successful login gives its attempt back and clears the email's count."""

    def __init__(
        self, redis: Redis, keys: Keys, *, per_email: int, per_ip: int, window_seconds: int
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._per_email = per_email
        self._per_ip = per_ip
        self._window = window_seconds

    def _email_key(self, email: str) -> str:
        digest = hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]
        return self._keys.login_attempts_by_email(digest)

    def _ip_key(self, ip: str) -> str:
        return self._keys.login_attempts_by_ip(ip)

    async def attempt(self, email: str, ip: str) -> None:
        """Count this attempt; 429 with Retry-After when either count is over its limit."""
        email_key, ip_key = self._email_key(email), self._ip_key(ip)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(email_key, 0, ex=self._window, nx=True)
            pipe.set(ip_key, 0, ex=self._window, nx=True)
            pipe.incr(email_key)
            pipe.incr(ip_key)
            pipe.ttl(email_key)
            pipe.ttl(ip_key)
            _, _, email_count, ip_count, email_ttl, ip_ttl = await pipe.execute()
        waits = []
        if email_count > self._per_email:
            waits.append(email_ttl)
        if ip_count > self._per_ip:
            waits.append(ip_ttl)
        if waits:
            raise LoginThrottled(retry_after=max(int(wait) for wait in waits))

    async def succeeded(self, email: str, ip: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._email_key(email))
            pipe.decr(self._ip_key(ip))
            await pipe.execute()
