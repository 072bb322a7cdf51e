"""Real service processes for tests: start on a free port, wait until ready, stop cleanly.

Start-up waits follow the process, not a guess of how long it takes: a wait goes on while the
process is alive and its CPU time grows (it is importing, migrating, connecting), fails at once
when it exits, fails when it has used no CPU for `STALL_SECONDS` (it hangs), and gives up only at
`STARTUP_LIMIT_SECONDS`, far past any start on a busy machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STARTUP_LIMIT_SECONDS = float(os.environ.get("RECHAT_TEST_STARTUP_LIMIT", "900"))
STALL_SECONDS = float(os.environ.get("RECHAT_TEST_STALL_SECONDS", "120"))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command's closing parenthesis: state is field 3, utime 14 and stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_ready(
    process: subprocess.Popen[bytes],
    is_ready: Callable[[], bool],
    *,
    name: str,
    log_tail: Callable[[], str] = lambda: "",
    limit: float | None = None,
    stall: float | None = None,
) -> None:
    """Poll `is_ready` while `process` is alive and making progress (see the module's doc)."""
    limit = STARTUP_LIMIT_SECONDS if limit is None else limit
    stall = STALL_SECONDS if stall is None else stall
    started = last_progress = time.monotonic()
    last_cpu = cpu_seconds(process.pid)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        if is_ready():
            return
        now, cpu = time.monotonic(), cpu_seconds(process.pid)
        if cpu is None or cpu != last_cpu:
            last_cpu, last_progress = cpu, now
        if now - last_progress > stall:
            raise TimeoutError(f"{name} used no CPU for {stall:.0f} s, not ready:\n{log_tail()}")
        if now - started > limit:
            raise TimeoutError(f"{name} not ready in {limit:.0f} s:\n{log_tail()}")
        time.sleep(0.1)


def answers_200(url: str) -> Callable[[], bool]:
    """A readiness probe: GET `url` answers 200."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    """`python -m <module> --host 127.0.0.1 --port <free> [args]` with its log in a file."""

    module: str
    env: dict[str, str]
    log_path: Path
    ready_path: str = "/healthz"
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                self.module,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.args,
            ],
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        assert self.process is not None, "start() first"
        wait_until_ready(
            self.process,
            answers_200(self.url + self.ready_path),
            name=self.module,
            log_tail=self.log_tail,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: the crash a fault test wants."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()
