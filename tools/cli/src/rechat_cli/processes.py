"""Processes mode: each service as a child process, its output tagged with its name."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from dataclasses import dataclass, field

import httpx

from rechat_cli import logs
from rechat_cli.services import ServiceSpec

READY_TIMEOUT = 600.0
"""How long a child that is alive may take to answer (a busy machine may need minutes to
import and migrate); a child that exits fails the start at once."""
STOP_TIMEOUT = 15.0


def pick_port(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` when it is free, else any free port (another program may hold the default)."""
    for candidate in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            return port
    raise OSError("no free TCP port")


@dataclass
class Child:
    spec: ServiceSpec
    port: int
    process: asyncio.subprocess.Process
    relay: asyncio.Task[None]
    exited: asyncio.Task[int] = field(init=False)

    def __post_init__(self) -> None:
        self.exited = asyncio.create_task(self.process.wait(), name=f"{self.spec.name}-exit")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Supervisor:
    """Starts children, waits until they answer, notices when one dies, stops them all."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[Child] = []

    async def start(self, spec: ServiceSpec, port: int) -> Child:
        # our own interpreter running our own modules
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            spec.module,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *spec.arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
        )
        assert process.stdout is not None
        relay = asyncio.create_task(logs.relay(spec.name, process.stdout))
        child = Child(spec, port, process, relay)
        self.children.append(child)
        return child

    async def wait_ready(self, child: Child, within: float = READY_TIMEOUT) -> None:
        """Poll the child's readiness route until it answers 200; fail if the child exits."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if child.exited.done():
                    raise RuntimeError(f"{child.spec.name} exited with {child.exited.result()}")
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(child.url + child.spec.ready_path)
                    if response.status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{child.spec.name} was not ready within {within:.0f} s")

    async def first_exit(self) -> Child:
        """Wait until any child exits, and return it."""
        waiting = {child.exited: child for child in self.children}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        return waiting[next(iter(done))]

    async def stop(self, grace: float = STOP_TIMEOUT) -> None:
        """Ask every child to stop (SIGTERM / TerminateProcess), kill what is left in time."""
        running = [child for child in reversed(self.children) if not child.exited.done()]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.process.terminate()
        if running:
            _, late = await asyncio.wait([c.exited for c in running], timeout=grace)
            for child in running:
                if child.exited in late:
                    logs.say(f"{child.spec.name} did not stop in {grace:.0f} s: killing it")
                    with contextlib.suppress(ProcessLookupError):
                        child.process.kill()
            await asyncio.gather(*(c.exited for c in running), return_exceptions=True)
        await asyncio.gather(*(c.relay for c in self.children), return_exceptions=True)
