"""Token verification: signature, claims, key rotation and instant revocation (real Redis)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from redis.asyncio import Redis

from rechat_shared.errors import Forbidden, Unauthorized
from rechat_shared.redis import Keys
from rechat_shared.security import JWKSCache, TokenVerifier
from rechat_shared.settings import JWTVerifySettings


class KeyRing:
    """A tiny stand-in for auth's JWKS endpoint whose keys a test can rotate."""

    def __init__(self) -> None:
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.fetches = 0
        self.app = FastAPI()

        @self.app.get("/jwks.json")
        async def jwks() -> dict[str, Any]:
            self.fetches += 1
            return {"keys": [self.public_jwk(kid) for kid in self.keys]}

    def add(self) -> str:
        kid = uuid.uuid4().hex[:8]
        self.keys[kid] = Ed25519PrivateKey.generate()
        return kid

    def public_jwk(self, kid: str) -> dict[str, Any]:
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True)
        return {**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"}

    def mint(self, kid: str, **overrides: Any) -> str:
        now = time.time()
        claims = {
            "sub": "user-1",
            "role": "user",
            "iss": "rechat-auth",
            "aud": "rechat",
            "iat": now,
            "nbf": int(now),
            "exp": int(now) + 600,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {key: value for key, value in claims.items() if value is not None}
        return jwt.encode(claims, self.keys[kid], algorithm="EdDSA", headers={"kid": kid})


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def verifier(ring: KeyRing, redis: Redis, redis_prefix: str) -> AsyncIterator[TokenVerifier]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ring.app), base_url="http://auth"
    ) as http:
        cache = JWKSCache("http://auth/jwks.json", http, min_refetch=0)
        await redis.hset(Keys(redis_prefix).user_state("user-1"), "live", "1")
        yield TokenVerifier(cache, JWTVerifySettings(), redis, Keys(redis_prefix))


async def test_valid_token_gives_principal(ring: KeyRing, verifier: TokenVerifier) -> None:
    token = ring.mint(ring.add(), role="admin")
    principal = await verifier.verify(token)
    assert (principal.user_id, principal.role) == ("user-1", "admin")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 60},
        {"aud": "someone-else"},
        {"iss": "evil"},
        {"nbf": int(time.time()) + 600},
        {"jti": None},
        {"role": "root"},
    ],
    ids=["expired", "audience", "issuer", "not-yet-valid", "missing-jti", "unknown-role"],
)
async def test_bad_claims_are_401(
    ring: KeyRing, verifier: TokenVerifier, claims: dict[str, Any]
) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(ring.mint(ring.add(), **claims))


async def test_tampered_alg_none_wrong_key_and_unknown_kid_are_401(
    ring: KeyRing, verifier: TokenVerifier
) -> None:
    kid = ring.add()
    token = ring.mint(kid)
    header, _payload, signature = token.split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"sub":"admin","role":"admin"}').decode()
    unsigned = jwt.encode({"sub": "user-1", "role": "admin"}, None, algorithm="none")
    stranger = Ed25519PrivateKey.generate()
    wrong_key = jwt.encode({"sub": "user-1"}, stranger, algorithm="EdDSA", headers={"kid": kid})
    unknown_kid = jwt.encode(
        {"sub": "user-1"}, stranger, algorithm="EdDSA", headers={"kid": "nope"}
    )
    for bad in (f"{header}.{forged_payload}.{signature}", unsigned, wrong_key, unknown_kid, "x"):
        with pytest.raises(Unauthorized):
            await verifier.verify(bad)


async def test_rotated_key_is_fetched_on_first_sight(
    ring: KeyRing, verifier: TokenVerifier
) -> None:
    await verifier.verify(ring.mint(ring.add()))
    fetches = ring.fetches
    await verifier.verify(ring.mint(next(iter(ring.keys))))
    assert ring.fetches == fetches, "a known kid is served from the cache"
    await verifier.verify(ring.mint(ring.add()))
    assert ring.fetches == fetches + 1


async def test_revocation_and_deactivation_take_effect_at_once(
    ring: KeyRing, verifier: TokenVerifier, redis: Redis, redis_prefix: str
) -> None:
    kid = ring.add()
    old = ring.mint(kid)
    state = Keys(redis_prefix).user_state("user-1")
    await redis.hset(state, "nbf", str(time.time()))
    with pytest.raises(Unauthorized) as revoked:
        await verifier.verify(old)
    assert revoked.value.code == "token_revoked"
    await verifier.verify(ring.mint(kid))  # a token minted after the instant is fine
    await redis.hset(state, "disabled", "1")
    with pytest.raises(Forbidden):
        await verifier.verify(ring.mint(kid))


async def test_a_remembered_token_is_still_revoked_expired_and_tied_to_its_key(
    ring: KeyRing, redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signature and claims are checked once per token; everything that can change later
    (revocation, expiry, the key being withdrawn) is checked on every request."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ring.app), base_url="http://auth"
    ) as http:
        keys = JWKSCache("http://auth/jwks.json", http, ttl=0, min_refetch=0)  # always refetch
        verifier = TokenVerifier(keys, JWTVerifySettings(), redis, Keys(redis_prefix))
        state = Keys(redis_prefix).user_state("user-1")
        await redis.hset(state, "live", "1")
        kid = ring.add()
        revoked, expiring, withdrawn = ring.mint(kid), ring.mint(kid), ring.mint(kid)
        for token in (revoked, expiring, withdrawn):
            await verifier.verify(token)
            await verifier.verify(token)  # from memory

        monkeypatch.setattr(jwt, "decode", None)  # the remembered tokens never decode again
        await redis.hset(state, "nbf", str(time.time()))
        with pytest.raises(Unauthorized) as refused:
            await verifier.verify(revoked)
        assert refused.value.code == "token_revoked"
        await redis.hdel(state, "nbf")

        later = time.time() + 700  # past `exp` and the leeway
        monkeypatch.setattr(time, "time", lambda: later)
        with pytest.raises(Unauthorized) as refused:
            await verifier.verify(expiring)
        assert refused.value.code == "token_expired"
        monkeypatch.undo()

        await verifier.verify(withdrawn)
        del ring.keys[kid]
        with pytest.raises(Unauthorized):
            await verifier.verify(withdrawn)


async def test_a_user_without_a_state_entry_is_refused(
    ring: KeyRing, verifier: TokenVerifier, redis: Redis, redis_prefix: str
) -> None:
    """Fail closed: deactivation is known only through the entry, so a lost one must not let a
    token through (the client renews it at auth, which reads the database)."""
    kid = ring.add()
    assert (await verifier.verify(ring.mint(kid))).user_id == "user-1"
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(ring.mint(kid, sub="user-without-state"))
    assert refused.value.code == "token_revoked"


async def test_a_logged_out_session_is_refused(
    ring: KeyRing, verifier: TokenVerifier, redis: Redis, redis_prefix: str
) -> None:
    kid = ring.add()
    ours, other = ring.mint(kid, sid="session-a"), ring.mint(kid, sid="session-b")
    await verifier.verify(ours)
    await redis.hset(Keys(redis_prefix).user_state("user-1"), "ended:session-a", "1")
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(ours)
    assert refused.value.code == "token_revoked"
    await verifier.verify(other)
