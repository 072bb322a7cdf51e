"""Settings refuse default secrets in production; secrets encrypt and mask safely."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from rechat_shared.crypto import SecretBox, mask_secret
from rechat_shared.settings import ServiceSettings, prefixed_field


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
    monkeypatch.setenv("RECHAT_SECRET_KEY", "x" * 40)
    assert ServiceSettings().secret_key.get_secret_value() == "x" * 40


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
