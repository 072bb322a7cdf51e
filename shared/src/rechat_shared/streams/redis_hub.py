"""Stream hub on Redis (DESIGN §4): per-message sequence numbers, a capped and expiring Redis
Stream as replay log, pub/sub for live delivery, and the stop signal.

`append` is one Lua script, so sequencing, XADD, EXPIRE and PUBLISH cost one round trip and
are atomic: a live event is always in the log already. The appends that pile up while a batch
is in flight run as one call of the script (see `autopipeline`). Log entry ids are `{seq}-0`,
so "events after n" is a plain `XRANGE log n+1 +`. The counter outlives the log by a minute,
so a log id can never go backwards (XADD would refuse it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.exceptions import RedisError

from rechat_shared.events import StreamEvent, StreamEventName
from rechat_shared.redis import Keys, connection_options
from rechat_shared.settings import DEFAULT_REDIS_HEALTH_CHECK_SECONDS
from rechat_shared.streams.autopipeline import AutoPipeline, BatchScript
from rechat_shared.streams.base import (
    DEFAULT_CANCEL_TTL_SECONDS,
    DEFAULT_LOG_MAXLEN,
    DEFAULT_LOG_TTL_SECONDS,
    StreamGap,
    StreamStatus,
    StreamUnavailable,
)
from rechat_shared.streams.cancel import CancelWatch
from rechat_shared.streams.pubsub import SUBSCRIBE_TIMEOUT, Listener, PubSubMux
from rechat_shared.streams.subscription import RESYNC, LogSubscription
from rechat_shared.streams.wire import decode_live, dump_data, event_from_entry

logger = logging.getLogger(__name__)

_ARM_RETRY_SECONDS = 0.1
_ARM_RETRY_MAX_SECONDS = 2.0

# KEYS: seq, log, channel of each event. ARGV: log ttl, log maxlen, then name, data, seq,
# first of each (seq 0: the next number). The seq key holds the highest number in the log and
# outlives it by a minute, so ids never go backwards. Reply per event: its seq when added,
# 0 when it was in the log already, -(top + 1) when the log ends at `top` < seq - 1 (a gap).
_APPEND = """
local ttl, maxlen = tonumber(ARGV[1]), ARGV[2]
local replies = {}
for i = 1, #KEYS / 3 do
  local seq_key, log, channel = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local name, data = ARGV[4 * i - 1], ARGV[4 * i]
  local seq, first = tonumber(ARGV[4 * i + 1]), tonumber(ARGV[4 * i + 2])
  local top = tonumber(redis.call('GET', seq_key) or '0')
  if seq == 0 then seq = top + 1 end
  if seq <= top then
    replies[i] = 0
  elseif seq > top + 1 and seq ~= first then
    replies[i] = -(top + 1)
  else
    local added = redis.pcall('XADD', log, 'MAXLEN', '~', maxlen, seq .. '-0', 'e', name, 'd', data)
    if type(added) == 'table' and added.err then
      replies[i] = tostring(added.err)
    else
      redis.call('SET', seq_key, seq, 'EX', ttl + 60)
      redis.call('EXPIRE', log, ttl)
      redis.call('PUBLISH', channel, seq .. ' ' .. name .. ' ' .. data)
      replies[i] = seq
    end
  end
