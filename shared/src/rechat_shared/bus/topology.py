"""The RabbitMQ topology of DESIGN §3 as data: exchanges, queues, bindings, dead-lettering.

Both bus implementations read it, so the in-process bus routes exactly like the broker.

- `rechat.events` (topic): every bus event under its routing key (`chat.requested`, ...).
- `dify-worker.requests` ← `chat.requested`; `dify-worker.feedback` ← `chat.feedback`.
  Both dead-letter into `rechat.dead` (topic, original routing key kept).
- `history.events` ← `chat.*`, `conversation.*`, `user.changed`, and every dead letter
  (`rechat.dead` / `#`) so history can mark a request that kept failing as failed.
- `chat-gateway.failed-requests` ← the dead-lettered `chat.requested`: the gateway ends the
  stream of a request the workers gave up on with an `error` and frees its conversation. It
  dead-letters nowhere (a notice that keeps failing is dropped after the delivery limit;
  history has the answer's failed state from its own copy).
- `chat-gateway.conversations` ← `conversation.deleted`, `conversation.renamed`: the gateway
  (which holds the apps' keys) mirrors a user's delete or rename to Dify. It dead-letters
  nowhere either (Dify keeps the conversation if it keeps refusing).
- History's own poison messages cannot go back to `rechat.dead` (they would loop into
  `history.events`), so that queue dead-letters into `rechat.parked` → `history.parked`, kept
  for an operator to inspect.

All queues are durable quorum queues with `x-delivery-limit`; every name gets the deployment
prefix (`RABBITMQ_PREFIX`, per-run in tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rechat_shared.bus.base import DEFAULT_DELIVERY_LIMIT

EVENTS_EXCHANGE = "rechat.events"
DEAD_EXCHANGE = "rechat.dead"
PARKED_EXCHANGE = "rechat.parked"

REQUESTS_QUEUE = "dify-worker.requests"
FEEDBACK_QUEUE = "dify-worker.feedback"
FAILED_REQUESTS_QUEUE = "chat-gateway.failed-requests"
CONVERSATIONS_QUEUE = "chat-gateway.conversations"
HISTORY_QUEUE = "history.events"
PARKED_QUEUE = "history.parked"

ExchangeType = Literal["topic", "fanout"]


@dataclass(frozen=True, slots=True)
class ExchangeSpec:
    name: str
    type: ExchangeType


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    bindings: tuple[tuple[str, str], ...]
    """(exchange, routing-key pattern) pairs, logical names."""
    dead_letter_exchange: str | None
    limited: bool = True
    """Whether the queue has `x-delivery-limit` (the parking queue has none)."""


EXCHANGES: tuple[ExchangeSpec, ...] = (
    ExchangeSpec(EVENTS_EXCHANGE, "topic"),
    ExchangeSpec(DEAD_EXCHANGE, "topic"),
    ExchangeSpec(PARKED_EXCHANGE, "fanout"),
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(REQUESTS_QUEUE, ((EVENTS_EXCHANGE, "chat.requested"),), DEAD_EXCHANGE),
    QueueSpec(FEEDBACK_QUEUE, ((EVENTS_EXCHANGE, "chat.feedback"),), DEAD_EXCHANGE),
    QueueSpec(FAILED_REQUESTS_QUEUE, ((DEAD_EXCHANGE, "chat.requested"),), None),
    QueueSpec(
        CONVERSATIONS_QUEUE,
        ((EVENTS_EXCHANGE, "conversation.deleted"), (EVENTS_EXCHANGE, "conversation.renamed")),
        None,
    ),
    QueueSpec(
        HISTORY_QUEUE,
        (
            (EVENTS_EXCHANGE, "chat.*"),
            (EVENTS_EXCHANGE, "conversation.*"),
            (EVENTS_EXCHANGE, "user.changed"),
            (DEAD_EXCHANGE, "#"),
        ),
        PARKED_EXCHANGE,
    ),
    QueueSpec(PARKED_QUEUE, ((PARKED_EXCHANGE, ""),), None, limited=False),
)

QUEUE_NAMES: frozenset[str] = frozenset(queue.name for queue in QUEUES)


@dataclass(frozen=True, slots=True)
class Topology:
    """The topology under one name prefix, with the delivery limit of this deployment."""

    prefix: str = ""
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    def name(self, logical: str) -> str:
        return f"{self.prefix}{logical}"

    def logical(self, name: str) -> str:
        """The logical name of a prefixed exchange or queue name."""
        return name.removeprefix(self.prefix) if self.prefix else name

    def queue_arguments(self, queue: QueueSpec) -> dict[str, str | int]:
        arguments: dict[str, str | int] = {"x-queue-type": "quorum"}
        if queue.limited:
            arguments["x-delivery-limit"] = self.delivery_limit
        if queue.dead_letter_exchange is not None:
            arguments["x-dead-letter-exchange"] = self.name(queue.dead_letter_exchange)
        return arguments


def queue_spec(name: str) -> QueueSpec:
    """The spec of a logical queue name; raises `ValueError` for an unknown queue."""
    for queue in QUEUES:
        if queue.name == name:
            return queue
    raise ValueError(f"unknown queue {name!r}; expected one of {sorted(QUEUE_NAMES)}")


def topology_names(prefix: str) -> list[tuple[Literal["queue", "exchange"], str]]:
    """Every queue and exchange under `prefix`, queues first (test clean-up deletes them)."""
    names: list[tuple[Literal["queue", "exchange"], str]] = [
        ("queue", f"{prefix}{queue.name}") for queue in QUEUES
    ]
    names.extend(("exchange", f"{prefix}{exchange.name}") for exchange in EXCHANGES)
    return names
