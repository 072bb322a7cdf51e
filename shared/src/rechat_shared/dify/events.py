"""Typed models of every Dify streaming event (DIFY_API.md §2.5 and §3.3), and their parser.

Every model keeps unknown fields (``extra="allow"``), so an event re-serialised with
``model_dump(mode="json", exclude_unset=True)`` gives back exactly what the server sent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from rechat_shared.dify.errors import DifyProtocolError


class DifyModel(BaseModel):
    """Base of every Dify payload: keeps fields we do not model, so nothing is dropped."""

    model_config = ConfigDict(extra="allow")


class Usage(DifyModel):
    """LLM usage of ``message_end`` (prices are decimal strings on the wire)."""

    prompt_tokens: int = 0
    prompt_unit_price: Decimal | None = None
    prompt_price_unit: Decimal | None = None
    prompt_price: Decimal | None = None
    completion_tokens: int = 0
    completion_unit_price: Decimal | None = None
    completion_price_unit: Decimal | None = None
    completion_price: Decimal | None = None
    total_tokens: int = 0
    total_price: Decimal | None = None
    currency: str | None = None
    latency: float | None = None
    time_to_first_token: float | None = None
    time_to_generate: float | None = None


class RetrieverResource(DifyModel):
    """One citation (``RetrievalSourceMetadata``)."""

    position: int | None = None
    dataset_id: str | None = None
    dataset_name: str | None = None
    document_id: str | None = None
    document_name: str | None = None
    data_source_type: str | None = None
    segment_id: str | None = None
    retriever_from: str | None = None
    score: float | None = None
    hit_count: int | None = None
    word_count: int | None = None
    segment_position: int | None = None
    index_node_hash: str | None = None
    content: str | None = None
    page: int | None = None
    doc_metadata: Any = None
    title: str | None = None


class MessageMetadata(DifyModel):
    """``metadata`` of ``message_end`` and of blocking answers."""

    annotation_reply: Any = None
    retriever_resources: list[RetrieverResource] = Field(default_factory=list)
    usage: Usage | None = None


class _ChatCommon(DifyModel):
    """Fields every chat-family event carries (absent ones stay ``None``)."""

    conversation_id: str | None = None
    message_id: str | None = None
    created_at: int | None = None
    task_id: str | None = None


class MessageEvent(_ChatCommon):
    """A text delta of the answer (chat, chatflow, completion)."""

    event: Literal["message"]
    id: str | None = None
    answer: str = ""
    from_variable_selector: list[str] | None = None


class AgentMessageEvent(_ChatCommon):
    """A text delta of an agent-chat answer."""

    event: Literal["agent_message"]
    id: str | None = None
    answer: str = ""


class AgentThoughtEvent(_ChatCommon):
    """An agent step; the same ``id`` is re-sent as it fills in."""

    event: Literal["agent_thought"]
    id: str
    position: int = 1
    thought: str | None = ""
    observation: str | None = ""
    tool: str | None = ""
    tool_labels: dict[str, Any] = Field(default_factory=dict)
    tool_input: str | None = ""
    message_files: list[str] = Field(default_factory=list)


class MessageFileEvent(_ChatCommon):
    """A file produced by the assistant; in 1.11-1.12 also a mis-named text delta."""

    event: Literal["message_file"]
    id: str | None = None
    type: str | None = None
    belongs_to: str | None = None
    url: str | None = None
    answer: str | None = None

    @property
    def text_delta(self) -> str | None:
        """The text when this is the 1.11-1.12 text-chunk variant (``answer``, no ``url``)."""
        return self.answer if self.answer is not None and not self.url else None


class MessageEndEvent(_ChatCommon):
    """Terminal event of the chat family: usage and citations."""

    event: Literal["message_end"]
    id: str | None = None
    metadata: MessageMetadata = Field(default_factory=MessageMetadata)
    files: list[Any] | None = None


class MessageReplaceEvent(_ChatCommon):
    """Replaces the whole answer so far (output moderation)."""

    event: Literal["message_replace"]
    answer: str = ""
    reason: str | None = None


class TtsMessageEvent(_ChatCommon):
    """A base64 MP3 chunk (TTS autoplay)."""

    event: Literal["tts_message"]
    audio: str = ""
    workflow_run_id: str | None = None


class TtsMessageEndEvent(_ChatCommon):
    """End of the TTS audio."""

    event: Literal["tts_message_end"]
    audio: str = ""
    workflow_run_id: str | None = None


class ErrorEvent(_ChatCommon):
    """A failure reported inside the stream (terminal)."""

    event: Literal["error"]
    code: str = "unknown"
    status: int = 500
    message: str = ""
    workflow_run_id: str | None = None


class PingEvent(DifyModel):
    """The bare ``event: ping`` keep-alive."""

    event: Literal["ping"] = "ping"


class WorkflowStartedData(DifyModel):
    id: str
    workflow_id: str | None = None
    sequence_number: int | None = None
    inputs: dict[str, Any] | None = None
    created_at: int | None = None


class NodeData(DifyModel):
    """``data`` of node_started / node_finished / node_retry."""

    id: str
    node_id: str
    node_type: str
    title: str | None = None
    index: int | None = None
    predecessor_node_id: str | None = None
    inputs: Any = None
    created_at: int | None = None
    extras: dict[str, Any] | None = None
    iteration_id: str | None = None
    loop_id: str | None = None
    process_data: Any = None
    outputs: Any = None
    status: str | None = None
    error: str | None = None
    elapsed_time: float | None = None
    execution_metadata: dict[str, Any] | None = None
    finished_at: int | None = None
    files: list[Any] | None = None
    retry_index: int | None = None


class WorkflowCreatedBy(DifyModel):
    id: str | None = None
    user: str | None = None


class WorkflowFinishedData(DifyModel):
    id: str
    workflow_id: str | None = None
    sequence_number: int | None = None
    status: str
    outputs: dict[str, Any] | None = None
    error: str | None = None
    elapsed_time: float | None = None
    total_tokens: int | None = None
    total_steps: int | None = None
    created_by: WorkflowCreatedBy | None = None
    created_at: int | None = None
    finished_at: int | None = None
    exceptions_count: int | None = None
    files: list[Any] | None = None


class TextChunkData(DifyModel):
    text: str = ""
    from_variable_selector: list[str] | None = None


class ContainerData(DifyModel):
    """``data`` of iteration_* / loop_* events."""

    id: str
    node_id: str
    node_type: str | None = None
    title: str | None = None
    index: int | None = None
    inputs: Any = None
    outputs: Any = None
    status: str | None = None
    error: str | None = None
    elapsed_time: float | None = None
    created_at: int | None = None
    finished_at: int | None = None
    steps: int | None = None


class AgentLogData(DifyModel):
    node_execution_id: str | None = None
    id: str
    label: str | None = None
    parent_id: str | None = None
    error: str | None = None
    status: str | None = None
    data: Any = None
    metadata: Any = None
    node_id: str | None = None


class _WorkflowCommon(_ChatCommon):
    workflow_run_id: str | None = None


class WorkflowStartedEvent(_WorkflowCommon):
    event: Literal["workflow_started"]
    data: WorkflowStartedData


class NodeStartedEvent(_WorkflowCommon):
    event: Literal["node_started"]
    data: NodeData


class NodeFinishedEvent(_WorkflowCommon):
    event: Literal["node_finished"]
    data: NodeData


class NodeRetryEvent(_WorkflowCommon):
    event: Literal["node_retry"]
    data: NodeData


class IterationEvent(_WorkflowCommon):
    event: Literal["iteration_started", "iteration_next", "iteration_completed"]
    data: ContainerData


class LoopEvent(_WorkflowCommon):
    event: Literal["loop_started", "loop_next", "loop_completed"]
    data: ContainerData


class AgentLogEvent(_WorkflowCommon):
    event: Literal["agent_log"]
    data: AgentLogData


class WorkflowFinishedEvent(_WorkflowCommon):
    """Terminal event of workflow apps; one of the two terminals of chatflows."""

    event: Literal["workflow_finished"]
    data: WorkflowFinishedData


class TextChunkEvent(_WorkflowCommon):
    """A text delta of a workflow app."""

    event: Literal["text_chunk"]
    data: TextChunkData


class TextReplaceEvent(_WorkflowCommon):
    event: Literal["text_replace"]
    data: TextChunkData


class UnknownEvent(DifyModel):
    """An event this client does not know (a newer server): passed through untouched."""

    event: str


_KnownEventTypes = (
    MessageEvent
    | AgentMessageEvent
    | AgentThoughtEvent
    | MessageFileEvent
    | MessageEndEvent
    | MessageReplaceEvent
    | TtsMessageEvent
    | TtsMessageEndEvent
    | ErrorEvent
    | PingEvent
    | WorkflowStartedEvent
    | NodeStartedEvent
    | NodeFinishedEvent
    | NodeRetryEvent
    | IterationEvent
    | LoopEvent
    | AgentLogEvent
    | WorkflowFinishedEvent
    | TextChunkEvent
    | TextReplaceEvent
)
KnownEvent = Annotated[_KnownEventTypes, Field(discriminator="event")]
DifyEvent = _KnownEventTypes | UnknownEvent

_KNOWN: TypeAdapter[Any] = TypeAdapter(KnownEvent)
PING = PingEvent()


def parse_event(data: str | bytes, event_name: str | None = None) -> DifyEvent:
    """Parse one SSE frame (its ``data`` and optional ``event:`` name) into a typed event.

    Raises DifyProtocolError when the data is not a JSON object with a string ``event``.
    """
    if not data:
        if event_name == "ping":
            return PING
        if event_name:
            return UnknownEvent(event=event_name)
        raise DifyProtocolError("SSE frame without data")
    try:
        event: DifyEvent = _KNOWN.validate_json(data)
        return event
    except ValidationError as exc:
        return _fallback(data, exc)


def _fallback(data: str | bytes, exc: ValidationError) -> DifyEvent:
    try:
        payload = json.loads(data)
    except ValueError as bad_json:
        raise DifyProtocolError(f"SSE data is not JSON: {bad_json}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise DifyProtocolError("SSE data is not an object with an 'event' field")
    if exc.errors()[0]["type"] == "union_tag_invalid":
        return UnknownEvent.model_validate(payload)
    raise DifyProtocolError(f"malformed {payload['event']!r} event: {exc.errors()[0]['msg']}")


TERMINAL_EVENTS = frozenset({"message_end", "workflow_finished", "error"})
