"""One timer per stream that interrupts a read once the stream is over its time limits.

A timeout scope per read (``asyncio.timeout``) costs a timer, a task lookup and a cancellation per
event; at thousands of events per second that is a visible share of a worker's CPU. The alarm
keeps one timer at the earliest limit it knew of. When the timer fires it looks at the limits
as they are now: progress since then only pushes the timer forward (one timer per stall period,
not one per event). Only a read awaited through ``wait`` is interrupted; a limit that passes
while the reader is busy elsewhere is noticed by ``check`` before the next read.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable
from typing import Literal, TypeVar

T = TypeVar("T")
Limit = Literal["deadline", "stall", "grace", "close"]

_EARLY = 0.001
"""Timers may fire this much before their time; a limit that close is reached."""


class Expired(Exception):
    """A limit was reached (raised by ``check`` and ``wait``)."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(limit)
        self.limit = limit


class ReadAlarm:
    """Limits of one stream: a deadline, a stall period since the last progress, and ends set
    later (``end_at``: a terminal grace, a close requested by the caller).

    Once ``start_stall_watch`` was called, the reader calls ``progressed`` after each event that
    counts as progress; before, only the fixed limits apply.
    """

    __slots__ = (
        "_cancelling",
        "_end",
        "_end_at",
        "_interrupted",
        "_loop",
        "_stall",
        "_timer",
        "_timer_at",
        "_waiting",
        "progress_at",
    )

    def __init__(self, deadline: float, stall: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._stall = stall
        self._end_at = deadline
        self._end: Limit = "deadline"
        self.progress_at = math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._waiting: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._interrupted: Limit | None = None

    def end_at(self, when: float, limit: Limit) -> None:
        """End reading at loop time ``when`` at the latest, reported as ``limit``."""
        if when < self._end_at:
            self._end_at, self._end = when, limit
            if when < self._timer_at:
                self._arm(when)

    def start_stall_watch(self) -> None:
        """From now on, a stall period without progress is a limit too."""
        self.progress_at = self._loop.time()
        if self.progress_at + self._stall < self._timer_at:
            self._arm(self.progress_at + self._stall)

    def progressed(self) -> None:
        """The stream made progress now (the stall period starts again)."""
        self.progress_at = self._loop.time()

    def end_after(self, seconds: float, limit: Limit) -> None:
        """``end_at`` measured from now."""
        self.end_at(self._loop.time() + seconds, limit)

    def check(self) -> None:
        """Raise ``Expired`` when a limit has passed (call before each read)."""
        if self._timer is None:
            when, limit = self._next()
            if self._loop.time() >= when - _EARLY:
                raise Expired(limit)
            self._arm(when)

    async def wait(self, awaitable: Awaitable[T]) -> T:
        """Await a read; ``Expired`` when a limit passes meanwhile."""
        task = asyncio.current_task()
        self._waiting = task
        try:
            result = await awaitable
        except asyncio.CancelledError:
            self._raise_interrupted(task)
            raise
        finally:
            self._waiting = None
        if self._interrupted is not None:  # the read swallowed our cancellation
            self._raise_interrupted(task)
        return result

    def _raise_interrupted(self, task: asyncio.Task[object] | None) -> None:
        limit = self._interrupted
        if limit is not None and task is not None:
            self._interrupted = None
            if task.uncancel() <= self._cancelling:
                raise Expired(limit) from None

    def cancel(self) -> None:
        """Drop the timer (the stream is over)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf

    def _next(self) -> tuple[float, Limit]:
        stall_at = self.progress_at + self._stall
        if stall_at < self._end_at:
            return stall_at, "stall"
        return self._end_at, self._end

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._fire)
        self._timer_at = when

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        task = self._waiting
        if task is None:
            return  # the reader is busy elsewhere: ``check`` decides before its next read
        when, limit = self._next()
        if self._loop.time() < when - _EARLY:
            self._arm(when)
            return
        if self._interrupted is None:
            self._cancelling = task.cancelling()
            self._interrupted = limit
            task.cancel()
