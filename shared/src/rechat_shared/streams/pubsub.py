"""One Redis pub/sub connection per process (one redis-py `PubSub`), multiplexing every channel
the process listens to: a single reader task dispatches each message to the listeners of its
channel.

`subscribe` returns once Redis confirmed the subscription, which is what makes "subscribe,
then read the log" race-free. After a lost connection the reader drops it and reconnects, and
redis-py resubscribes every channel; a second confirmation of a channel tells its listeners to
resync (their live feed may have missed messages meanwhile).

Only the reader task ever reads the connection. redis-py's own health check cannot be used on
it: the PING it sends inside the next command reads the reply itself, while the reader task
is already waiting on the socket (`read() called while another coroutine is already waiting`),
so the first SUBSCRIBE after an idle interval failed. The connection therefore comes from a
pool without health checks, and the mux keeps it alive itself: after `keepalive` seconds with
nothing heard, the sending task writes a PING, the reader reads its PONG like any other reply;
when nothing at all comes back within another `keepalive`, the connection is taken for dead
(a network cut, a frozen Redis) and replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rechat_shared.streams.base import StreamUnavailable

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 3.0
KEEPALIVE_SECONDS = 15.0
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


Command = Literal["subscribe", "unsubscribe", "ping"]


class PubSubMux:
    """`client` must be the mux's own, on a pool without health checks (see the module)."""

    def __init__(
        self,
        client: Redis,
        subscribe_timeout: float = SUBSCRIBE_TIMEOUT,
        keepalive: float = KEEPALIVE_SECONDS,
    ) -> None:
        self.subscribe_timeout = subscribe_timeout
        self.keepalive = keepalive
        self._pubsub = client.pubsub()
        self._channels: dict[bytes, _Channel] = {}
        # (command, channel) in call order: SUBSCRIBE after UNSUBSCRIBE of the same channel
        # must reach Redis in that order, so one task sends them all.
        self._commands: deque[tuple[Command, bytes]] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._last_heard = 0.0
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
            self._send("subscribe", name)
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
            self._send("unsubscribe", name)

    def _send(self, command: Command, name: bytes = b"") -> None:
        if self._closed:
            return
        self._commands.append((command, name))
        self._wakeup.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="stream-hub:pubsub-send")

    async def _write(self) -> None:
        """Send the queued commands, consecutive ones of a kind as one command."""
        while not self._closed:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._commands:
                command, name = self._commands.popleft()
                names = [name]
                while self._commands and self._commands[0][0] == command:
                    names.append(self._commands.popleft()[1])
                await self._execute(command, names)

    async def _execute(self, command: Command, names: list[bytes]) -> None:
        """Send one command; a failure fails the subscriptions waiting for it, never the
        sending task (it must outlive anything, or later subscriptions wait in vain)."""
        for attempt in range(_SEND_ATTEMPTS):
            try:
                if command == "subscribe":
                    await self._pubsub.subscribe(*names)
                elif command == "unsubscribe":
                    await self._pubsub.unsubscribe(*names)
                else:
                    await self._pubsub.ping()
                break
            except Exception as exc:
                logger.warning("pub/sub %s failed (%r)", command, exc)
                if attempt + 1 < _SEND_ATTEMPTS and isinstance(exc, _CONNECTION_ERRORS):
                    await self._drop_connection()  # the next attempt connects afresh
                    continue
                if command == "subscribe":  # not recorded by redis-py: never resubscribed
                    failure = StreamUnavailable(f"Redis is unavailable: {exc!r}")
                    for name in names:
                        entry = self._channels.get(name)
                        if entry is not None and not entry.confirmed.done():
                            entry.confirmed.set_exception(failure)
                return
        if command == "subscribe" and (self._reader is None or self._reader.done()):
            self._last_heard = asyncio.get_running_loop().time()
            self._reader = asyncio.create_task(self._read(), name="stream-hub:pubsub")
            self._keeper = asyncio.create_task(self._keep_alive(), name="stream-hub:keepalive")

    async def _keep_alive(self) -> None:
        """PING after `keepalive` seconds of silence; no reply at all within another
        `keepalive`: the connection is dead without saying so, replace it."""
        loop = asyncio.get_running_loop()
        while not self._closed:
            await asyncio.sleep(self.keepalive)
            if loop.time() - self._last_heard < self.keepalive:
                continue
            pinged_at = loop.time()
            self._send("ping")
            await asyncio.sleep(self.keepalive)
            if self._last_heard < pinged_at:
                logger.warning("pub/sub connection silent for %.0f s; reconnecting", self.keepalive)
                await self._drop_connection()

    async def _drop_connection(self) -> None:
        """Close the socket: a reader waiting on it wakes with an error, the next command or
        read connects again (and redis-py resubscribes every channel on connect)."""
        connection = self._pubsub.connection
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.disconnect(nowait=True)

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            try:
                response = await self._pubsub.parse_response(block=True)
                self._last_heard = loop.time()
                if _is_message(response):
                    # the hot path: a published event needs none of redis-py's bookkeeping
                    self._deliver(response[1], response[2])
                    continue
                message = await self._pubsub.handle_message(response)  # type: ignore[no-untyped-call]
            except _CONNECTION_ERRORS as exc:
                # redis-py leaves a failed pub/sub connection marked connected: drop it, so
                # the next read reconnects (and redis-py resubscribes every channel)
                logger.warning("pub/sub connection lost (%r); reconnecting", exc)
                await self._drop_connection()
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            except Exception:  # the one reader must outlive a surprise (e.g. a garbled reply)
                logger.exception("pub/sub read failed")
                await self._drop_connection()  # what the parser holds is unknown now
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
                self._send("unsubscribe", name)
            elif not entry.confirmed.done():
                entry.confirmed.set_result(None)
            else:  # subscribed again after a reconnect: live messages may have been missed
                for listener in list(entry.listeners):
                    listener.on_resync()

    async def close(self) -> None:
        self._closed = True
        for task in (self._writer, self._reader, self._keeper):
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
