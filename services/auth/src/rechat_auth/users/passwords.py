"""Password hashing with argon2id at OWASP's minimum (m=19 MiB, t=2, p=1), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OWASP_MEMORY_KIB = 19456
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher(
            time_cost=OWASP_TIME_COST,
            memory_cost=OWASP_MEMORY_KIB,
            parallelism=OWASP_PARALLELISM,
        )
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._hasher.verify, password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of one verification for an unknown email, so timing reveals nothing."""
        if self._decoy is None:
            self._decoy = await self.hash("decoy password that matches nothing")
        await self.verify(self._decoy, password)
