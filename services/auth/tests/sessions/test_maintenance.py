"""Expired refresh tokens are purged; live and used-but-unexpired ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rechat_auth.models import RefreshToken, new_id
from rechat_auth.sessions.maintenance import purge_expired_refresh_tokens
from rechat_auth.testing import Account, Running
from rechat_shared.db import unit_of_work, utcnow


async def test_purge_forgets_only_expired_tokens(running: Running, member: Account) -> None:
    now = utcnow()
    tokens = {
        "expired": now - timedelta(seconds=1),
        "live": now + timedelta(days=1),
        "used": now + timedelta(days=1),
    }
    async with unit_of_work(running.runtime.sessions) as session:
        for name, expires_at in tokens.items():
            session.add(
                RefreshToken(
                    id=new_id(),
                    user_id=member.id,
                    family_id=new_id(),
                    token_hash=name.ljust(64, "0"),
                    expires_at=expires_at,
                    used_at=now if name == "used" else None,
                )
            )
    assert await purge_expired_refresh_tokens(running.runtime.sessions) == 1
    async with running.runtime.sessions() as session:
        left = (await session.execute(select(RefreshToken.token_hash))).scalars().all()
    assert sorted(hash_[:4] for hash_ in left) == ["live", "used"]
