"""Which service answers which URL prefix at the one origin (docs/ARCHITECTURE.md).

The embedded dispatcher, the development front proxy and the nginx template all follow this
table; tests/deploy checks that nginx does.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTH = "auth"
GATEWAY = "chat-gateway"
HISTORY = "history"
WORKER = "dify-worker"

HTTP_SERVICES = (AUTH, GATEWAY, HISTORY)
SERVICES = (AUTH, GATEWAY, HISTORY, WORKER)

DEFAULT_PORTS: dict[str, int] = {AUTH: 8001, GATEWAY: 8002, HISTORY: 8003, WORKER: 8004}
EMULATOR_PORT = 8090

PUBLIC_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/api/auth/", AUTH),
    ("/api/admin/users", AUTH),
    ("/api/admin/settings", AUTH),
    ("/api/admin/groups", AUTH),
    ("/api/chat/", GATEWAY),
    ("/api/apps", GATEWAY),
    ("/api/files", GATEWAY),
    ("/api/admin/apps", GATEWAY),
    ("/api/conversations", HISTORY),
    ("/api/messages", HISTORY),
    ("/api/folders", HISTORY),
    ("/api/shares", HISTORY),
    ("/api/me/usage", HISTORY),
    ("/api/admin/usage", HISTORY),
)
"""Prefixes the browser may call; longest match wins (none of them overlap today)."""

INTERNAL_PREFIXES: tuple[tuple[str, str], ...] = (("/internal/", HISTORY),)
"""Service-to-service routes: reachable inside one process, never through the public proxy."""


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    service: str


def _matches(path: str, prefix: str) -> bool:
    if prefix.endswith("/"):
        return path.startswith(prefix) or path == prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?")


def service_for(path: str, *, internal: bool = False) -> str | None:
    """The service that answers `path`, or None (the SPA, or an unknown /api route)."""
    table = PUBLIC_PREFIXES + INTERNAL_PREFIXES if internal else PUBLIC_PREFIXES
    best: Route | None = None
    for prefix, service in table:
        if _matches(path, prefix) and (best is None or len(prefix) > len(best.prefix)):
            best = Route(prefix, service)
    return best.service if best else None
