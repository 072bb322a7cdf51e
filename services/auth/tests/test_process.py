"""`python -m rechat_auth` as a real process: migrates its database at start-up, serves the
API and a JWKS that verifies the tokens it issues, on MariaDB, Redis and RabbitMQ."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import jwt

from rechat_auth.testing import UserEvents
from rechat_shared.bus import HISTORY_QUEUE, create_bus
from rechat_shared.testing.processes import ServiceProcess


async def test_the_real_process_signs_up_and_verifies(
    start_auth_process: Callable[[str], Awaitable[ServiceProcess]],
    auth_rabbit_prefix: str,
    rabbitmq_url: str,
) -> None:
    process = await start_auth_process("process")
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
        ready = (await client.get("/readyz")).json()
        assert ready == {
            "status": "ready",
            "checks": {"database": "ok", "redis": "ok"},
        }
        registered = await client.post(
            "/api/auth/register",
            json={"email": "proc@example.com", "password": "a real process", "name": "P"},
        )
        assert registered.status_code == 201
        assert registered.json()["user"]["role"] == "admin"
        login = await client.post(
            "/api/auth/login", json={"email": "proc@example.com", "password": "a real process"}
        )
        assert login.status_code == 200
        token = login.json()["access_token"]
        jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
        key = jwt.PyJWK.from_dict(jwks["keys"][0])
        claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="rechat")
        assert claims["sub"] == login.json()["user"]["id"]
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        metrics = await client.get("/metrics")
        assert "rechat_http_requests_total" in metrics.text
        assert 'rechat_auth_logins_total{outcome="success"} 1.0' in metrics.text

    # its user.changed reached RabbitMQ (the process's own prefix)
    events = UserEvents()
    bus = create_bus(rabbitmq_url, f"{auth_rabbit_prefix}process.")
    await bus.connect()
    await bus.consume(HISTORY_QUEUE, events.handle)
    try:
        (created,) = await events.wait_for(claims["sub"], 1, within=30)
        assert (created.change, created.role) == ("created", "admin")
    finally:
        await bus.close()