end
return replies
"""


class RedisStreamHub:
    """`StreamHub` on Redis: one command pool plus one pub/sub connection for the process."""

    def __init__(
        self,
        url: str,
        prefix: str = "rechat:",
        *,
        log_ttl: int = DEFAULT_LOG_TTL_SECONDS,
        log_maxlen: int = DEFAULT_LOG_MAXLEN,
        cancel_ttl: int = DEFAULT_CANCEL_TTL_SECONDS,
        client_name: str | None = None,
        max_connections: int = 32,
        subscribe_timeout: float = SUBSCRIBE_TIMEOUT,
        health_check_seconds: float = DEFAULT_REDIS_HEALTH_CHECK_SECONDS,
    ) -> None:
        self.prefix = prefix
        self.keys = Keys(prefix)
        self.log_ttl = log_ttl
        self.log_maxlen = log_maxlen
        self.cancel_ttl = cancel_ttl
        # Blocking pool: a burst of attaches (each reads its log) waits for a free connection
        # instead of failing.
        # Its connections heal on first use (`connection_options`): a retried append is safe,
        # the worker numbers its events and the script adds each number once.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=5,
            client_name=client_name,
            **connection_options(health_check_seconds),
            # RESP2: redis-py's RESP3 path handles every pub/sub message as a push notification
            # (a logger lookup and a debug call per message); the replies are the same to us
            protocol=2,
        )
        self._client = Redis.from_pool(pool)
        script = BatchScript(_APPEND, keys_per_item=3, args_per_item=4, args=(log_ttl, log_maxlen))
        self._pipeline = AutoPipeline(self._client, script)
        # The pub/sub connection has a pool of its own without redis-py's health check, whose
        # PING would race the mux's reader for the socket; the mux keeps it alive itself.
        pubsub_pool = ConnectionPool.from_url(
            url,
            max_connections=1,
            health_check_interval=0,
            socket_keepalive=True,
            socket_connect_timeout=3,
            socket_timeout=5,
            client_name=client_name,
            protocol=2,
            driver_info=None,  # as `connection_options`: no CLIENT SETINFO
        )
        self._pubsub_client = Redis.from_pool(pubsub_pool)
        self._mux = PubSubMux(self._pubsub_client, subscribe_timeout, health_check_seconds)
        self._idle_resync = health_check_seconds
        self._open: set[LogSubscription] = set()

    def channel(self, message_id: str) -> str:
        return self.keys.stream_channel(message_id)

    def cancel_key(self, message_id: str) -> str:
        return self.keys.stream_cancel(message_id)

    async def append(
        self,
        message_id: str,
        event: StreamEventName,
        data: dict[str, Any] | None = None,
        *,
        seq: int | None = None,
        first: int = 1,
    ) -> StreamEvent:
        data = data or {}
        keys = (
            self.keys.stream_seq(message_id),
            self.keys.stream_log(message_id),
            self.keys.stream_channel(message_id),
        )
        reply = int(await self._pipeline.run_item(keys, (event, dump_data(data), seq or 0, first)))
        if reply < 0:
            raise StreamGap(-reply - 1)
        return StreamEvent(seq=reply or seq or 0, event=event, data=data)

    async def _read_log(self, message_id: str, after: int) -> list[StreamEvent]:
        log = self.keys.stream_log(message_id)
        entries = await self._pipeline.execute(lambda pipe: pipe.xrange(log, after + 1, "+"))
        return [event_from_entry(entry_id, fields) for entry_id, fields in entries]

    @asynccontextmanager
    async def attach(
        self, message_id: str, last_event_id: int | None = None, *, new: bool = False
    ) -> AsyncIterator[LogSubscription]:
        async def read_log(after: int) -> list[StreamEvent]:
            return await self._read_log(message_id, after)

        async def read_last() -> StreamEvent | None:
            return (await self.status(message_id)).last

        subscription = LogSubscription(
            read_log, read_last, last_event_id, replay=not new, idle_resync=self._idle_resync
        )
        live = subscription.live

        def on_message(payload: bytes) -> None:
            live.put_nowait(decode_live(payload))

        listener = Listener(on_message, lambda: live.put_nowait(RESYNC))
        channel = self.channel(message_id)
        await self._mux.subscribe(channel, listener)
        self._open.add(subscription)
        try:
            yield subscription
        finally:
            self._open.discard(subscription)
            self._mux.unsubscribe(channel, listener)

    async def status(self, message_id: str) -> StreamStatus:
        log = self.keys.stream_log(message_id)
        # through the pipeline: whatever redis-py raises on a broken connection arrives as
        # StreamUnavailable (it also raised AttributeError and RuntimeError mid-reconnect)
        entries = await self._pipeline.execute(lambda pipe: pipe.xrevrange(log, count=1))
        if not entries:
            return StreamStatus(exists=False, last=None)
        entry_id, fields = entries[0]
        return StreamStatus(exists=True, last=event_from_entry(entry_id, fields))

    async def request_cancel(self, message_id: str) -> None:
        key = self.cancel_key(message_id)
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.set(key, b"1", ex=self.cancel_ttl)
            pipe.publish(key, b"1")
            await pipe.execute()

    async def cancelled(self, message_id: str) -> bool:
        return bool(await self._client.exists(self.cancel_key(message_id)))

    @asynccontextmanager
    async def watch_cancel(self, message_id: str) -> AsyncIterator[CancelWatch]:
        """The watch is armed in the background (subscribe, then look for a stop asked
        before), so those two round trips do not delay the worker's call to Dify. Arming
        retries while Redis is away; after a reconnect the stop key is read again, since a
        stop published meanwhile never reached the connection."""
        watch = CancelWatch()
        key = self.cancel_key(message_id)
        checks: set[asyncio.Task[None]] = set()

        async def look() -> None:
            with contextlib.suppress(StreamUnavailable, RedisError, OSError):
                if await self.cancelled(message_id):  # asked while we were not listening
                    watch.set()

        def on_resync() -> None:
            task = asyncio.create_task(look(), name="stream-hub:watch-cancel-resync")
            checks.add(task)
            task.add_done_callback(checks.discard)

        listener = Listener(lambda _: watch.set(), on_resync)

        async def arm() -> None:
            delay = _ARM_RETRY_SECONDS
            while True:
                try:
                    await self._mux.subscribe(key, listener)
                    break
                except (StreamUnavailable, RedisError, OSError) as exc:
                    logger.warning("the stop watch of %s waits for Redis: %r", message_id, exc)
                    await asyncio.sleep(delay)
                    delay = min(2 * delay, _ARM_RETRY_MAX_SECONDS)
            await look()

        arming = asyncio.create_task(arm(), name="stream-hub:watch-cancel")
        try:
            yield watch
        finally:
            for task in (arming, *checks):
                task.cancel()
            await asyncio.gather(arming, *checks, return_exceptions=True)
            self._mux.unsubscribe(key, listener)

    async def close(self) -> None:
        for subscription in list(self._open):
            subscription.close()
        await self._mux.close()
        await self._pipeline.close()
        await self._client.aclose()
        await self._pubsub_client.aclose()
