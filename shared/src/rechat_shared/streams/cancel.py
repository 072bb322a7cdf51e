"""The worker's view of a stop request: an event it can poll or await."""

from __future__ import annotations

import asyncio


class CancelWatch(asyncio.Event):
    """Set when a stop was requested for the watched message (`is_set()` / `await wait()`)."""
