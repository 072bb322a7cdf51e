"""Where signing keys live: PEM in the environment, a PEM file, or a generated development file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rechat_auth.config import Settings
from rechat_shared.settings import Environment

logger = logging.getLogger(__name__)


class SigningKeyMissing(RuntimeError):
    """No key configured and this environment may not generate one."""


def private_key_pem(settings: Settings) -> bytes:
    """The configured private key, or (development only) the one generated into the data dir."""
    if settings.private_key is not None:
        return settings.private_key.get_secret_value().encode()
    if settings.private_key_file is not None:
        return settings.private_key_file.read_bytes()
    if settings.environment is Environment.PRODUCTION:
        raise SigningKeyMissing("AUTH_PRIVATE_KEY or AUTH_PRIVATE_KEY_FILE is required")
    return _generated_key(settings.generated_key_path)


def previous_public_key_pem(settings: Settings) -> bytes | None:
    """The public half of the key before the last rotation, if one is configured."""
    if settings.previous_public_key:
        return settings.previous_public_key.encode()
    if settings.previous_public_key_file is not None:
        return settings.previous_public_key_file.read_bytes()
    return None


def _generated_key(path: Path) -> bytes:
    """Create the development key once (0600, published atomically with a hard link); every
    later start, and every process racing this one, reads the same file."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    try:
        os.link(draft, path)
        logger.warning("generated a development signing key", extra={"path": str(path)})
    except FileExistsError:
        pass  # another process won the race; use its key
    finally:
        draft.unlink()
    return path.read_bytes()
