"""Symmetric encryption of secrets at rest (Dify API keys), keyed from the deployment secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr


class SecretBox:
    """Fernet (AES-128-CBC + HMAC) with a key derived by HKDF from the deployment secret."""

    def __init__(self, deployment_secret: SecretStr, purpose: str = "dify-api-keys") -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"rechat", info=purpose.encode()
        ).derive(deployment_secret.get_secret_value().encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(token.encode("ascii")).decode())
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with this deployment secret") from exc

    def __repr__(self) -> str:
        return "SecretBox(***)"


def mask_secret(secret: str, visible: int = 4) -> str:
    """`app-…abcd`: enough to recognise a key, never enough to use it."""
    if len(secret) <= visible * 2:
        return "…" + secret[-2:]
    head = secret.split("-", 1)[0] + "-" if "-" in secret[:8] else ""
    return f"{head}…{secret[-visible:]}"
