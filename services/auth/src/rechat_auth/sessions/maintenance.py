"""Housekeeping: expired refresh tokens are forgotten (used ones are kept until they expire,
since reuse detection needs them)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_auth.sessions.repository import RefreshTokenRepository
from rechat_shared.db import unit_of_work, utcnow

logger = logging.getLogger(__name__)
BATCH = 1000


async def purge_expired_refresh_tokens(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Delete every expired refresh token, a batch per transaction; returns how many."""
    purged = 0
    now = utcnow()
    while True:
        async with unit_of_work(sessions) as session:
            deleted = await RefreshTokenRepository(session).delete_expired(now, BATCH)
        purged += deleted
        if deleted < BATCH:
            return purged


async def run_maintenance(sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Background loop of the service: purge, then sleep `interval` seconds."""
    while True:
        try:
            purged = await purge_expired_refresh_tokens(sessions)
            if purged:
                logger.info("purged expired refresh tokens", extra={"count": purged})
        except Exception:  # a failed round (database away) is retried next time
            logger.exception("refresh-token purge failed")
        await asyncio.sleep(interval)
