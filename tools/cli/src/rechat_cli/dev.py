"""`rechat dev`: every service plus the web app at one origin, embedded or as processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from rechat_cli import logs
from rechat_cli.demo import ensure_demo_app
from rechat_cli.embedded import EmbeddedApp, prepare
from rechat_cli.environment import Mode, Origin
from rechat_cli.front import PublicFront
from rechat_cli.processes import Supervisor, pick_port
from rechat_cli.proxy import FrontProxy
from rechat_cli.routes import AUTH, HISTORY, HTTP_SERVICES
from rechat_cli.services import EMULATOR, SPECS, migrate_all
from rechat_cli.spa import SpaFiles

GRACEFUL_SECONDS = 5


def image_hosts() -> list[str]:
    """The hosts answers may show images from (`RECHAT_IMAGE_HOSTS`, auth's setting)."""
    from rechat_auth.config import Settings

    return Settings().image_host_list


@dataclass(frozen=True, slots=True)
class DevOptions:
    origin: Origin
    data_dir: Path
    dist: Path
    log_level: str
    service_ports: dict[str, int] = field(default_factory=dict)
    """Processes mode: fixed ports for some services (the others take their default or any)."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `rechat dev` decides what a signal stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: object, origin: Origin, log_level: str) -> _Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=origin.host,
        port=origin.port,
        log_config=None,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # the public port is the edge: a client's X-Forwarded-For says nothing about it
        proxy_headers=False,
    )
    return _Server(config)


@contextlib.contextmanager
def stop_signals(on_signal: Callable[[], None]) -> Iterator[None]:
    """Call `on_signal` in the loop on Ctrl+C / SIGTERM (SIGBREAK on Windows)."""
    loop = asyncio.get_running_loop()
    wanted = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGBREAK"):
        wanted.append(signal.SIGBREAK)

    def handler(signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(on_signal)

    previous = {sig: signal.signal(sig, handler) for sig in wanted}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


async def run_embedded(options: DevOptions) -> int:
    prepare(options.origin, options.data_dir)
    app = PublicFront(
        EmbeddedApp(options.origin, SpaFiles(options.dist)), image_hosts=image_hosts()
    )
    server = _server(app, options.origin, options.log_level)

    def on_signal() -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True
        logs.say("stopping (Ctrl+C again to force)")

    with stop_signals(on_signal):
        await server.serve()
    if not server.started:
        return 1
    logs.say("stopped")
    return 0


def _child_environment(options: DevOptions, ports: dict[str, int]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RECHAT_DATA_DIR": str(options.data_dir),
            "AUTH_JWKS_URL": f"http://127.0.0.1:{ports[AUTH]}/api/auth/.well-known/jwks.json",
            "HISTORY_INTERNAL_URL": f"http://127.0.0.1:{ports[HISTORY]}",
            "PYTHONUNBUFFERED": "1",
            # `rechat dev` migrated before starting them: no service races another for it
            "AUTH_MIGRATE_ON_START": "false",
            "GATEWAY_MIGRATE_ON_START": "false",
            "HISTORY_MIGRATE_ON_START": "false",
        }
    )
    env.setdefault("LOG_FORMAT", "text")
    env.setdefault("LOG_LEVEL", options.log_level)
    return env


async def run_processes(options: DevOptions) -> int:
    stop = asyncio.Event()
    with stop_signals(stop.set):
        try:
            await migrate_all(logs.say)
        except Exception as exc:  # the database is unreachable or refuses: say so, plainly
            logs.say(f"migrations failed: {str(exc).splitlines()[0]}")
            return 1
        ports = {
            name: options.service_ports.get(name) or pick_port(spec.port)
            for name, spec in SPECS.items()
        }
        supervisor = Supervisor(_child_environment(options, ports))
        try:
            return await _supervise(options, ports, supervisor, stop)
        except (RuntimeError, TimeoutError) as exc:  # a service did not come up (its log above)
            logs.say(f"start-up failed: {exc}")
            return 1
        finally:
            logs.say("stopping the services")
            await supervisor.stop()
            logs.say("stopped")


async def _supervise(
    options: DevOptions, ports: dict[str, int], supervisor: Supervisor, stop: asyncio.Event
) -> int:
    children = [await supervisor.start(spec, ports[name]) for name, spec in SPECS.items()]

    async def all_ready() -> None:
        await asyncio.gather(*(supervisor.wait_ready(child) for child in children))

    starting = asyncio.create_task(all_ready())
    if not await _first_or_stop(starting, stop):
        return 0
    starting.result()  # raises when a service did not come up
    emulator = f"http://127.0.0.1:{ports[EMULATOR]}/v1"
    logs.say(f"demo app ({emulator}): {await ensure_demo_app(emulator)}")
    upstreams = {name: f"http://127.0.0.1:{ports[name]}" for name in HTTP_SERVICES}
    proxy = PublicFront(FrontProxy(upstreams, SpaFiles(options.dist)), image_hosts=image_hosts())
    front = _server(proxy, options.origin, "warning")
    serving = asyncio.create_task(front.serve())
    while not front.started and not serving.done():  # noqa: ASYNC110 - uvicorn has only a flag
        await asyncio.sleep(0.05)
    if serving.done():
        return 1
    logs.say(f"ReChat is running at {options.origin.url}  (Ctrl+C stops everything)")
    died = asyncio.create_task(supervisor.first_exit())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({died, stopping, serving}, return_when=asyncio.FIRST_COMPLETED)
    front.should_exit = True
    await serving
    if died.done():
        child = died.result()
        logs.say(f"{child.spec.name} exited with {child.exited.result()}: stopping everything")
        return 1
    died.cancel()
    stopping.cancel()
    return 0


async def _first_or_stop(work: asyncio.Task[None], stop: asyncio.Event) -> bool:
    """Wait for `work` unless a stop signal comes first (then cancel it and say False)."""
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if work.done():
        return True
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return False


def run(mode: Mode, options: DevOptions) -> int:
    if mode is Mode.EMBEDDED:
        return asyncio.run(run_embedded(options))
    return asyncio.run(run_processes(options))
