"""Access-token verification for every service: JWKS from auth, claims, and instant revocation.

Auth mints EdDSA/RS256 JWTs with a `kid`; other services verify them with the public keys of
auth's JWKS document, cached and refetched when an unknown `kid` shows up (key rotation).
Revocation is immediate: auth keeps, per user, a Redis hash `{prefix}auth:user:{id}` with the
"not before" instant `nbf` (tokens issued earlier are void), a `disabled` flag and the sessions
that logged out (`ended:{sid}`). It fails closed: auth writes `live` with every token it mints,
and a token whose user has no such entry (lost, evicted) is refused as revoked, so the client
renews it at auth, which checks the account in the database.

A client sends the same access token with every request until it expires, so a verifier
remembers the claims of the tokens it verified (until their `exp`): the signature and claim
checks run once per token, the revocation check on every request, and a token whose `kid` left
the JWKS document stops working at the next key refresh as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, SecretStr
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rechat_shared.errors import (
    AccountDisabled,
    AccountPending,
    AdminRequired,
    InvalidToken,
    ServiceAuthRequired,
    ServiceUnavailable,
    TokenExpired,
    TokenRevoked,
    Unauthorized,
)
from rechat_shared.redis import Keys
from rechat_shared.settings import JWTVerifySettings

Role = Literal["admin", "user", "pending"]
ALLOWED_ALGORITHMS = ("EdDSA", "RS256")
REQUIRED_CLAIMS = ["sub", "role", "iss", "aud", "exp", "iat", "jti"]
VERIFIED_TOKENS_KEPT = 10_000


class Principal(BaseModel):
    """Who is calling: the user id, role and groups from a verified access token."""

    user_id: str
    role: Role
    token_id: str
    groups: tuple[str, ...] = ()


class KeySource(Protocol):
    async def key_for(self, kid: str) -> jwt.PyJWK: ...


LIVE_FIELD = "live"
"""Field of the user-state hash written with every minted token: the entry is authoritative."""


def ended_session_field(session_id: str) -> str:
    """The user-state field that voids the access tokens of a session that logged out."""
    return f"ended:{session_id}"


class JWKSCache:
    """Auth's public keys fetched over HTTP without blocking the loop, cached, rotation-aware."""

    def __init__(
        self, url: str, http: httpx.AsyncClient, ttl: float = 300, min_refetch: float = 10
    ) -> None:
        self.url = url
        self._http = http
        self._ttl = ttl
        self._min_refetch = min_refetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < self._ttl:
            return self._keys[kid]
        async with self._lock:
            stale = time.monotonic() - self._fetched_at
            if (kid not in self._keys and stale >= self._min_refetch) or stale >= self._ttl:
                await self._refresh()
        if kid not in self._keys:
            raise InvalidToken("Unknown signing key")
        return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            response = await self._http.get(self.url, timeout=5.0)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if self._keys:  # keep serving the keys we have while auth is briefly away
                return
            raise ServiceUnavailable("Cannot fetch the token signing keys") from exc
        self._keys = parse_jwks(document)
        self._fetched_at = time.monotonic()


def parse_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in document.get("keys", []):
        kid = jwk.get("kid")
        if kid and jwk.get("use", "sig") == "sig":
            keys[kid] = jwt.PyJWK.from_dict(dict(jwk))
    return keys


class TokenVerifier:
    """Checks signature, `iss`, `aud`, `exp`, `nbf`, `iat` and the user's revocation state."""

    def __init__(
        self, keys: KeySource, settings: JWTVerifySettings, redis: Redis, redis_keys: Keys
    ) -> None:
        self._keys = keys
        self._settings = settings
        self._redis = redis
        self._redis_keys = redis_keys
        # token -> (kid, claims): tokens whose signature and claims were verified
        self._verified: dict[str, tuple[str, dict[str, Any]]] = {}

    async def verify(self, token: str) -> Principal:
        claims = await self._verified_claims(token)
        session_id = claims.get("sid")
        await self._check_not_revoked(
            str(claims["sub"]), float(claims["iat"]), str(session_id) if session_id else None
        )
        role = claims["role"]
        if role not in ("admin", "user", "pending"):
            raise InvalidToken()
        groups = claims.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InvalidToken()
        return Principal(
            user_id=str(claims["sub"]),
            role=role,
            token_id=str(claims["jti"]),
            groups=tuple(groups),
        )

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        """The token's claims, decoded and checked once; a remembered token is checked again
        only for expiry and for its key still being published."""
        remembered = self._verified.get(token)
        if remembered is not None:
            kid, claims = remembered
            if claims["exp"] + self._settings.jwt_leeway_seconds <= time.time():
                del self._verified[token]
                raise TokenExpired()
            await self._keys.key_for(kid)  # a withdrawn key raises here
            return claims
        kid, claims = await self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest one
        self._verified[token] = (kid, claims)
        return claims

    async def _decode(self, token: str) -> tuple[str, dict[str, Any]]:
        """(kid, claims) of a token whose signature and claims are valid."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
            raise InvalidToken()
        key = await self._keys.key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                leeway=self._settings.jwt_leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        return kid, claims

    async def _check_not_revoked(
        self, user_id: str, issued_at: float, session_id: str | None = None
    ) -> None:
        try:
            state = await self._redis.hgetall(self._redis_keys.user_state(user_id))
        except RedisError as exc:
            raise ServiceUnavailable("Session store unavailable") from exc
        if state.get(b"disabled") == b"1":
            raise AccountDisabled()
        if state.get(LIVE_FIELD.encode()) != b"1":
            # no state for this user (lost or evicted): renew at auth, which asks the database
            raise TokenRevoked("Session state unknown; sign in again")
        not_before = state.get(b"nbf")
        if not_before is not None and issued_at < float(not_before):
            raise TokenRevoked()
        if session_id is not None and ended_session_field(session_id).encode() in state:
            raise TokenRevoked("This session has ended")


_bearer = HTTPBearer(auto_error=False)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 without a valid bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_member(principal: CurrentPrincipal) -> Principal:
    """A signed-in, activated account (`user` or `admin`); pending accounts get 403."""
    if principal.role == "pending":
        raise AccountPending()
    return principal


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if principal.role != "admin":
        raise AdminRequired()
    return principal


ActiveUser = Annotated[Principal, Depends(require_member)]
AdminUser = Annotated[Principal, Depends(require_admin)]

SERVICE_TOKEN_HEADER = "X-Service-Token"


def service_token(secret: SecretStr, audience: str) -> str:
    """The token one service presents to another's internal API (derived from the secret)."""
    digest = hmac.new(secret.get_secret_value().encode(), audience.encode(), hashlib.sha256)
    return digest.hexdigest()


def check_service_token(secret: SecretStr, audience: str, presented: str | None) -> None:
    if presented is None or not hmac.compare_digest(presented, service_token(secret, audience)):
        raise ServiceAuthRequired()
