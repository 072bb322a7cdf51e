"""The JWKS document (RFC 7517) auth publishes for every verifier."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class JWK(BaseModel):
    """One public key: OKP (Ed25519: `crv`, `x`) or RSA (`n`, `e`)."""

    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    use: str
    alg: str
    crv: str | None = None
    x: str | None = None
    n: str | None = None
    e: str | None = None


class JWKS(BaseModel):
    keys: list[JWK]
