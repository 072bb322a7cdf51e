"""pytest fixtures for the Dify emulator (a real process) and the recorded Dify 0.15.3 exchanges.

``dify_emulator`` (session scope) starts ``rechat-dify-emulator`` on a free port, waits until it
answers and yields a ``RunningEmulator`` with ``base_url`` (``http://127.0.0.1:PORT/v1``), the
default app keys and ``app(mode)`` giving a ``DifyApp``. ``dify_emulator_015`` is the same under
the ``0.15`` profile. ``load_recordings`` reads ``../shared/fixtures/dify-0.15.3`` (or another
folder of ``FIXTURE_FOLDERS``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from pydantic import SecretStr

from rechat_shared.dify.apps import DifyApp
from rechat_shared.testing.processes import answers_200, free_port, wait_until_ready

DEFAULT_KEYS: dict[str, str] = {
    "chat": "app-emulator-chat",
    "agent-chat": "app-emulator-agent",
    "advanced-chat": "app-emulator-chatflow",
    "workflow": "app-emulator-workflow",
    "completion": "app-emulator-completion",
}


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator process: where it listens and which keys it serves."""

    base_url: str
    root_url: str
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))

    def app(self, mode: str = "chat") -> DifyApp:
        """The ``DifyApp`` of the default app of ``mode`` (chat, agent-chat, advanced-chat...)."""
        return DifyApp(base_url=self.base_url, api_key=SecretStr(self.keys[mode]))

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the control API (``/_emulator/...``) synchronously; returns the JSON answer."""
        response = httpx.request(method, f"{self.root_url}/_emulator{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None


_LOGS: dict[int, IO[bytes]] = {}


def start_emulator(*extra_args: str) -> tuple[subprocess.Popen[bytes], RunningEmulator]:
    """Start the emulator as a real process on a free port and wait until it answers."""
    port = free_port()
    command = [sys.executable, "-m", "rechat_dify_emulator", "--host", "127.0.0.1"]
    command += ["--port", str(port), *extra_args]
    # a file, not a pipe: a pipe nobody reads would block a chatty process
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop_emulator
    # the command is our own entry point, no user input
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
    _LOGS[process.pid] = log
    root = f"http://127.0.0.1:{port}"

    def log_tail() -> str:
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-2000:]

    try:
        wait_until_ready(
            process,
            answers_200(f"{root}/_emulator/health"),
            name="the Dify emulator",
            log_tail=log_tail,
        )
    except BaseException:
        stop_emulator(process)
        raise
    return process, RunningEmulator(base_url=f"{root}/v1", root_url=root)


def stop_emulator(process: subprocess.Popen[bytes]) -> None:
    """Terminate the emulator process (kill it if it does not stop within 5 s)."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    log = _LOGS.pop(process.pid, None)
    if log is not None:
        log.close()


@pytest.fixture(scope="session")
def dify_emulator() -> Iterator[RunningEmulator]:
    """The emulator (``current`` profile, pings every 0.5 s) as a real process."""
    process, emulator = start_emulator("--ping-interval", "0.5")
    try:
        yield emulator
    finally:
        stop_emulator(process)


@pytest.fixture(scope="session")
def dify_emulator_015() -> Iterator[RunningEmulator]:
    """The emulator under the ``0.15`` profile (what the recorded fixtures show)."""
    process, emulator = start_emulator("--profile", "0.15", "--ping-interval", "0.5")
    try:
        yield emulator
    finally:
        stop_emulator(process)


# -- recorded exchanges -------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One recorded exchange of ``fixtures/dify-0.15.3``: the request and the raw response."""

    name: str
    request: dict[str, Any]
    status: int
    headers: dict[str, str]
    body: bytes
    folder: str = "dify-0.15.3"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_stream(self) -> bool:
        return self.content_type.startswith("text/event-stream")


FIXTURE_FOLDERS = ("dify-0.15.3", "dify-0.15.3-more")
"""The folders of recorded Dify exchanges (under ``../shared/fixtures``)."""


def fixtures_dir(folder: str = FIXTURE_FOLDERS[0]) -> Path:
    """Where the recordings of ``folder`` are: ``$RECHAT_DIFY_FIXTURES`` (the ``dify-0.15.3``
    folder; the others are its siblings) or ``<repo>/../shared/fixtures/<folder>``."""
    configured = os.environ.get("RECHAT_DIFY_FIXTURES")
    if configured:
        return Path(configured).parent / folder
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "fixtures" / folder
        if (candidate / "README.md").exists():
            return candidate
    raise FileNotFoundError(f"fixtures/{folder} not found; set RECHAT_DIFY_FIXTURES")


def dechunk(body: bytes) -> bytes:
    """Remove HTTP/1.1 chunked framing (the one raw-wire recording keeps it)."""
    out, rest = bytearray(), body
    while rest:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


def load_recording(path: Path) -> Recording:
    """Read one ``NAME.http`` and its ``NAME.request.json``."""
    head, body = path.read_bytes().split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked" and path.stem.endswith("raw_chunked_wire"):
        body = dechunk(body)
    request = json.loads(path.with_name(path.stem + ".request.json").read_text())
    status = int(lines[0].split()[1])
    return Recording(path.stem, request, status, headers, body, path.parent.name)


def load_recordings(folder: str = FIXTURE_FOLDERS[0]) -> list[Recording]:
    """Every recording of ``folder``, sorted by name."""
    return [load_recording(path) for path in sorted(fixtures_dir(folder).glob("*.http"))]


def load_all_recordings() -> list[Recording]:
    """Every recording of every folder of ``FIXTURE_FOLDERS`` (names are unique across them)."""
    recordings = [recording for folder in FIXTURE_FOLDERS for recording in load_recordings(folder)]
    names = [recording.name for recording in recordings]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"recordings named alike in two folders: {duplicates}")
    return recordings
