"""One Redis pub/sub connection per process, multiplexing every channel the process listens
to: a single reader task dispatches each message to the listeners of its channel.

`subscribe` returns once Redis confirmed the subscription, which is what makes "subscribe,
then read the log" race-free. After a lost connection the reader reconnects, resubscribes,
and tells each listener to resync (its live feed may have missed messages meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rechat_shared.streams.base import StreamUnavailable

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 3.0
RECONNECT_DELAY = 0.5
_READ_SIZE = 1 << 16
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
    resync_on_confirm: bool = False


class PubSubMux:
    def __init__(self, client: Redis, subscribe_timeout: float = SUBSCRIBE_TIMEOUT) -> None:
        self.subscribe_timeout = subscribe_timeout
        self._client = client
        self._channels: dict[bytes, _Channel] = {}
        self._connection: AbstractConnection | None = None
        self._connected = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._closed = False

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Add a listener; returns when the channel's subscription is active."""
        if self._closed:
            raise StreamUnavailable("The stream hub is closed")
        self._start()
        name = channel.encode()
        entry = self._channels.get(name)
        if entry is None:
            entry = self._channels[name] = _Channel()
            entry.listeners.add(listener)
            self._send("SUBSCRIBE", name)
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
            self._send("UNSUBSCRIBE", name)

    def _start(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._run(), name="stream-hub:pubsub")

    def _send(self, *args: Any) -> None:
        """Queue a command; one writer sends them in call order (SUBSCRIBE after UNSUBSCRIBE
        of the same channel must reach Redis in that order)."""
        if self._connected.is_set():
            self._outbox.put_nowait(args)
        # otherwise the reader subscribes every known channel when it (re)connects

    async def _write(self, connection: AbstractConnection) -> None:
        try:
            while args := await self._outbox.get():
                await connection.send_command(*args, check_health=False)
        except _CONNECTION_ERRORS as exc:
            logger.warning("pub/sub connection lost while sending (%r)", exc)
            # the reader notices the broken connection too and reconnects

    async def _connect(self) -> AbstractConnection:
        connection: AbstractConnection = self._client.connection_pool.make_connection()  # type: ignore[no-untyped-call]
        await connection.connect()  # type: ignore[no-untyped-call]
        self._connection = connection
        while not self._outbox.empty():
            self._outbox.get_nowait()
        if self._channels:
            for entry in self._channels.values():
                entry.resync_on_confirm = entry.confirmed.done()
            self._outbox.put_nowait(("SUBSCRIBE", *self._channels))
        self._connected.set()
        return connection

    async def _run(self) -> None:
        while not self._closed:
            writer: asyncio.Task[None] | None = None
            try:
                connection = await self._connect()
                writer = asyncio.create_task(self._write(connection), name="stream-hub:send")
                await self._read(connection)
            except _CONNECTION_ERRORS as exc:
                logger.warning("pub/sub connection lost (%r); reconnecting", exc)
            finally:
                if writer is not None:
                    # Python 3.11's wait_for (inside redis-py) can swallow a cancellation:
                    # the empty command also tells the writer to stop.
                    self._outbox.put_nowait(())
                    await _stop(writer)
            await self._drop_connection()
            await asyncio.sleep(RECONNECT_DELAY)

    async def _read(self, connection: AbstractConnection) -> None:
        """Parse replies straight off the socket with hiredis: one read can carry hundreds of
        messages, and redis-py's per-reply path costs more than the rest of the hot path."""
        stream = connection._reader  # redis-py's StreamReader, idle once connected
        if stream is None:
            raise RedisConnectionError("pub/sub connection is not connected")
        parser = hiredis.Reader()
        while True:
            data = await stream.read(_READ_SIZE)
            if not data:
                raise RedisConnectionError("pub/sub connection closed by server")
            parser.feed(data)
            while (reply := parser.gets()) is not False:
                self._dispatch(reply)

    def _dispatch(self, response: Any) -> None:
        if not isinstance(response, list) or len(response) < 3:
            logger.warning("unexpected pub/sub reply %r", response)
            return
        kind, name = response[0], response[1]
        if kind == b"message":
            entry = self._channels.get(name)
            if entry is not None:
                for listener in list(entry.listeners):
                    listener.on_message(response[2])
        elif kind == b"subscribe":
            entry = self._channels.get(name)
            if entry is None:
                return
            if not entry.confirmed.done():
                entry.confirmed.set_result(None)
            if entry.resync_on_confirm:
                entry.resync_on_confirm = False
                for listener in list(entry.listeners):
                    listener.on_resync()

    async def _drop_connection(self) -> None:
        self._connected.clear()
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await connection.disconnect(nowait=True)

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            await _stop(self._reader)
        await self._drop_connection()
        for entry in self._channels.values():
            if not entry.confirmed.done():
                entry.confirmed.cancel()
        self._channels.clear()


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait until it finished, without raising what it raised."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        logger.debug("pub/sub task ended with %r", task.exception())
