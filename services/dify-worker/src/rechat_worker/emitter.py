"""Writes an answer's stream events to the hub, merging deltas that follow each other closely.

The first delta goes out at once; later deltas within `window` seconds of the last one sent
are merged and go out when the window ends (a timer, so a silent Dify does not hold them back),
when a non-delta event comes, or at the end. The timer's write runs as a task; every later
write waits for it first, so the hub sees the events in order.

The writer numbers its events itself and keeps them (the journal) until the answer ends, so
Redis going away costs nothing: a write waits for Redis (up to `patience` seconds) and is
retried under the same number (the hub adds a number once); when Redis came back without
the log's tail (restarted empty, or from an older AOF), the hub says where its log ends and
the writer appends the rest of the journal again before going on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rechat_shared.events import StreamEvent, StreamEventName
from rechat_shared.streams import StreamGap, StreamHub
from rechat_shared.streams.outage import wait_for_redis

logger = logging.getLogger(__name__)

DEFAULT_PATIENCE_SECONDS = 60.0


class StreamWriter:
    def __init__(
        self,
        hub: StreamHub,
        message_id: str,
        *,
        window: float,
        max_chars: int = 2000,
        patience: float = DEFAULT_PATIENCE_SECONDS,
    ) -> None:
        self._hub = hub
        self._message_id = message_id
        self._window = window
        self._max_chars = max_chars
        self._patience = patience
        self._first = 1
        self._journal: list[tuple[StreamEventName, dict[str, Any]]] = []
        self._loop = asyncio.get_running_loop()
        self._pending: list[str] = []
        self._pending_chars = 0
        self._last_delta_at = -1e9
        self._timer: asyncio.TimerHandle | None = None
        self._sending: asyncio.Task[None] | None = None
        self.first_delta_at: float | None = None
        self.events_written = 0
        self.last: StreamEvent | None = None

    def begin_after(self, seq: int) -> None:
        """Number this writer's events after `seq` (a redelivered request continues the log
        an earlier attempt wrote); only before the first event."""
        assert not self._journal, "the writer has written already"
        self._first = seq + 1

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
        if self._loop.time() - self._last_delta_at >= self._window:
            # the window is over (or this is the first delta): out at once, with what waited
            if self._pending:
                self._pending.append(text)
                text = self._take()
            await self._send_delta(text)
            return
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= self._max_chars:
            await self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_at(self._last_delta_at + self._window, self._due)

    @property
    def pending(self) -> bool:
        """Whether merged text still waits for its window to end."""
        return bool(self._pending)

    async def flush(self) -> None:
        """Write the waiting text now (and wait for a timer's write still under way)."""
        if self._pending:
            await self._send_delta(self._take())
        elif self._sending is not None:
            await self._settle()

    def discard(self) -> None:
        """Drop the waiting text, its timer and a timer's write under way (the generation was
        abandoned)."""
        self._take()
        if self._sending is not None:
            self._sending.cancel()
            self._sending = None

    def _take(self) -> str:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        return text

    def _due(self) -> None:
        self._timer = None
        if self._pending:
            self._last_delta_at = self._loop.time()
            self._sending = self._loop.create_task(self._write_after(self._sending, self._take()))

    async def _write_after(self, previous: asyncio.Task[None] | None, text: str) -> None:
        if previous is not None:
            await previous
        await self._write("delta", {"text": text})

    async def _settle(self) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            await sending

    async def _send_delta(self, text: str) -> None:
        self._last_delta_at = self._loop.time()
        if self.first_delta_at is None:
            self.first_delta_at = self._last_delta_at
        await self._append("delta", {"text": text})

    async def _append(self, event: StreamEventName, data: dict[str, Any]) -> None:
        if self._sending is not None:
            await self._settle()
        await self._write(event, data)

    async def _write(self, event: StreamEventName, data: dict[str, Any]) -> None:
        seq = self._first + len(self._journal)
        self._journal.append((event, data))
        self.last = await wait_for_redis(
            lambda: self._store(seq), patience=self._patience, what=f"stream {self._message_id}"
        )
        self.events_written += 1

    async def _store(self, seq: int) -> StreamEvent:
        """Append the journal's event `seq`, after what the log lacks before it."""
        while True:
            try:
                return await self._append_logged(seq)
            except StreamGap as gap:
                start = max(gap.have + 1, self._first)
                logger.warning(
                    "stream %s lost events %d-%d in Redis; appending them again",
                    self._message_id,
                    start,
                    seq - 1,
                )
                refilled = await asyncio.gather(
                    *(self._append_logged(s) for s in range(start, seq)), return_exceptions=True
                )
                for outcome in refilled:
                    if isinstance(outcome, BaseException) and not isinstance(outcome, StreamGap):
                        raise outcome from gap  # Redis went away again (a gap: look again)

    async def _append_logged(self, seq: int) -> StreamEvent:
        event, data = self._journal[seq - self._first]
        return await self._hub.append(self._message_id, event, data, seq=seq, first=self._first)
