"""The call log of the Service API: how often each route was called, and the latest calls.

Tests read it through the control API (``GET /_emulator/calls``) to show that an action reached
Dify (a rename, a delete, a suggested-questions fetch) or that it did not (a turn refused at the
gateway). Routes are counted by their template (``POST /v1/conversations/{conversation_id}/name``).
Each call has a number ``n`` (1, 2, ... since the last reset), so a reader that polls with
``after`` sees every call once, however many the log has dropped since (a long soak).
"""

from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive, Scope

BODY_LIMIT = 64 * 1024
"""Request bodies up to this size are kept (parsed when JSON) in the log entries."""

KEPT = 2000
"""How many calls the log keeps (the counts cover every call)."""


@dataclass
class Call:
    """One Service API call; ``end`` files it once its answer starts."""

    log: CallLog
    method: str
    path: str
    key: str | None
    body: bytearray = field(default_factory=bytearray)
    ended: bool = False

    def reader(self, receive: Receive) -> Receive:
        """``receive`` that also keeps the first ``BODY_LIMIT`` bytes of the request body."""

        async def read() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(self.body) < BODY_LIMIT:
                self.body += message.get("body", b"")[: BODY_LIMIT - len(self.body)]
            return message

        return read

    def end(self, scope: Scope, status: int) -> None:
        if self.ended:
            return
        self.ended = True
        route = scope.get("route")
        template = getattr(route, "path", None) or self.path
        self.log.add(
            {
                "method": self.method,
                "route": template,
                "path": self.path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "key": self.key,
                "status": status,
                "body": _parsed(bytes(self.body)),
            }
        )


def _parsed(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None  # multipart uploads, form bodies, broken JSON: not kept


class CallLog:
    """Counts per ``METHOD /route`` and the last ``KEPT`` calls, oldest first."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.entries: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.total = 0

    def begin(self, scope: Scope, headers: dict[str, str]) -> Call:
        authorization = headers.get("authorization", "")
        key = authorization.partition(" ")[2].strip() or None
        return Call(self, scope["method"], scope["path"], key)

    def add(self, entry: dict[str, Any]) -> None:
        self.total += 1
        entry["n"] = self.total
        self.counts[f"{entry['method']} {entry['route']}"] += 1
        self.entries.append(entry)

    def clear(self) -> None:
        self.counts.clear()
        self.entries.clear()
        self.total = 0

    def report(
        self,
        *,
        method: str | None = None,
        route: str | None = None,
        key: str | None = None,
        after: int | None = None,
    ) -> dict[str, Any]:
        """``{counts, calls}``; ``calls`` only those matching every filter given (``after``:
        numbered above it)."""
        calls = [
            entry
            for entry in self.entries
            if (after is None or entry["n"] > after)
            and (method is None or entry["method"] == method.upper())
            and (route is None or entry["route"] == route)
            and (key is None or entry["key"] == key)
        ]
        return {"counts": dict(self.counts), "calls": calls}
