"""A short-lived in-process copy of app rows: sending a message needs the app on every request,
and the registry changes rarely (an edit reaches other gateway processes within the TTL)."""

from __future__ import annotations

import time

from rechat_gateway.models import App

DEFAULT_TTL = 5.0


class AppCache:
    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self._ttl = ttl
        self._rows: dict[str, tuple[float, App | None]] = {}

    def get(self, app_id: str) -> tuple[bool, App | None]:
        """(hit, row): a hit may be a remembered absence."""
        entry = self._rows.get(app_id)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, app_id: str, row: App | None) -> None:
        if len(self._rows) > 10_000:
            self._rows.clear()
        self._rows[app_id] = (time.monotonic() + self._ttl, row)

    def forget(self, app_id: str) -> None:
        self._rows.pop(app_id, None)
