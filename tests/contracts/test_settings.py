"""`PORT`, `DATABASE_URL`, `REDIS_URL` and `RABBITMQ_URL` are declared once, in
`rechat_shared.settings`, and every service reads them through it, its prefix overriding."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from rechat_auth.config import Settings as AuthSettings
from rechat_gateway.config import GatewaySettings
from rechat_history.config import Settings as HistorySettings
from rechat_shared.settings import DatabaseSettings, RabbitSettings
from rechat_worker.config import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES: dict[str, type[BaseSettings]] = {
    "AUTH_": AuthSettings,
    "GATEWAY_": GatewaySettings,
    "HISTORY_": HistorySettings,
    "WORKER_": WorkerSettings,
}
SHARED = ("PORT", "DATABASE_URL", "REDIS_URL", "RABBITMQ_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for prefix in ("", *SERVICES):
        for name in (*SHARED, "RABBITMQ_PREFIX"):
            monkeypatch.delenv(f"{prefix}{name}", raising=False)


def test_no_service_declares_a_shared_name_of_its_own() -> None:
    for config in ROOT.glob("services/*/src/*/config.py"):
        text = config.read_text()
        for name in SHARED:
            assert f'"{name}"' not in text, (config, name)
    for settings in SERVICES.values():
        assert issubclass(settings, RabbitSettings)
    for settings in (AuthSettings, GatewaySettings, HistorySettings):
        assert issubclass(settings, DatabaseSettings)


def test_the_shared_name_serves_every_service_and_a_prefixed_one_beats_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://shared/rechat")
    monkeypatch.setenv("REDIS_URL", "redis://shared:6379/0")
    monkeypatch.setenv("RABBITMQ_URL", "amqp://shared/")
    monkeypatch.setenv("AUTH_DATABASE_URL", "mysql+aiomysql://auth/rechat")
    monkeypatch.setenv("WORKER_REDIS_URL", "redis://worker:6379/0")
    monkeypatch.setenv("HISTORY_RABBITMQ_URL", "amqp://history/")

    auth, gateway, history, worker = (
        AuthSettings(),
        GatewaySettings(),
        HistorySettings(),
        WorkerSettings(),
    )
    assert auth.database_url == "mysql+aiomysql://auth/rechat"
    assert gateway.database_url == history.database_url == "mysql+aiomysql://shared/rechat"
    assert worker.redis_url == "redis://worker:6379/0"
    assert auth.redis_url == gateway.redis_url == history.redis_url == "redis://shared:6379/0"
    assert history.rabbitmq_url == "amqp://history/"
    assert auth.rabbitmq_url == gateway.rabbitmq_url == worker.rabbitmq_url == "amqp://shared/"
    assert DatabaseSettings().database_url == "mysql+aiomysql://shared/rechat"  # no prefix


def test_each_service_has_its_own_default_port_and_port_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = {prefix: settings().port for prefix, settings in SERVICES.items()}  # type: ignore[attr-defined]
    assert ports == {"AUTH_": 8001, "GATEWAY_": 8002, "HISTORY_": 8003, "WORKER_": 8004}
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("GATEWAY_PORT", "9002")
    assert AuthSettings().port == 9000
    assert GatewaySettings().port == 9002
