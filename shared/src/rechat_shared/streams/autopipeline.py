"""Auto-pipelining for the hub's hot commands (appends, log reads): the commands that pile up
while one batch is in flight go to Redis together as the next batch, in one redis-py
pipeline. A command alone still leaves at once (the first token is never delayed); under
load, thousands of streams share a few round trips instead of queueing for pool connections.

Appends go one step further: the batch's appends are the items of ONE call of a batch script
(`BatchScript`), so the client packs and parses one command per batch instead of one per
event (redis-py's per-command cost is most of the client's CPU per event).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError, RedisError
from redis.typing import EncodableT

from rechat_shared.streams.base import StreamUnavailable

_MAX_BATCH = 1000
ROUND_TRIP_TIMEOUT = 5.0

Command = Callable[[Pipeline], object]
"""Queues one command on a pipeline, e.g. `lambda pipe: pipe.xrange(key, 5, "+")`."""


@dataclass(frozen=True, slots=True)
class BatchScript:
    """A Lua script run once for a batch of items. KEYS holds the items' keys one after the
    other (`keys_per_item` each); ARGV holds `args`, then the items' arguments
    (`args_per_item` each). It returns one reply per item; a string reply means the item
    failed (the error's text)."""

    source: str
    keys_per_item: int
    args_per_item: int
    args: tuple[EncodableT, ...] = ()


@dataclass(frozen=True, slots=True)
class _Item:
    keys: Sequence[EncodableT]
    args: Sequence[EncodableT]


_Pending = tuple[Command | _Item, asyncio.Future[Any]]


class AutoPipeline:
    """Sends commands and script items in batches, each batch one non-transactional pipeline."""

    def __init__(self, client: Redis, script: BatchScript) -> None:
        self._client = client
        self._script = script
        self._sha = client.register_script(script.source).sha
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    async def execute(self, command: Command) -> Any:
        """Send `command` with the next batch; returns its reply."""
        return await self._submit(command)

    async def run_item(self, keys: Sequence[EncodableT], args: Sequence[EncodableT]) -> Any:
        """Run the batch script for one item with the next batch; returns the item's reply."""
        if len(keys) != self._script.keys_per_item or len(args) != self._script.args_per_item:
            raise ValueError("an item has the wrong number of keys or arguments")
        return await self._submit(_Item(keys, args))

    async def _submit(self, work: Command | _Item) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        self._wakeup.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="stream-hub:pipeline")
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[:_MAX_BATCH]
                del self._pending[:_MAX_BATCH]
                try:
                    await self._execute(batch)
                except asyncio.CancelledError:
                    _fail(batch, StreamUnavailable("The stream hub is closing"))
                    raise

    async def _execute(self, batch: list[_Pending]) -> None:
        items = [(work, future) for work, future in batch if isinstance(work, _Item)]
        commands = [(work, future) for work, future in batch if not isinstance(work, _Item)]
        try:
            results = await self._round_trip([item for item, _ in items], [c for c, _ in commands])
            if items and isinstance(results[0], NoScriptError):
                # Redis restarted or its scripts were flushed: load it and run the items again
                await self._client.script_load(self._script.source)
                (results[0],) = await self._round_trip([item for item, _ in items], [])
        except Exception as exc:
            # RedisError/OSError as a rule; but redis-py reconnecting under uvloop can also raise
            # RuntimeError (a write on a transport closed meanwhile). Whatever it is, the batch
            # fails, and the runner lives on: a runner dying here left every caller of the
            # batch waiting forever (streams that never ended after a Redis restart).
            _fail(batch, StreamUnavailable(f"Redis is unavailable: {exc!r}"))
            return
        if items:
            replies = results.pop(0)
            if isinstance(replies, Exception):
                _fail(items, StreamUnavailable(f"Redis refused a command: {replies!r}"))
            else:
                for (_, future), reply in zip(items, replies, strict=True):
                    if isinstance(reply, bytes):
                        reply = RedisError(reply.decode(errors="replace"))
                    _settle(future, reply)
        for (_, future), result in zip(commands, results, strict=True):
            _settle(future, result)

    async def _round_trip(self, items: list[_Item], commands: list[Command]) -> list[Any]:
        """One pipeline: the script for `items` (if any) first, then `commands`; an error reply
        comes back in its command's place, not raised."""
        async with self._client.pipeline(transaction=False) as pipe:
            if items:
                keys = [key for item in items for key in item.keys]
                args = [arg for item in items for arg in item.args]
                pipe.evalsha(self._sha, len(keys), *keys, *self._script.args, *args)
            for command in commands:
                command(pipe)
            async with asyncio.timeout(ROUND_TRIP_TIMEOUT):
                return await pipe.execute(raise_on_error=False)

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        pending, self._pending = self._pending, []
        _fail(pending, StreamUnavailable("The stream hub is closed"))


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(StreamUnavailable(f"Redis refused a command: {result!r}"))
    else:
        future.set_result(result)


def _fail(batch: Sequence[tuple[object, asyncio.Future[Any]]], failure: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(failure)
