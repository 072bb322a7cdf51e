"""Consumer plumbing both bus implementations share: trace ids, batch gathering, stopping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

from rechat_shared.bus.base import Delivery
from rechat_shared.events import BusEvent
from rechat_shared.logging import new_trace_id, trace_id_var

T = TypeVar("T")

SCHEMA_HEADER = "x-schema-version"
TRACE_HEADER = "x-trace-id"


def current_trace_id() -> str:
    """The trace id to stamp on a published event (a fresh one outside any request)."""
    trace_id = trace_id_var.get()
    return new_trace_id() if trace_id == "-" else trace_id


def publish_headers(event: BusEvent) -> dict[str, str | int]:
    return {SCHEMA_HEADER: event.schema_version, TRACE_HEADER: current_trace_id()}


async def call_traced(handler: Callable[[T], Awaitable[None]], argument: T, trace: str) -> None:
    """Run a handler with the message's trace id in the logging context."""
    token = trace_id_var.set(trace)
    try:
        await handler(argument)
    finally:
        trace_id_var.reset(token)


MAX_RETRY_DELAY = 5.0


async def pause_before_retry(delivery: Delivery, base: float) -> None:
    """Back off before handing a failed message back: a transient failure (a database
    restarting) then gets a few seconds to pass before the delivery limit dead-letters it."""
    if base > 0:
        await asyncio.sleep(min(base * 2**delivery.delivery_count, MAX_RETRY_DELAY))


def batch_trace(deliveries: Iterable[Delivery]) -> str:
    for delivery in deliveries:
        if delivery.trace_id:
            return delivery.trace_id
    return new_trace_id()


async def gather_batch(queue: asyncio.Queue[T], max_batch: int, max_wait: float) -> list[T]:
    """Wait for one item, then take what arrives within `max_wait` seconds, up to `max_batch`."""
    batch = [await queue.get()]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while len(batch) < max_batch:
        while len(batch) < max_batch and not queue.empty():
            batch.append(queue.get_nowait())
        remaining = deadline - loop.time()
        if len(batch) >= max_batch or remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                batch.append(await queue.get())
        except TimeoutError:
            break
    return batch


class TaskGroupStopper:
    """Tracks a consumer's reader tasks and which are busy, to stop them gracefully."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.busy: set[asyncio.Task[Any]] = set()
        self.stopping = False

    def spawn(self, coroutine: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        task.set_name(name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self.busy.add(task)
        try:
            yield
        finally:
            self.busy.discard(task)

    async def stop(self, grace: float | None) -> None:
        """Cancel idle tasks at once, give busy ones `grace` seconds, then cancel them."""
        self.stopping = True
        for task in self.tasks - self.busy:
            task.cancel()
        pending = set(self.tasks)
        if not pending:
            return
        _, still_running = await asyncio.wait(pending, timeout=grace)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.wait(still_running)
