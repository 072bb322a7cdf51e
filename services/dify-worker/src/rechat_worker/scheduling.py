"""Fair turns between users for the worker's answer slots.

The worker takes a few more requests from the broker than it has slots (`WORKER_FAIR_BUFFER`);
the ones waiting for a slot are served round-robin by user, so one user with many requests
queued takes a slot, then every other waiting user takes one, and so on. (The gateway also caps
each user's answers in flight; this keeps the worker fair among those that got through.)
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

from rechat_shared.bus import Delivery
from rechat_shared.events import ChatRequested

Handler = Callable[[Delivery], Awaitable[None]]


class FairSlots:
    """`size` slots; waiters queue per user and the users take turns."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    async def acquire(self, user: str) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(user, deque()).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # granted as we were cancelled: pass it on
            else:
                self._forget(user, turn)
            raise

    def release(self) -> None:
        """Hand the slot to the next user in turn (who then goes to the back of the line)."""
        while self._waiting:
            user, turns = next(iter(self._waiting.items()))
            turn = turns.popleft()
            if turns:
                self._waiting.move_to_end(user)
            else:
                del self._waiting[user]
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _forget(self, user: str, turn: asyncio.Future[None]) -> None:
        turns = self._waiting.get(user)
        if turns is not None and turn in turns:
            turns.remove(turn)
            if not turns:
                del self._waiting[user]


def fair(handler: Handler, slots: FairSlots) -> Handler:
    """The handler, run only once the delivery's user has been given a slot."""

    async def run(delivery: Delivery) -> None:
        event = delivery.event
        user = event.user_id if isinstance(event, ChatRequested) else ""
        await slots.acquire(user)
        try:
            await handler(delivery)
        finally:
            slots.release()

    return run
