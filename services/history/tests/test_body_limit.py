"""History takes no body larger than HISTORY_MAX_BODY_BYTES, declared or chunked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from rechat_history.testing import KeyRing


async def test_a_huge_body_is_refused(client: httpx.AsyncClient, keyring: KeyRing) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b" " * 1_000_000

    headers = {**keyring.headers("body-limit"), "content-type": "application/json"}
    url = "/api/conversations/00000000-0000-0000-0000-000000000000"
    declared = await client.patch(url, content=b" " * 2_000_000, headers=headers)
    chunked = await client.patch(url, content=chunks(), headers=headers)
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["error"] == "payload_too_large"
