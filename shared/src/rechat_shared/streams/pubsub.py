"""One Redis pub/sub connection per process (one redis-py `PubSub`), multiplexing every channel
the process listens to: a single reader task dispatches each message to the listeners of its
channel.

`subscribe` returns once Redis confirmed the subscription, which is what makes "subscribe,
then read the log" race-free. After a lost connection redis-py reconnects and resubscribes
every channel; a second confirmation of a channel tells its listeners to resync (their live
feed may have missed messages meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rechat_shared.streams.base import StreamUnavailable

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 3.0
RECONNECT_DELAY = 0.5
_STOP_TIMEOUT = 1.0
_SEND_ATTEMPTS = 2
_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


@dataclass(eq=False, slots=True)
class Listener:
    on_message: Callable[[bytes], None]
    on_resync: Callable[[], None]


@dataclass(slots=True)
class _Channel:
    listeners: set[Listener] = field(default_factory=set)
    confirmed: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class PubSubMux:
    def __init__(self, client: Redis, subscribe_timeout: float = SUBSCRIBE_TIMEOUT) -> None:
        self.subscribe_timeout = subscribe_timeout
        self._pubsub = client.pubsub()
        self._channels: dict[bytes, _Channel] = {}
        # (subscribe?, channel) in call order: SUBSCRIBE after UNSUBSCRIBE of the same channel
        # must reach Redis in that order, so one task sends them all.
        self._commands: deque[tuple[bool, bytes]] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Add a listener; returns when the channel's subscription is active."""
        if self._closed:
            raise StreamUnavailable("The stream hub is closed")
        name = channel.encode()
        entry = self._channels.get(name)
        if entry is None:
            entry = self._channels[name] = _Channel()
            entry.listeners.add(listener)
            self._send(True, name)
        else:
            entry.listeners.add(listener)
        try:
            async with asyncio.timeout(self.subscribe_timeout):
                await asyncio.shield(entry.confirmed)
        except TimeoutError as exc:
            self.unsubscribe(channel, listener)
            raise StreamUnavailable("Redis did not confirm the subscription") from exc
        except BaseException:
            self.unsubscribe(channel, listener)
            raise

    def unsubscribe(self, channel: str, listener: Listener) -> None:
        name = channel.encode()
        entry = self._channels.get(name)
        if entry is None:
            return
        entry.listeners.discard(listener)
        if not entry.listeners:
            del self._channels[name]
            if not entry.confirmed.done():
                entry.confirmed.cancel()
            self._send(False, name)

    def _send(self, subscribe: bool, name: bytes) -> None:
        if self._closed:
            return
        self._commands.append((subscribe, name))
        self._wakeup.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="stream-hub:pubsub-send")

    async def _write(self) -> None:
        """Send the queued commands, consecutive ones of a kind as one command."""
        while not self._closed:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._commands:
                subscribe, name = self._commands.popleft()
                names = [name]
                while self._commands and self._commands[0][0] == subscribe:
                    names.append(self._commands.popleft()[1])
                await self._execute(subscribe, names)

    async def _execute(self, subscribe: bool, names: list[bytes]) -> None:
        for attempt in range(_SEND_ATTEMPTS):
            try:
                if subscribe:
                    await self._pubsub.subscribe(*names)
                else:
                    await self._pubsub.unsubscribe(*names)
                break
            except _CONNECTION_ERRORS as exc:
                # redis-py reconnects after the failure: the next attempt may well succeed
                logger.warning("pub/sub command failed (%r)", exc)
                if attempt + 1 < _SEND_ATTEMPTS:
                    continue
                if subscribe:  # redis-py did not record them: they will not be resubscribed
                    failure = StreamUnavailable(f"Redis is unavailable: {exc!r}")
                    for name in names:
                        entry = self._channels.get(name)
                        if entry is not None and not entry.confirmed.done():
                            entry.confirmed.set_exception(failure)
                return
        if subscribe and (self._reader is None or self._reader.done()):
            self._reader = asyncio.create_task(self._read(), name="stream-hub:pubsub")

    async def _read(self) -> None:
        while not self._closed:
            try:
                response = await self._pubsub.parse_response(block=True)
                if _is_message(response):
                    # the hot path: a published event needs none of redis-py's bookkeeping
                    self._deliver(response[1], response[2])
                    continue
                message = await self._pubsub.handle_message(response)  # type: ignore[no-untyped-call]
            except _CONNECTION_ERRORS as exc:
                # the next read reconnects, and redis-py resubscribes every channel
                logger.warning("pub/sub connection lost (%r); reconnecting", exc)
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            except Exception:  # the one reader must outlive a surprise (e.g. a garbled reply)
                logger.exception("pub/sub read failed")
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            if message is not None:
                try:
                    self._dispatch(message)
                except Exception:  # a malformed message: the other channels go on
                    logger.exception("pub/sub message %r not delivered", message)

    def _deliver(self, channel: bytes, data: bytes) -> None:
        entry = self._channels.get(channel)
        if entry is not None:
            for listener in list(entry.listeners):
                try:
                    listener.on_message(data)
                except Exception:  # a malformed message: the other channels go on
                    logger.exception("pub/sub message on %r not delivered", channel)

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "message":
            self._deliver(message["channel"], message["data"])
        elif kind == "subscribe":
            name = message["channel"]
            entry = self._channels.get(name)
            if entry is None:  # left meanwhile (or resubscribed after a reconnect): drop it
                self._send(False, name)
            elif not entry.confirmed.done():
                entry.confirmed.set_result(None)
            else:  # subscribed again after a reconnect: live messages may have been missed
                for listener in list(entry.listeners):
                    listener.on_resync()

    async def close(self) -> None:
        self._closed = True
        for task in (self._writer, self._reader):
            if task is not None:
                await _stop(task)
        with contextlib.suppress(*_CONNECTION_ERRORS):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        for entry in self._channels.values():
            if not entry.confirmed.done():
                entry.confirmed.cancel()
        self._channels.clear()
        self._commands.clear()


def _is_message(response: Any) -> bool:
    """A RESP2 `[b"message", channel, data]` reply (what PUBLISH delivers)."""
    return isinstance(response, list) and len(response) == 3 and response[0] == b"message"


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait (briefly) until it finished, without raising what it raised."""
    task.cancel()
    await asyncio.wait({task}, timeout=_STOP_TIMEOUT)
    if task.done() and not task.cancelled() and task.exception() is not None:
        logger.debug("pub/sub task ended with %r", task.exception())
