"""A turn refused after the gateway took the conversation's lock frees the conversation, even
when Redis restarted in between (its pooled connections are broken then): the refusal must not
keep the conversation busy until the lock expires. On a private redis-server that keeps its
data (AOF), so the lock outlives the restart as it would in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rechat_shared.bus import BusUnavailable
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.private_infra import PrivateRedis

from ..conftest import Gateway
from .test_validation import _app_id


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path, persistent=True) as redis:
        yield redis


@pytest.fixture
def redis_url(private_redis: PrivateRedis) -> str:
    """The gateway of this module runs on the private Redis."""
    return private_redis.url


async def test_a_turn_refused_after_a_redis_restart_leaves_its_conversation_free(
    gateway: Gateway,
    dify_emulator: RunningEmulator,
    private_redis: PrivateRedis,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_id = await _app_id(gateway, dify_emulator)
    clients = gateway.app.state.clients
    lock_pattern = f"{redis_prefix}conv:*:lock"

    async def publish_while_redis_restarts(event: Any) -> None:
        # the lock is taken; Redis restarts (with its data) before the broker refuses
        assert [key async for key in clients.redis.scan_iter(match=lock_pattern)]
        private_redis.kill()
        private_redis.start()
        raise BusUnavailable("The message broker did not confirm the request")

    monkeypatch.setattr(clients.bus, "publish", publish_while_redis_restarts)
    refused = await gateway.client.post(
        "/api/chat/messages", json={"app_id": app_id, "query": "hi"}, headers=gateway.mint()
    )
    assert refused.status_code == 503
    assert refused.json()["error"] == "bus_unavailable"
    assert [key async for key in clients.redis.scan_iter(match=lock_pattern)] == []
