"""The gateway's body limit holds for chunked bodies too (a 200 MB chunked chat request once
froze another user's live answer for 2.35 s)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.conftest import Gateway


async def test_a_chunked_chat_body_is_capped(gateway: Gateway) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"app_id": "x", "query": "'
        for _ in range(200):
            sent += 1
            yield b"x" * 1_000_000
        yield b'"}'

    headers = {**gateway.mint(), "content-type": "application/json"}
    answer = await gateway.client.post("/api/chat/messages", content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large"
    assert sent < 5
