"""Writes an answer's stream events to the hub, merging deltas that follow each other closely.

The first delta goes out at once; later deltas within `window` seconds of the last one sent
are merged and flushed when the window ends, when a non-delta event comes, or at the end.
"""

from __future__ import annotations

import time
from typing import Any

from rechat_shared.events import StreamEvent, StreamEventName
from rechat_shared.streams import StreamHub


class StreamWriter:
    def __init__(
        self, hub: StreamHub, message_id: str, *, window: float, max_chars: int = 2000
    ) -> None:
        self._hub = hub
        self._message_id = message_id
        self._window = window
        self._max_chars = max_chars
        self._pending: list[str] = []
        self._pending_chars = 0
        self._last_delta_at = -1e9
        self.first_delta_at: float | None = None
        self.events_written = 0
        self.last: StreamEvent | None = None

    async def emit(self, event: StreamEventName, data: dict[str, Any] | None = None) -> None:
        """Any event: pending text first, so the order is kept."""
        if event == "delta" and data is not None:
            await self.delta(str(data.get("text", "")))
            return
        await self.flush()
        await self._append(event, data or {})

    async def delta(self, text: str) -> None:
        if not text:
            return
        now = time.monotonic()
        if now - self._last_delta_at >= self._window:
            # the window is over (or this is the first delta): out at once, with what waited
            if self._pending:
                self._pending.append(text)
                text = "".join(self._pending)
                self._pending.clear()
                self._pending_chars = 0
            await self._send_delta(text, now)
            return
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= self._max_chars:
            await self.flush()

    def flush_in(self) -> float | None:
        """Seconds until the pending text is due (None when nothing is pending)."""
        if not self._pending:
            return None
        return max(0.0, self._last_delta_at + self._window - time.monotonic())

    async def flush(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        await self._send_delta(text, time.monotonic())

    async def _send_delta(self, text: str, now: float) -> None:
        self._last_delta_at = now
        if self.first_delta_at is None:
            self.first_delta_at = now
        await self._append("delta", {"text": text})

    async def _append(self, event: StreamEventName, data: dict[str, Any]) -> None:
        self.last = await self._hub.append(self._message_id, event, data)
        self.events_written += 1
