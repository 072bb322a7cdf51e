"""Access tokens: every forgery is a 401, the JWKS alone verifies a real one, keys rotate."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet
from pydantic import SecretStr, ValidationError

from rechat_auth.config import Settings
from rechat_auth.keys.repository import SigningKeyMissing
from rechat_auth.keys.service import Keyring, UnsupportedKey, load_keyring, public_jwk
from rechat_auth.testing import Account, StartAuth
from rechat_shared.settings import Environment


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_for(account: Account, **overrides: Any) -> dict[str, Any]:
    now = time.time()
    claims = {
        "sub": account.id,
        "role": account.role,
        "iss": "rechat-auth",
        "aud": "rechat",
        "iat": now,
        "nbf": int(now),
        "exp": int(now) + 600,
        "jti": uuid.uuid4().hex,
    }
    return {**claims, **overrides}


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_a_real_token_works(client: httpx.AsyncClient, member: Account) -> None:
    assert (await me(client, member.token)).status_code == 200


async def test_tampered_payload_is_401(client: httpx.AsyncClient, member: Account) -> None:
    header, _, signature = member.token.split(".")
    forged = ".".join([header, b64(claims_for(member, role="admin")), signature])
    response = await me(client, forged)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_alg_none_is_401(client: httpx.AsyncClient, member: Account) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": kid_of(member.token)}
    unsigned = f"{b64(header)}.{b64(claims_for(member))}."
    assert (await me(client, unsigned)).status_code == 401


async def test_hmac_with_the_public_key_is_401(client: httpx.AsyncClient, member: Account) -> None:
    jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
    secret = jwks["keys"][0]["x"].encode()
    token = jwt.encode(
        claims_for(member), secret, algorithm="HS256", headers={"kid": kid_of(member.token)}
    )
    assert (await me(client, token)).status_code == 401


async def test_wrong_key_with_our_kid_is_401(client: httpx.AsyncClient, member: Account) -> None:
    other = Ed25519PrivateKey.generate()
    token = jwt.encode(
        claims_for(member), other, algorithm="EdDSA", headers={"kid": kid_of(member.token)}
    )
    assert (await me(client, token)).status_code == 401


async def test_unknown_kid_is_401(client: httpx.AsyncClient, member: Account) -> None:
    other = Ed25519PrivateKey.generate()
    token = jwt.encode(claims_for(member), other, algorithm="EdDSA", headers={"kid": "nope"})
    response = await me(client, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": int(time.time()) - 60}, "token_expired"),
        ({"iss": "someone-else"}, "invalid_token"),
        ({"aud": "another-app"}, "invalid_token"),
        ({"role": "superuser"}, "invalid_token"),
        ({"nbf": int(time.time()) + 3600}, "invalid_token"),
    ],
)
async def test_bad_claims_signed_with_our_key_are_401(
    client: httpx.AsyncClient,
    member: Account,
    signing_key: Ed25519PrivateKey,
    overrides: dict[str, Any],
    code: str,
) -> None:
    token = Keyring(signing_key).sign(claims_for(member, **overrides))
    response = await me(client, token)
    assert response.status_code == 401
    assert response.json()["error"] == code


async def test_missing_or_malformed_bearer_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (await me(client, "not.a.jwt")).status_code == 401
    basic = await client.get("/api/auth/me", headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401


async def test_token_is_revoked_when_the_role_changes(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    assert (await me(client, member.token)).status_code == 200
    changed = await client.patch(
        f"/api/admin/users/{member.id}", json={"role": "pending"}, headers=admin.headers
    )
    assert changed.status_code == 200
    response = await me(client, member.token)
    assert response.status_code == 401
    assert response.json()["error"] == "token_revoked"


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # RFC 9864 names it Ed25519
async def test_jwks_alone_verifies_a_token_with_an_independent_library(
    client: httpx.AsyncClient, member: Account
) -> None:
    session = (
        await client.post(
            "/api/auth/login", json={"email": member.email, "password": "correct horse battery"}
        )
    ).json()
    document = (await client.get("/api/auth/.well-known/jwks.json")).json()
    keys = KeySet.import_key_set(document)
    token = jose_jwt.decode(session["access_token"], keys, algorithms=["EdDSA"])
    assert token.header["kid"] == document["keys"][0]["kid"]
    # RFC 7519 NumericDates may be fractional: our `iat` is, so allow a second for it
    registry = jose_jwt.JWTClaimsRegistry(
        leeway=1,
        iss={"essential": True, "value": "rechat-auth"},
        aud={"essential": True, "value": "rechat"},
        sub={"essential": True, "value": member.id},
        role={"essential": True, "value": "user"},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    registry.validate(token.claims)
    assert token.claims["exp"] - token.claims["iat"] == pytest.approx(900, abs=1)


async def test_previous_key_stays_published_and_valid(
    start_auth: StartAuth, signing_key: Ed25519PrivateKey
) -> None:
    """Rotation: the new key signs; the old public key still verifies tokens it signed."""
    old_public = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    new_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    async with start_auth(
        private_key=SecretStr(new_key.decode()), previous_public_key=old_public.decode()
    ) as auth:
        document = (await auth.client.get("/api/auth/.well-known/jwks.json")).json()
        current = auth.runtime.keyring.current.kid
        old_kid = public_jwk(signing_key.public_key()).kid
        assert [key["kid"] for key in document["keys"]] == [current, old_kid]
        registered = await auth.client.post(
            "/api/auth/register",
            json={"email": "r@example.com", "password": "rotation pw", "name": "R"},
        )
        session = registered.json()
        assert kid_of(session["access_token"]) == current
        account = Account(session["user"]["id"], "r@example.com", "admin", "")
        signed_before_rotation = Keyring(signing_key).sign(claims_for(account))
        assert kid_of(signed_before_rotation) == old_kid
        assert (await me(auth.client, signed_before_rotation)).status_code == 200
        assert (await me(auth.client, session["access_token"])).status_code == 200


def test_development_key_is_generated_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    first = load_keyring(settings)
    second = load_keyring(settings)
    assert first.current.kid == second.current.kid
    key_file = tmp_path / "auth_signing_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".*.tmp"))


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="AUTH_PRIVATE_KEY"):
        Settings(
            _env_file=None,
            environment="production",
            secret_key="kQ3v9-Zp2Lr8Wm4Tx7Yb1Nc6Hd0Fg5Js",
            data_dir=tmp_path,
        )
    settings = Settings(_env_file=None, data_dir=tmp_path)
    settings.environment = Environment.PRODUCTION
    with pytest.raises(SigningKeyMissing):
        load_keyring(settings)
    assert not (tmp_path / "auth_signing_key.pem").exists()


def test_key_from_a_file_and_rsa_keys(tmp_path: Path) -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "rsa.pem"
    key_file.write_bytes(
        rsa.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = Settings(_env_file=None, private_key_file=key_file)
    keyring = load_keyring(settings)
    assert keyring.current.algorithm == "RS256"
    (jwk,) = keyring.jwks()
    token = keyring.sign({"sub": "x"})
    assert jwt.decode(token, jwt.PyJWK.from_dict(jwk).key, algorithms=["RS256"]) == {"sub": "x"}


def test_weak_rsa_keys_are_refused() -> None:
    weak = generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - on purpose
    with pytest.raises(UnsupportedKey):
        Keyring(weak)
