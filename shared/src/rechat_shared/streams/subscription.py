"""The attach algorithm both hubs share: replay the log after the attach point, then forward
live events in seq order, skipping duplicates and re-reading the log on a gap."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from rechat_shared.events import StreamEvent
from rechat_shared.streams.outage import wait_for_redis

LogReader = Callable[[int], Awaitable[list[StreamEvent]]]
"""Reads the replay log: every event with seq greater than the argument, in order."""

LastReader = Callable[[], Awaitable[StreamEvent | None]]
"""Reads the newest event of the log (None when there is none)."""

READ_PATIENCE_SECONDS = 60.0
"""How long a subscription waits for Redis to read its log (the writer waits as long)."""

RESYNC = None
"""Put on a subscription's live queue when the live feed may have lost events (reconnect)."""


class LogSubscription:
    """`StreamSubscription` over a live queue (filled by the hub) and a log reader.

    `idle_resync`: after that many seconds without a live event the log is read again.

    Every await in `__anext__` is at a point where cancelling loses nothing: state only changes
    after a read completed.
    """

    def __init__(
        self,
        read_log: LogReader,
        read_last: LastReader,
        last_event_id: int | None,
        *,
        replay: bool = True,
        idle_resync: float | None = None,
    ) -> None:
        self.live: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
        self._read_log = read_log
        self._read_last = read_last
        self._first_catch_up = True
        self._last = max(0, last_event_id or 0)
        self._ready: deque[StreamEvent] = deque()
        self._need_log = replay  # False for a stream nobody could write yet (`attach(new=...)`)
        self._gap_event: StreamEvent | None = None
        self._finished = False
        self._idle_resync = idle_resync
        self.closed = False

    @property
    def last_seq(self) -> int:
        return self._last

    def __aiter__(self) -> LogSubscription:
        return self

    async def __anext__(self) -> StreamEvent:
        while True:
            if self._finished or self.closed:
                raise StopAsyncIteration
            while self._ready:
                event = self._ready.popleft()
                if event.seq > self._last:
                    self._last = event.seq
                    self._finished = event.is_terminal
                    return event
            if self._need_log:
                await self._catch_up()
                continue
            try:
                async with asyncio.timeout(self._idle_resync):
                    item = await self.live.get()
            except TimeoutError:
                # nothing heard for a while: the log is the truth (a live feed lost in a
                # reconnect costs at most this much delay, never a stream that does not end)
                self._need_log = True
                continue
            self._take_live(item)

    def _take_live(self, item: StreamEvent | None) -> None:
        if item is RESYNC:
            self._need_log = True
        elif item.seq == self._last + 1:
            self._ready.append(item)
        elif item.seq > self._last + 1:
            self._need_log = True  # a gap: the log has what the live feed missed
            self._gap_event = item

    async def _catch_up(self) -> None:
        # after a reconnect Redis may still be coming back: wait for it rather than end a
        # stream whose writer is waiting for Redis too
        events = await wait_for_redis(
            lambda: self._read_log(self._last), patience=READ_PATIENCE_SECONDS, what="replay"
        )
        if not events and self._first_catch_up and self._last > 0:
            # Resuming at (or past) the end of a finished stream: nothing more will come.
            last_logged = await wait_for_redis(
                self._read_last, patience=READ_PATIENCE_SECONDS, what="replay"
            )
            self._finished = last_logged is not None and last_logged.is_terminal
        self._first_catch_up = False
        gap_event, self._gap_event = self._gap_event, None
        self._need_log = False
        self._ready.extend(events)
        newest = events[-1].seq if events else self._last
        if gap_event is not None and gap_event.seq > newest:
            self._ready.append(gap_event)  # the log was trimmed or expired: keep what we have

    def close(self) -> None:
        """End the iteration (the hub is closing)."""
        self.closed = True
        self.live.put_nowait(RESYNC)
