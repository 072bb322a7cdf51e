"""The README's run command, end to end over HTTP: sign up, chat with the demo app, history.

Once in embedded mode (no database, broker or Redis URLs: one process, SQLite, in-process
transports) and once against the real MariaDB, RabbitMQ and Redis (separate processes). The
command is `uv run --no-sync rechat dev`: the README's, minus the sync the test run already did.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from rechat_cli.spa import ensure_built
from rechat_cli.testing import (
    Journey,
    RunningRechat,
    answer_text,
    free_service_ports,
    scratch_database,
    service_port_arguments,
)
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
)
from rechat_shared.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
INFRA = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "RABBITMQ_PREFIX", "REDIS_PREFIX")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_spa() -> Path:
    """The web app as `rechat dev` serves it (built here when missing or stale)."""
    assert ensure_built(ROOT / "web"), "the web app could not be built (npm output above)"
    return ROOT / "web" / "dist"


def rechat_env(data_dir: Path, **infra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in INFRA}
    env.update(RECHAT_DATA_DIR=str(data_dir), LOG_FORMAT="text", NO_COLOR="1", **infra)
    return env


def start(env: dict[str, str], log_path: Path) -> RunningRechat:
    # --no-build: the fixture built the SPA once; the run command's build step is the same code
    args = ["--no-build", *service_port_arguments(free_service_ports())]
    rechat = RunningRechat(free_port(), env, log_path, ROOT, args=args)
    rechat.start()
    return rechat


def newcomer_journey(rechat: RunningRechat) -> None:
    """Sign up as the first account, chat twice with the demo app, find both turns in history."""
    page = httpx.get(rechat.url + "/", timeout=10)
    assert page.status_code == 200
    assert '<div id="app">' in page.text or "<div id=app>" in page.text

    journey = Journey(rechat.url)
    session = journey.sign_up()
    assert session["user"]["role"] == "admin"  # the first account
    app = journey.demo_app()

    events = journey.chat(app["id"], "Hello ReChat")
    assert events[0].event == "start"
    assert events[-1].event == "done", events[-1]
    first_answer = answer_text(events)
    assert first_answer.startswith("Echo: Hello ReChat")
    conversation_id = events[0].data["conversation_id"]

    follow_up = journey.chat(app["id"], "And again", conversation_id=conversation_id)
    assert follow_up[-1].event == "done", follow_up[-1]

    assert [c["id"] for c in journey.conversations()] == [conversation_id]
    messages = journey.wait_for_answer(conversation_id)
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "done"),
        ("assistant", "done"),
        ("user", "done"),
        ("assistant", "done"),
    ]
    assert messages[0]["content"] == "Hello ReChat"
    assert messages[1]["content"] == first_answer
    assert messages[3]["content"] == answer_text(follow_up)


def stop_cleanly(rechat: RunningRechat, sig: int = signal.SIGINT) -> None:
    """The signal stops everything: exit 0, no traceback, no service process left behind."""
    print(rechat.log_tail(200))  # shown by pytest when the test failed
    code = rechat.stop(sig=sig)
    assert code == 0, rechat.log_tail()
    log = rechat.log_path.read_text()
    assert "stopped" in log
    assert "Traceback" not in log, rechat.log_tail(200)
    for pid in {int(p) for p in re.findall(r"Started server process \[(\d+)\]", log)}:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_embedded_mode_runs_without_any_server(built_spa: Path, tmp_path: Path) -> None:
    rechat = start(rechat_env(tmp_path / "data"), tmp_path / "rechat.log")
    try:
        log = rechat.log_path.read_text()
        assert "embedded mode" in log
        assert f"demo app (http://127.0.0.1:{rechat.port}/dify-emulator/v1): created" in log
        newcomer_journey(rechat)
        assert (tmp_path / "data" / "rechat.db").is_file()
    finally:
        stop_cleanly(rechat)
    for service in ("auth", "chat-gateway", "history", "dify-worker"):
        assert f"{service:<13}|" in log or f"{service} started" in log


@pytest.fixture
async def own_database() -> AsyncIterator[str]:
    async with scratch_database(MARIADB_ADMIN_URL) as url:
        yield url


@pytest.fixture
async def own_rabbit_prefix(rabbit_prefix: str) -> AsyncIterator[str]:
    """Queues of its own: no other test's worker may take this stack's requests."""
    prefix = f"{rabbit_prefix}cli{uuid.uuid4().hex[:6]}."
    yield prefix
    await delete_rabbit_names(RABBITMQ_URL, prefix)


@pytest.fixture
def real_servers_env(
    own_database: str, own_rabbit_prefix: str, redis_prefix: str, tmp_path: Path
) -> dict[str, str]:
    return rechat_env(
        tmp_path / "data",
        DATABASE_URL=own_database,
        RABBITMQ_URL=RABBITMQ_URL,
        RABBITMQ_PREFIX=own_rabbit_prefix,
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=redis_prefix,
    )


def test_separate_processes_against_the_real_servers(
    built_spa: Path, real_servers_env: dict[str, str], tmp_path: Path
) -> None:
    rechat = start(real_servers_env, tmp_path / "rechat.log")
    try:
        log = rechat.log_path.read_text()
        assert "processes mode" in log
        assert "): created" in log
        for service in ("auth", "chat-gateway", "history", "dify-worker", "dify-emulator"):
            assert f"{service:<13}|" in log, f"no output tagged {service}"
        newcomer_journey(rechat)
        assert not (tmp_path / "data" / "rechat.db").exists()  # MariaDB, not SQLite
    finally:
        stop_cleanly(rechat, signal.SIGTERM)
