"""The web app in a real browser against the real running stack.

Starts the README's run command in processes mode (auth, chat-gateway, history, two kinds of
real infrastructure: MariaDB, RabbitMQ, Redis; the Dify emulator) on a fresh database, then
runs the SPA's browser tests (`npm run test:e2e`: playwright-core driving Debian's Chromium)
against it: the journey, and Open WebUI's screens taken of ReChat with the chat surface's
behaviour (web/e2e/screens.e2e.ts). Screenshots land in web/artifacts/, the screens in
web/artifacts/screens/, and tools/screens/compare.py puts each beside Open WebUI's in
web/artifacts/compare/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rechat_cli.spa import ensure_built
from rechat_cli.testing import RunningRechat, scratch_database
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
)
from rechat_shared.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
INFRA = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "RABBITMQ_PREFIX", "REDIS_PREFIX")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
async def stack(
    rabbit_prefix: str, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[RunningRechat]:
    assert ensure_built(WEB), "npm is needed to build the web app"
    prefix = f"{rabbit_prefix}web{uuid.uuid4().hex[:6]}."
    async with scratch_database(MARIADB_ADMIN_URL) as database_url:
        env = {k: v for k, v in os.environ.items() if k not in INFRA}
        env.update(
            RECHAT_DATA_DIR=str(tmp_path / "data"),
            LOG_FORMAT="text",
            NO_COLOR="1",
            DATABASE_URL=database_url,
            RABBITMQ_URL=RABBITMQ_URL,
            RABBITMQ_PREFIX=prefix,
            REDIS_URL=REDIS_URL,
            REDIS_PREFIX=redis_prefix,
        )
        rechat = RunningRechat(free_port(), env, tmp_path / "rechat.log", ROOT, ["--no-build"])
        rechat.start()
        try:
            yield rechat
        finally:
            rechat.stop(sig=signal.SIGTERM)
    await delete_rabbit_names(RABBITMQ_URL, prefix)


def test_the_browser_journey_passes_against_the_running_stack(stack: RunningRechat) -> None:
    npm = shutil.which("npm")
    assert npm, "npm is needed for the browser tests"
    result = subprocess.run(
        [npm, "run", "--silent", "test:e2e"],
        cwd=WEB,
        env={**os.environ, "RECHAT_E2E_URL": stack.url},
        capture_output=True,
        text=True,
        timeout=1080,
        check=False,
    )
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"{output}\n--- stack log ---\n{stack.log_tail(80)}"
    assert any((WEB / "artifacts").glob("*.png")), "the journey saved no screenshots"
    assert any((WEB / "artifacts" / "screens").glob("*-light.png")), "no Open WebUI screens taken"
    if _imagemagick():  # the side-by-side pictures, when ImageMagick is there
        subprocess.run(
            [sys.executable, str(ROOT / "tools" / "screens" / "compare.py")],
            check=True,
            timeout=300,
        )


def _imagemagick() -> bool:
    """ImageMagick's `convert` is installed: a `convert` on PATH may be something else (a
    stand-in that only turns a PNG into PPM, as on a fresh sandbox), which compare.py cannot
    use; the pictures are a by-product, never a reason for the journey to fail."""
    convert = shutil.which("convert")
    if convert is None:
        return False
    version = subprocess.run(
        [convert, "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    return version.returncode == 0 and "ImageMagick" in version.stdout
