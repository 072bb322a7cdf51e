"""Auth takes no body larger than AUTH_MAX_BODY_BYTES, declared or chunked (an unauthenticated
200 MB login once raised the process to 863 MiB)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx


async def test_a_huge_login_is_refused_unread(client: httpx.AsyncClient) -> None:
    declared = await client.post(
        "/api/auth/login",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"content-type": "application/json"},
    )
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(200):  # 200 MB if it were all read
            sent += 1
            yield b" " * 1_000_000

    chunked = await client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["error"] == "payload_too_large"
    assert sent < 5  # the rest was never read
