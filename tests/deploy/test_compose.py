"""docker-compose.yml: valid against the Compose Specification schema, and wired as documented."""

from __future__ import annotations

import re
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
    # MariaDB LTS: the engine every test runs (docs/DEPLOYMENT.md says what MySQL 8 users get).
    assert services["mariadb"]["image"] == "mariadb:11.4"
    assert "mysql" not in services
    # The collation the migrations give their tables: a foreign key to a table made with the
    # database's default needs the same one (MariaDB errno 150 otherwise).
    assert services["mariadb"]["command"] == [
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
    ]
    assert any(v.endswith(":/var/lib/mysql") for v in services["mariadb"]["volumes"])
    assert services["mariadb"]["healthcheck"]["test"][1] == "healthcheck.sh"
    assert services["rabbitmq"]["image"] == "rabbitmq:4-management"
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("mariadb", "rabbitmq", "redis"):
        assert "test" in services[name]["healthcheck"], name
        assert services[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", RECHAT_SERVICES)
def test_each_service_waits_for_migrations_and_reports_health(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    port = service["environment"]["PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    environment = service["environment"]
    assert environment["RECHAT_ENV"] == "production"
    assert environment["RECHAT_SECRET_KEY"].startswith("${RECHAT_SECRET_KEY:?")
    if name != "dify-worker":  # the worker keeps nothing in the database
        assert environment["DATABASE_URL"].startswith("mysql+aiomysql://")
        assert "@mariadb:3306/" in environment["DATABASE_URL"]
        assert "charset=utf8mb4" in environment["DATABASE_URL"]
    assert service["build"]["dockerfile"] == "deploy/python/Dockerfile"
    assert service["build"]["args"]["PORT"] == port


def test_migrations_run_once_before_the_services(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert migrate["build"]["target"] == "cli"
    assert migrate["build"]["args"] == {"PACKAGE": "rechat-cli"}


def test_workers_run_in_several_replicas(compose: dict[str, Any]) -> None:
    replicas = compose["services"]["dify-worker"]["deploy"]["replicas"]
    assert replicas.startswith("${RECHAT_WORKER_REPLICAS:-")
    assert int(replicas.removeprefix("${RECHAT_WORKER_REPLICAS:-").rstrip("}")) >= 2


def test_web_fronts_the_healthy_services_and_outlives_their_restarts(
    compose: dict[str, Any],
) -> None:
    web = compose["services"]["web"]
    for name in ("auth", "chat-gateway", "history"):
        # nginx re-resolves the services (deploy/nginx): it is not restarted with them.
        assert web["depends_on"][name] == {"condition": "service_healthy"}
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


# Who may hold each password (as a ${...} of the file): the server that owns it, and the
# containers whose URLs carry it.
PASSWORD_HOLDERS = {
    "MARIADB_ROOT_PASSWORD": {"mariadb"},
    "MARIADB_PASSWORD": {"mariadb", "migrate", "auth", "chat-gateway", "history"},
    "RABBITMQ_PASSWORD": {"rabbitmq", "migrate", *RECHAT_SERVICES},
    "RECHAT_SECRET_KEY": {"migrate", *RECHAT_SERVICES},
}


@pytest.mark.parametrize("variable", sorted(PASSWORD_HOLDERS))
def test_each_password_reaches_only_the_containers_that_need_it(
    compose: dict[str, Any], variable: str
) -> None:
    holders = {
        name
        for name, service in compose["services"].items()
        if f"${{{variable}" in yaml.safe_dump(service)
    }
    assert holders == PASSWORD_HOLDERS[variable]


def test_no_container_is_handed_the_whole_env_file(compose: dict[str, Any]) -> None:
    """`.env` holds every password (compose reads it for the ${...}); the services read only an
    optional rechat.env of their own settings."""
    for name, service in compose["services"].items():
        files = [f if isinstance(f, str) else f["path"] for f in service.get("env_file", [])]
        assert ".env" not in {Path(f).name for f in files}, name
        if name in RECHAT_SERVICES:
            assert service["env_file"] == [{"path": "rechat.env", "required": False}]


# Compose features the file may use, with the Docker Compose release that brought each.
COMPOSE_FEATURES = {
    "env_file with `required`": (
        "2.24",
        lambda s: any(isinstance(f, dict) for f in s.get("env_file", [])),
    ),
    "depends_on with `restart`": (
        "2.17",
        lambda s: any("restart" in d for d in s.get("depends_on", {}).values()),
    ),
    "depends_on with `required`": (
        "2.20",
        lambda s: any("required" in d for d in s.get("depends_on", {}).values()),
    ),
    "`develop` (watch)": ("2.22", lambda s: "develop" in s),
}


def needed_compose_version(compose: dict[str, Any]) -> tuple[str, list[str]]:
    used = [
        (version, feature)
        for feature, (version, uses) in COMPOSE_FEATURES.items()
        if any(uses(service) for service in compose["services"].values())
    ]
    assert used
    newest = max(used, key=lambda item: tuple(int(p) for p in item[0].split(".")))[0]
    return newest, [feature for _, feature in used]


def test_the_docs_state_the_compose_version_the_file_needs(compose: dict[str, Any]) -> None:
    version, _features = needed_compose_version(compose)
    docs = (ROOT / "docs" / "DEPLOYMENT.md").read_text()
    stated = re.findall(r"Docker Compose (\d+\.\d+) or newer", docs)
    assert stated == [version], (version, stated)
