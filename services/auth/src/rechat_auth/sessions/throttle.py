"""Throttling of password guesses in Redis: sign-in and the current-password check.

Sign-in failures count per (account, source address), per source address, and per account; the
per-account count only stops sources the account never signed in from. A stranger's failures
thus block the stranger (5 guesses per account, 50 in all, per window) and cap the guesses at
an account from everywhere else, while its owner keeps signing in from where they did before.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from rechat_shared.errors import LoginThrottled
from rechat_shared.redis import Keys


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


class LoginThrottle:
    """Every attempt counts up front (so parallel guesses cannot slip past the limit); a
    successful one gives its attempt back, clears its (account, source) count and remembers
    the source as one the account signs in from."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        per_source: int,
        per_account: int,
        per_ip: int,
        window_seconds: int,
        known_source_seconds: int,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._per_source = per_source
        self._per_account = per_account
        self._per_ip = per_ip
        self._window = window_seconds
        self._known_for = known_source_seconds

    def _account_key(self, email: str) -> str:
        return self._keys.login_attempts_by_email(_digest(email))

    def _pair_key(self, email: str, ip: str) -> str:
        return self._keys.login_attempts_by_source(_digest(f"{email}\n{ip}"))

    def _ip_key(self, ip: str) -> str:
        return self._keys.login_attempts_by_ip(ip)

    def _known_key(self, email: str) -> str:
        return self._keys.login_known_sources(_digest(email))

    async def attempt(self, email: str, ip: str) -> None:
        """Count this attempt; 429 with Retry-After when a limit that applies is exceeded."""
        counted = (self._pair_key(email, ip), self._ip_key(ip), self._account_key(email))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in counted:
                pipe.set(key, 0, ex=self._window, nx=True)
            for key in counted:
                pipe.incr(key)
            for key in counted:
                pipe.ttl(key)
            pipe.sismember(self._known_key(email), _digest(ip))
            answers = await pipe.execute()
        pair, per_ip, account = answers[3:6]
        pair_ttl, ip_ttl, account_ttl = answers[6:9]
        known = bool(answers[9])
        waits = []
        if pair > self._per_source:
            waits.append(pair_ttl)
        if per_ip > self._per_ip:
            waits.append(ip_ttl)
        if account > self._per_account and not known:
            waits.append(account_ttl)
        if waits:
            raise LoginThrottled(retry_after=max(int(wait) for wait in waits))

    async def succeeded(self, email: str, ip: str) -> None:
        known = self._known_key(email)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._pair_key(email, ip))
            pipe.decr(self._ip_key(ip))
            pipe.decr(self._account_key(email))
            pipe.sadd(known, _digest(ip))
            pipe.expire(known, self._known_for)
            await pipe.execute()

    def _check_key(self, user_id: str) -> str:
        return self._keys.password_checks(user_id)

    async def password_check(self, user_id: str) -> None:
        """Count a current-password check of a signed-in account (a stolen access token must
        not buy unlimited guesses at the password); 429 past the per-source limit."""
        key = self._check_key(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=self._window, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = await pipe.execute()
        if count > self._per_source:
            raise LoginThrottled("Too many wrong passwords; try again later", retry_after=int(ttl))

    async def password_check_passed(self, user_id: str) -> None:
        await self._redis.delete(self._check_key(user_id))
