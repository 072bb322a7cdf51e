"""Turn an AMQP delivery into a `Delivery`: typed event, redelivery count, dead-letter info."""

from __future__ import annotations

from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from rechat_shared.bus.base import DeadLetter, Delivery
from rechat_shared.bus.consuming import TRACE_HEADER
from rechat_shared.bus.topology import Topology
from rechat_shared.events import parse_bus_event


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def _dead_letter(headers: dict[str, Any], topology: Topology) -> DeadLetter | None:
    deaths = headers.get("x-death")
    if not isinstance(deaths, list) or not deaths or not isinstance(deaths[0], dict):
        return None
    latest = deaths[0]  # RabbitMQ keeps the most recent death first
    routing_keys = latest.get("routing-keys") or [""]
    return DeadLetter(
        reason=_text(latest.get("reason")) or "unknown",
        queue=topology.logical(_text(latest.get("queue")) or ""),
        original_routing_key=_text(routing_keys[0]) or "",
        count=int(latest.get("count", 1)),
    )


def decode_delivery(message: AbstractIncomingMessage, topology: Topology) -> Delivery:
    """Raises `pydantic.ValidationError` when the body is not a bus event we know."""
    event = parse_bus_event(message.body)
    headers: dict[str, Any] = dict(message.headers or {})
    return Delivery(
        event=event,
        routing_key=message.routing_key or event.routing_key,
        message_id=message.message_id,
        trace_id=_text(headers.get(TRACE_HEADER)),
        redelivered=bool(message.redelivered),
        delivery_count=int(headers.get("x-delivery-count", 0) or 0),
        dead_letter=_dead_letter(headers, topology),
    )
