"""The gateway's clients close in one exit stack: a close that fails leaves none open."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from rechat_gateway.app import create_app
from rechat_gateway.chat.sse import KeepAliveTicker
from rechat_gateway.config import GatewaySettings


async def test_a_failing_close_does_not_leak_the_other_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_close(self: KeepAliveTicker) -> None:
        raise RuntimeError("the ticker would not stop")

    monkeypatch.setattr(KeepAliveTicker, "close", broken_close)
    url = f"memory://lifespan-{uuid.uuid4().hex[:8]}"
    settings = GatewaySettings(
        RECHAT_SECRET_KEY=SecretStr("lifespan-tests-secret-lifespan-tests"),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        REDIS_URL=url,
        RABBITMQ_URL=url,
    )
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="would not stop"):
        async with LifespanManager(app):
            clients = app.state.clients
    assert clients.dify._http.is_closed  # closed after the ticker failed to
    assert not getattr(clients.bus, "connected", False)
