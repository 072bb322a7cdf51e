"""Password hashing with argon2id at OWASP's minimum (m=19 MiB, t=2, p=1), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

OWASP_MEMORY_KIB = 19456
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1
# A hash at the same parameters that no password matches: verifying against it costs what a
# real verification costs, so an unknown email answers as slowly as a wrong password.
DECOY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$GuwLUCFxiLWhJgltVSZ7BQ"
    "$6D0GJ5KsZhB8R2DQltxvr8FFCRbK3cf4mAG+XY6qhjo"
)


MIN_STRENGTH = 2
"""zxcvbn's score (0-4) a new password needs: 0 and 1 are "too guessable" (common passwords,
`12345678`, keyboard walks, a word and a digit, eight spaces)."""
STRENGTH_CHECKED_CHARS = 72
"""zxcvbn takes at most this many characters (its time grows with the length)."""


def refuse_guessable(password: str) -> str:
    """The password unchanged, or ValueError when it is on zxcvbn's common lists or as easy."""
    if zxcvbn(password[:STRENGTH_CHECKED_CHARS])["score"] < MIN_STRENGTH:
        raise ValueError("this password is too common or too easy to guess")
    return password


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher(
            time_cost=OWASP_TIME_COST,
            memory_cost=OWASP_MEMORY_KIB,
            parallelism=OWASP_PARALLELISM,
        )

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
        await self.verify(DECOY_HASH, password)
