"""The services `rechat` runs: their modules, factories, ports and migrations."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from fastapi import FastAPI

from rechat_cli.routes import AUTH, DEFAULT_PORTS, EMULATOR_PORT, GATEWAY, HISTORY, WORKER

EMULATOR = "dify-emulator"
DEMO_TOKEN_DELAY = 0.02
"""Seconds between the demo emulator's tokens: answers stream in visibly, like a model's."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    module: str
    """Import name; `python -m <module>` serves it, `<module>.app` has the factory."""
    port: int
    ready_path: str = "/readyz"
    migrates: bool = False
    """Has tables, hence `run_migrations(settings)` in `<module>.app`."""
    arguments: tuple[str, ...] = ()
    """Extra command-line flags when it runs as a child process."""

    def create_app(self) -> FastAPI:
        """The service's ASGI app, configured from the environment."""
        module = importlib.import_module(f"{self.module}.app")
        return cast(FastAPI, module.create_app())

    async def migrate(self) -> None:
        module = importlib.import_module(f"{self.module}.app")
        await module.run_migrations()


SPECS: dict[str, ServiceSpec] = {
    AUTH: ServiceSpec(AUTH, "rechat_auth", DEFAULT_PORTS[AUTH], migrates=True),
    GATEWAY: ServiceSpec(GATEWAY, "rechat_gateway", DEFAULT_PORTS[GATEWAY], migrates=True),
    HISTORY: ServiceSpec(HISTORY, "rechat_history", DEFAULT_PORTS[HISTORY], migrates=True),
    WORKER: ServiceSpec(WORKER, "rechat_worker", DEFAULT_PORTS[WORKER]),
    EMULATOR: ServiceSpec(
        EMULATOR,
        "rechat_dify_emulator",
        EMULATOR_PORT,
        ready_path="/_emulator/health",
        arguments=("--log-level", "info", "--token-delay", str(DEMO_TOKEN_DELAY)),
    ),
}
"""Start-up order: auth first (it makes the development signing key), the emulator last."""


async def migrate_all(report: Callable[[str], None]) -> None:
    """Every service's migrations, one service after another (`rechat migrate`)."""
    for spec in SPECS.values():
        if spec.migrates:
            report(f"migrating {spec.name}")
            await spec.migrate()
    report("migrations done")
