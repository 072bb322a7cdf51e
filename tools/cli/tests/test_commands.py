"""`rechat migrate` and `rechat create-admin` on the embedded SQLite database, as real processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from rechat_shared.testing.processes import free_port

INFRA = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL")


def rechat(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in INFRA}
    env.update(RECHAT_DATA_DIR=str(data_dir), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "rechat_cli", *arguments],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_then_create_admin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    migrated = rechat(data, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "migrations done" in migrated.stderr
    with sqlite3.connect(data / "rechat.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"users", "apps", "conversations", "messages"} <= tables
    assert {"alembic_version_auth", "alembic_version_gateway", "alembic_version_history"} <= tables

    created = rechat(
        data, "create-admin", "--email", "Root@Example.com", "--password", "s3cret-passw0rd!"
    )
    assert created.returncode == 0, created.stderr
    assert "admin root@example.com created" in created.stderr
    with sqlite3.connect(data / "rechat.db") as db:
        assert db.execute("SELECT email, role FROM users").fetchall() == [
            ("root@example.com", "admin")
        ]


def test_dev_refuses_a_half_configured_environment_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REDIS_URL=redis://127.0.0.1:6379/0\n")
    refused = rechat(tmp_path / "data", "dev", "--no-build")
    assert refused.returncode == 1
    assert "missing: DATABASE_URL, RABBITMQ_URL" in refused.stderr
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_serve_runs_one_service_with_its_own_flags(tmp_path: Path) -> None:
    port = free_port()
    # our own interpreter and module
    process = subprocess.Popen(
        [sys.executable, "-m", "rechat_cli", "serve", "dify-emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "rechat serve exited"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "rechat serve did not answer"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
    finally:
        process.terminate()
        # uvicorn stops gracefully, then ends by the signal it caught, as every service does
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
