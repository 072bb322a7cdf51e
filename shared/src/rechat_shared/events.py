"""Versioned event contracts: the bus events between services and the SSE stream events.

Every service imports these models; nobody hand-builds event JSON. Bus events travel on the
topic exchange with their `type` as routing key; stream events travel through the stream hub
(Redis Streams + pub/sub) and out to browsers as SSE.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from rechat_shared.db import utcnow

SCHEMA_VERSION = 1

AppMode = Literal["chat", "agent-chat", "advanced-chat", "workflow", "completion"]
Role = Literal["admin", "user", "pending"]


def new_id() -> str:
    return str(uuid.uuid4())


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --------------------------------------------------------------------------- bus events


class BusEvent(_Model):
    """Fields every bus event has; `type` doubles as the routing key."""

    routing_key: ClassVar[str]
    event_id: str = Field(default_factory=new_id)
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = SCHEMA_VERSION


class DifyTarget(_Model):
    """Where the worker sends a request; the API key stays encrypted (SecretBox) in transit."""

    base_url: str
    api_key_encrypted: str
    mode: AppMode


class Timings(_Model):
    requested_at: datetime | None = None
    started_at: datetime | None = None
    first_token_at: datetime | None = None
    finished_at: datetime | None = None


class TurnEvent(BusEvent):
    """The ids every event about one chat turn carries (assigned by the gateway)."""

    user_id: str
    app_id: str
    conversation_id: str
    user_message_id: str
    message_id: str


class ChatRequested(TurnEvent):
    routing_key: ClassVar[str] = "chat.requested"
    type: Literal["chat.requested"] = "chat.requested"
    query: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    files: list[dict[str, Any]] = Field(default_factory=list)
    dify: DifyTarget
    dify_conversation_id: str | None = None
    dify_user: str
    regenerate_of: str | None = None
    """For a regenerated turn: the assistant message this one is a sibling of."""
    new_conversation: bool = False
    suggest_questions: bool = False
    """The app offers follow-up questions (`suggested_questions_after_answer`): the worker asks
    Dify for them once the answer has ended."""


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    total_price: str = "0"
    currency: str = "USD"
    latency: float | None = None


class ChatCompleted(TurnEvent):
    routing_key: ClassVar[str] = "chat.completed"
    type: Literal["chat.completed"] = "chat.completed"
    status: Literal["done", "stopped"]
    answer: str
    usage: Usage | None = None
    dify_conversation_id: str | None = None
    dify_message_id: str | None = None
    dify_task_id: str | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list)
    thoughts: list[dict[str, Any]] = Field(default_factory=list)
    nodes: list[dict[str, Any]] = Field(default_factory=list)
    files: list[dict[str, Any]] = Field(default_factory=list)
    suggested_questions: list[str] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)


class ChatFailed(TurnEvent):
    routing_key: ClassVar[str] = "chat.failed"
    type: Literal["chat.failed"] = "chat.failed"
    code: str
    message: str
    partial_answer: str = ""
    dify_conversation_id: str | None = None
    dify_message_id: str | None = None
    dify_task_id: str | None = None
    timings: Timings = Field(default_factory=Timings)


class ChatFeedback(BusEvent):
    routing_key: ClassVar[str] = "chat.feedback"
    type: Literal["chat.feedback"] = "chat.feedback"
    user_id: str
    message_id: str
    rating: Literal["like", "dislike"] | None
    content: str | None = None
    dify: DifyTarget | None = None
    dify_message_id: str | None = None
    dify_user: str | None = None


class ConversationTitled(BusEvent):
    routing_key: ClassVar[str] = "conversation.titled"
    type: Literal["conversation.titled"] = "conversation.titled"
    user_id: str
    conversation_id: str
    title: str


class ConversationChange(BusEvent):
    """A user's change to a conversation that Dify must mirror (history publishes it after the
    commit; the gateway, which holds the app's key, calls Dify)."""

    user_id: str
    conversation_id: str
    app_id: str
    dify_conversation_id: str | None = None


class ConversationDeleted(ConversationChange):
    routing_key: ClassVar[str] = "conversation.deleted"
    type: Literal["conversation.deleted"] = "conversation.deleted"


class ConversationRenamed(ConversationChange):
    routing_key: ClassVar[str] = "conversation.renamed"
    type: Literal["conversation.renamed"] = "conversation.renamed"
    title: str


class UserChanged(BusEvent):
    routing_key: ClassVar[str] = "user.changed"
    type: Literal["user.changed"] = "user.changed"
    user_id: str
    change: Literal["created", "updated", "deleted"]
    role: Role | None = None
    active: bool | None = None


AnyBusEvent = Annotated[
    ChatRequested
    | ChatCompleted
    | ChatFailed
    | ChatFeedback
    | ConversationTitled
    | ConversationDeleted
    | ConversationRenamed
    | UserChanged,
    Field(discriminator="type"),
]
bus_event_adapter: TypeAdapter[AnyBusEvent] = TypeAdapter(AnyBusEvent)


def parse_bus_event(body: bytes | str) -> AnyBusEvent:
    """Decode a bus message body into its typed event (raises pydantic.ValidationError)."""
    return bus_event_adapter.validate_json(body)


# --------------------------------------------------------------------------- stream events

StreamEventName = Literal[
    "start", "delta", "replace", "thought", "node", "file", "restart", "done", "error"
]
TERMINAL_STREAM_EVENTS: frozenset[str] = frozenset({"done", "error"})
GENERATION_FAILED: dict[str, str] = {
    "code": "generation_failed",
    "message": "The answer could not be generated. Please try again.",
}
"""The error of an answer whose request the workers gave up on (it was dead-lettered)."""


class StreamEvent(_Model):
    """One event of an answer's stream; `seq` is its SSE `id:` (1, 2, 3… per message)."""

    seq: int
    event: StreamEventName
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.event in TERMINAL_STREAM_EVENTS

    def to_sse(self) -> bytes:
        """The event framed for `text/event-stream`."""
        try:  # orjson: compact UTF-8 like the json call below, several times faster
            payload = orjson.dumps(self.data)
        except TypeError:  # what orjson refuses (integers beyond 64 bits...) json may still take
            payload = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()
        return b"id: %d\nevent: %s\ndata: %s\n\n" % (self.seq, self.event.encode(), payload)
