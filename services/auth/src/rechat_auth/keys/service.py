"""The keyring: the current signing key (Ed25519, or RSA), older public keys, and the JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from rechat_auth.config import Settings
from rechat_auth.keys.repository import previous_public_key_pem, private_key_pem
from rechat_shared.errors import InvalidToken

PublicKey = Ed25519PublicKey | RSAPublicKey
PrivateKey = Ed25519PrivateKey | RSAPrivateKey
MIN_RSA_BITS = 2048


class UnsupportedKey(ValueError):
    """The configured key is neither Ed25519 nor RSA of at least 2048 bits."""


@dataclass(frozen=True)
class PublicJWK:
    kid: str
    algorithm: str
    jwk: dict[str, Any]


def public_jwk(key: PublicKey) -> PublicJWK:
    """The key as a JWK whose `kid` is its RFC 7638 thumbprint (stable across restarts)."""
    if isinstance(key, Ed25519PublicKey):
        algorithm, jwk = "EdDSA", OKPAlgorithm.to_jwk(key, as_dict=True)
        members = {name: jwk[name] for name in ("crv", "kty", "x")}
    elif isinstance(key, RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise UnsupportedKey(f"RSA keys need at least {MIN_RSA_BITS} bits")
        algorithm, jwk = "RS256", RSAAlgorithm.to_jwk(key, as_dict=True)
        members = {name: jwk[name] for name in ("e", "kty", "n")}
    else:
        raise UnsupportedKey("signing keys must be Ed25519 or RSA")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return PublicJWK(kid, algorithm, {**jwk, "kid": kid, "use": "sig", "alg": algorithm})


class Keyring:
    """Signs with the current key; publishes it and any previous public keys."""

    def __init__(self, private_key: PrivateKey, previous: list[PublicKey] | None = None) -> None:
        self._private_key = private_key
        self.current = public_jwk(private_key.public_key())
        published = [self.current] + [public_jwk(key) for key in previous or []]
        self._published = {entry.kid: entry for entry in published}
        self._verification = {kid: jwt.PyJWK.from_dict(e.jwk) for kid, e in self._published.items()}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims,
            self._private_key,
            algorithm=self.current.algorithm,
            headers={"kid": self.current.kid, "typ": "JWT"},
        )

    def jwks(self) -> list[dict[str, Any]]:
        return [entry.jwk for entry in self._published.values()]

    async def key_for(self, kid: str) -> jwt.PyJWK:
        """`KeySource` for auth's own routes: verify with our keys, no HTTP round trip."""
        try:
            return self._verification[kid]
        except KeyError:
            raise InvalidToken("Unknown signing key") from None


def load_keyring(settings: Settings) -> Keyring:
    """The keyring from settings (generating the development key on first use)."""
    private_key = serialization.load_pem_private_key(private_key_pem(settings), password=None)
    if not isinstance(private_key, Ed25519PrivateKey | RSAPrivateKey):
        raise UnsupportedKey("AUTH_PRIVATE_KEY must be an Ed25519 or RSA private key")
    previous: list[PublicKey] = []
    previous_pem = previous_public_key_pem(settings)
    if previous_pem is not None:
        public_key = serialization.load_pem_public_key(previous_pem)
        if not isinstance(public_key, Ed25519PublicKey | RSAPublicKey):
            raise UnsupportedKey("AUTH_PREVIOUS_PUBLIC_KEY must be an Ed25519 or RSA public key")
        previous.append(public_key)
    return Keyring(private_key, previous)
