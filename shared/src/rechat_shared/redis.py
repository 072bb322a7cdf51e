"""Redis clients, and every name services share through Redis (keys, channels) or Dify.

`memory://` gives an in-process server for embedded mode.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rechat_shared.settings import DEFAULT_REDIS_HEALTH_CHECK_SECONDS, is_memory_url

_memory_servers: dict[str, Any] = {}

COMMAND_TIMEOUT_SECONDS = 5.0
"""A reply slower than this means Redis is frozen or cut off: the command fails (and is
retried on a fresh connection) instead of holding its caller forever."""


def connection_options(health_check_seconds: float) -> dict[str, Any]:
    """How every pooled Redis connection of ReChat behaves.

    A connection broken by a Redis restart or a network cut heals on first use: the command
    that finds it broken reconnects and runs again (twice at most, 50 then 100 ms apart), so
    a pool full of dead connections costs no failed request. A connection idle for
    `health_check_seconds` is PINGed before use. Only for connections with one user at a time:
    a pub/sub connection needs its own keep-alive (`rechat_shared.streams.pubsub`).
    """
    return {
        "health_check_interval": health_check_seconds,
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "socket_keepalive": True,
        "socket_connect_timeout": 3,
        "socket_timeout": COMMAND_TIMEOUT_SECONDS,
        # no CLIENT SETINFO on connect: Redis < 7.2 answers it with an error, and a health-check
        # PING sent in between read that error as its own reply, failing a request right after
        # a (re)connect with "unknown subcommand 'SETINFO'"
        "driver_info": None,
    }


def create_redis(
    url: str,
    *,
    max_connections: int = 50,
    pool_timeout: float = 5.0,
    health_check_seconds: float = DEFAULT_REDIS_HEALTH_CHECK_SECONDS,
) -> Redis:
    """A bytes client for the URL; `memory://name` shares one in-process server per name.

    The pool blocks: a burst of requests waits up to `pool_timeout` for a free connection
    instead of failing (redis-py's default pool raises once it is exhausted). Connections
    heal on first use (`connection_options`).
    """
    if is_memory_url(url):
        import fakeredis  # imported lazily: only embedded mode needs it

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        client: Redis = fakeredis.FakeAsyncRedis(server=server)
        return client
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        **connection_options(health_check_seconds),
    )
    return Redis(connection_pool=pool)


def dify_user_id(user_id: str) -> str:
    """The stable per-account end-user id Dify keeps its own history under; the gateway sends
    it with every request and the worker rebuilds it for feedback on older messages."""
    return f"rechat-{user_id}"


class Keys:
    """The one place that names a Redis key or channel; every key lives under the prefix.

    A key another service reads is spelled here once, and both sides call the same method.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # -- written by the worker, read by the gateway -----------------------------------------
    def dify_conversation(self, conversation_id: str) -> str:
        """Dify's conversation id for one of ours (the worker learns it from Dify's first event)."""
        return self._key("conv", conversation_id, "dify")

    def dify_message(self, message_id: str) -> str:
        """Dify's message id for one of our answers (feedback and regeneration need it)."""
        return self._key("msg", message_id, "dify")

    def generation_lease(self, message_id: str) -> str:
        """The worker generating an answer, renewed while it runs (`rechat_worker.lease`)."""
        return self._key("msg", message_id, "worker")

    # -- written by history when the user deletes, read by the gateway and the worker --------
    def conversation_deleted(self, conversation_id: str) -> str:
        """A deleted conversation (`rechat_shared.conversation_tombstone`)."""
        return self._key("conv", conversation_id, "deleted")

    # -- taken by the gateway, freed by the worker ------------------------------------------
    def conversation_lock(self, conversation_id: str) -> str:
        """Held by the answer being generated in the conversation (one turn at a time)."""
        return self._key("conv", conversation_id, "lock")

    # -- written by auth, read by every token verifier --------------------------------------
    def user_state(self, user_id: str) -> str:
        """The hash of `live` (written with every token minted; verifiers refuse users without
        it), `nbf` (tokens issued before are void), `disabled` and `ended:{sid}` (sessions that
        logged out); see `rechat_shared.security`."""
        return self._key("auth", "user", user_id)

    # -- the stream hub: written by the worker, read by the gateway -------------------------
    def stream_channel(self, message_id: str) -> str:
        """The pub/sub channel live events of one answer go out on."""
        return self._key("stream", message_id)

    def stream_log(self, message_id: str) -> str:
        """The Redis stream an answer's events are kept in for replay."""
        return self._key("stream", message_id, "log")

    def stream_seq(self, message_id: str) -> str:
        """The counter numbering an answer's events."""
        return self._key("stream", message_id, "seq")

    def stream_cancel(self, message_id: str) -> str:
        """Set by the gateway when the user stops an answer; the worker watches it."""
        return self._key("cancel", message_id)

    # -- one service's own keys ---------------------------------------------------------------
    def gateway_message(self, message_id: str) -> str:
        """The gateway's record of an answer: who asked what, where."""
        return self._key("gateway", "message", message_id)

    def conversation_last_answer(self, conversation_id: str) -> str:
        """The conversation's newest answer: the only one regenerate may replace."""
        return self._key("conv", conversation_id, "last")

    def conversation_owner(self, conversation_id: str) -> str:
        """Who owns a new conversation until history has consumed it."""
        return self._key("conv", conversation_id, "owner")

    def chat_rate(self, user_id: str) -> str:
        """A user's recent chat requests (a sorted set by time: the sliding rate window)."""
        return self._key("gateway", "rate", user_id)

    def answers_in_flight(self, user_id: str) -> str:
        """A user's answers being generated ("{conversation} {message}", scored by expiry);
        one whose conversation lock it no longer holds has ended."""
        return self._key("gateway", "in-flight", user_id)

    def app_parameters(self, app_id: str, version: str) -> str:
        """An app's cached Dify parameters (per version of its configuration)."""
        return self._key("gateway", "app-parameters", app_id, version)

    def login_attempts_by_email(self, email_digest: str) -> str:
        return self._key("auth", "login", "email", email_digest)

    def login_attempts_by_ip(self, ip: str) -> str:
        return self._key("auth", "login", "ip", ip)

    def login_attempts_by_source(self, email_and_ip_digest: str) -> str:
        """Failed logins at one account from one client address."""
        return self._key("auth", "login", "pair", email_and_ip_digest)

    def login_known_sources(self, email_digest: str) -> str:
        """The (digested) client addresses an account signed in from lately."""
        return self._key("auth", "login", "known", email_digest)

    def password_checks(self, user_id: str) -> str:
        """Wrong current passwords given by a signed-in account (password change)."""
        return self._key("auth", "password-check", user_id)
