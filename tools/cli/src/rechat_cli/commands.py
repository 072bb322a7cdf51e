"""`rechat migrate`, `rechat create-admin` and `rechat serve <service>`."""

from __future__ import annotations

import asyncio
import getpass
import os
import runpy
import sys

from rechat_cli import logs
from rechat_cli.environment import Mode, detect_mode
from rechat_cli.services import SPECS, migrate_all
from rechat_shared.settings import MEMORY_URL


def use_embedded_transports_when_unset() -> Mode:
    """Without broker and Redis URLs, act on the embedded deployment (its SQLite database)."""
    mode = detect_mode()
    if mode is Mode.EMBEDDED:
        os.environ.setdefault("RABBITMQ_URL", MEMORY_URL)
        os.environ.setdefault("REDIS_URL", MEMORY_URL)
    return mode


def migrate() -> int:
    use_embedded_transports_when_unset()
    asyncio.run(migrate_all(logs.say))
    return 0


def create_admin(email: str, name: str, password: str | None) -> int:
    from rechat_auth.app import create_admin as create

    use_embedded_transports_when_unset()
    password = password or os.environ.get("RECHAT_ADMIN_PASSWORD") or _ask_password()
    user = asyncio.run(create(email, password, name))
    logs.say(f"admin {user.email} created (id {user.id})")
    return 0


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise SystemExit("give --password, RECHAT_ADMIN_PASSWORD, or run in a terminal")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the passwords differ")
    return first


def serve(service: str, arguments: list[str]) -> int:
    """Run one service in the foreground, exactly as its own entry point does."""
    spec = SPECS[service]
    sys.argv = [f"rechat serve {service}", *arguments]
    runpy.run_module(spec.module, run_name="__main__", alter_sys=True)
    return 0
