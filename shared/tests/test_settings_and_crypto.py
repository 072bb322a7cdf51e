"""Settings refuse default secrets in production; secrets encrypt and mask safely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from rechat_shared.crypto import SecretBox, mask_secret
from rechat_shared.settings import ServiceSettings, prefixed_field

ROOT = Path(__file__).resolve().parents[2]


class AuthLikeSettings(ServiceSettings):
    database_url: str = prefixed_field("DATABASE_URL", "AUTH_", "")


def test_production_refuses_default_and_short_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECHAT_ENV", "production")
    monkeypatch.delenv("RECHAT_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError):
        ServiceSettings()
    monkeypatch.setenv("RECHAT_SECRET_KEY", "short")
    with pytest.raises(ValidationError):
        ServiceSettings()
    monkeypatch.setenv("RECHAT_SECRET_KEY", "x" * 40)  # long, but one character
    with pytest.raises(ValidationError):
        ServiceSettings()
    secret = "kQ3v9-Zp2Lr8Wm4Tx7Yb1Nc6Hd0Fg5Js"
    monkeypatch.setenv("RECHAT_SECRET_KEY", secret)
    assert ServiceSettings().secret_key.get_secret_value() == secret


def example_secrets() -> list[str]:
    """Every RECHAT_SECRET_KEY value the repository's examples print."""
    found = []
    for example in (ROOT / ".env.example", ROOT / "deploy" / "k8s" / "secret.example.yaml"):
        found += re.findall(r"^\s*RECHAT_SECRET_KEY\s*[=:]\s*(\S+)", example.read_text(), re.M)
    return found


@pytest.mark.parametrize("secret", example_secrets())
def test_production_refuses_the_examples_secrets(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("RECHAT_ENV", "production")
    monkeypatch.setenv("RECHAT_SECRET_KEY", secret)
    with pytest.raises(ValidationError):
        ServiceSettings()


def test_the_examples_secrets_are_found() -> None:
    assert set(example_secrets()) >= {
        "change-me-in-production",
        "replace-with-at-least-32-random-characters",
    }


def test_service_prefixed_variable_overrides_the_shared_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://shared/db")
    assert AuthLikeSettings().database_url == "mysql+aiomysql://shared/db"
    monkeypatch.setenv("AUTH_DATABASE_URL", "mysql+aiomysql://auth/db")
    assert AuthLikeSettings().database_url == "mysql+aiomysql://auth/db"


def test_secret_box_round_trip_and_wrong_secret() -> None:
    box = SecretBox(SecretStr("one deployment secret"))
    token = box.encrypt("app-abcdef123456")
    assert "abcdef" not in token
    assert box.decrypt(token).get_secret_value() == "app-abcdef123456"
    assert "app-" not in repr(box.decrypt(token))
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(SecretStr("another secret")).decrypt(token)


def test_mask_secret_shows_only_a_hint() -> None:
    assert mask_secret("app-abcdef123456") == "app-…3456"
