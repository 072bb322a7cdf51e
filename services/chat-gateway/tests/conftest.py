"""Fixtures of the gateway's tests: the app in-process on real MariaDB and Redis, in-process
bus and stream hub, tokens signed by a test key, the Dify emulator as a real process."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pydantic import SecretStr

from rechat_gateway.app import create_app
from rechat_gateway.config import GatewaySettings
from rechat_shared.redis import Keys
from rechat_shared.security import TokenVerifier
from rechat_shared.settings import JWTVerifySettings
from rechat_shared.testing.plugin import truncate_tables
from rechat_shared.testing.tokens import mark_live

SECRET = SecretStr("gateway-tests-secret-gateway-tests-secret")
KID = "gateway-test-key"


class StaticKeys:
    """A key source holding the test signing key's public half."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = jwt.PyJWK.from_dict(
            {**jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)}
        )

    async def key_for(self, kid: str) -> jwt.PyJWK:
        return self._key


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    mint: Callable[..., dict[str, str]]
    settings: GatewaySettings


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def mint_headers(
    key: Ed25519PrivateKey, user_id: str, role: str = "user", groups: Sequence[str] = ()
) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "role": role,
        "groups": list(groups),
        "iss": "rechat-auth",
        "aud": "rechat",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": KID})
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bus_url() -> str:
    """The gateway's bus: in-process unless a test module overrides this fixture."""
    return f"memory://gateway-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def gateway(
    mariadb_url: str,
    redis_url: str,
    redis_prefix: str,
    rabbit_prefix: str,
    bus_url: str,
    signing_key: Ed25519PrivateKey,
) -> AsyncIterator[Gateway]:
    settings = GatewaySettings(
        RECHAT_SECRET_KEY=SECRET,
        DATABASE_URL=mariadb_url,
        REDIS_URL=redis_url,
        REDIS_PREFIX=redis_prefix,
        RABBITMQ_URL=bus_url,
        RABBITMQ_PREFIX=rabbit_prefix,
        GATEWAY_RATE_LIMIT_COUNT=3,
        GATEWAY_MAX_INPUTS_BYTES=200,
        GATEWAY_MAX_FILES=2,
    )
    app = create_app(settings)
    async with LifespanManager(app):
        clients = app.state.clients
        app.state.token_verifier = TokenVerifier(
            StaticKeys(signing_key), JWTVerifySettings(), clients.redis, Keys(redis_prefix)
        )
        await truncate_tables(app.state.sessions.kw["bind"], ["apps"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:

            def mint(
                user_id: str | None = None, role: str = "user", groups: Sequence[str] = ()
            ) -> dict[str, str]:
                user_id = user_id or uuid.uuid4().hex
                mark_live(redis_url, redis_prefix, user_id)
                return mint_headers(signing_key, user_id, role, groups)

            yield Gateway(app, client, mint, settings)
