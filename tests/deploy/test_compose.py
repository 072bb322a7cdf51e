"""docker-compose.yml: valid against the Compose Specification schema, and wired as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent  # the virtualenv's scripts: check-jsonschema

RECHAT_SERVICES = ("auth", "chat-gateway", "history", "dify-worker")


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the compose-spec schema it vendors (no network needed)."""
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    result = check_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    broken = COMPOSE_FILE.read_text().replace(
        "condition: service_completed_successfully", "condition: service_done", 1
    )
    assert broken != COMPOSE_FILE.read_text()
    (tmp_path / "docker-compose.yml").write_text(broken)
    result = check_compose_schema(tmp_path / "docker-compose.yml")
    assert result.returncode != 0
    assert "service_done" in result.stdout + result.stderr


def test_infrastructure_images_and_storage(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["mysql"]["image"].startswith("mysql:8")
    assert "--character-set-server=utf8mb4" in services["mysql"]["command"]
    assert any(v.endswith(":/var/lib/mysql") for v in services["mysql"]["volumes"])
    assert services["rabbitmq"]["image"] == "rabbitmq:4-management"
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("mysql", "rabbitmq", "redis"):
        assert "test" in services[name]["healthcheck"], name
        assert services[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", RECHAT_SERVICES)
def test_each_service_waits_for_migrations_and_reports_health(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    environment = service["environment"]
    assert environment["RECHAT_ENV"] == "production"
    assert environment["RECHAT_SECRET_KEY"].startswith("${RECHAT_SECRET_KEY:?")
    assert environment["DATABASE_URL"].startswith("mysql+aiomysql://")
    assert "charset=utf8mb4" in environment["DATABASE_URL"]
    dockerfile = ROOT / service["build"]["dockerfile"]
    assert dockerfile.is_file(), dockerfile


def test_migrations_run_once_before_the_services(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["mysql"]["condition"] == "service_healthy"


def test_workers_run_in_several_replicas(compose: dict[str, Any]) -> None:
    replicas = compose["services"]["dify-worker"]["deploy"]["replicas"]
    assert replicas.startswith("${RECHAT_WORKER_REPLICAS:-")
    assert int(replicas.removeprefix("${RECHAT_WORKER_REPLICAS:-").rstrip("}")) >= 2


def test_web_fronts_the_healthy_services(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    for name in ("auth", "chat-gateway", "history"):
        assert web["depends_on"][name]["condition"] == "service_healthy"
    assert web["environment"]["RECHAT_GATEWAY_UPSTREAM"] == "chat-gateway:8002"
    assert web["ports"] == ["${RECHAT_HTTP_PORT:-8080}:8080"]


def test_services_leave_migrations_to_the_one_shot_and_auth_has_its_key(
    compose: dict[str, Any],
) -> None:
    for name in ("auth", "chat-gateway", "history"):
        prefix = {"chat-gateway": "GATEWAY"}.get(name, name.upper())
        assert compose["services"][name]["environment"][f"{prefix}_MIGRATE_ON_START"] == "false"
    for name in ("auth", "migrate"):
        service = compose["services"][name]
        assert service["secrets"] == ["auth_signing_key"]
        assert service["environment"]["AUTH_PRIVATE_KEY_FILE"] == "/run/secrets/auth_signing_key"
    assert "auth_signing_key" in compose["secrets"]
