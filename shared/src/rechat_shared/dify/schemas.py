"""Request bodies and non-streaming response models of the Dify Service API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rechat_shared.dify.events import DifyModel, MessageMetadata, RetrieverResource

FileType = Literal["image", "document", "audio", "video", "custom"]


class FileRef(BaseModel):
    """A file attached to a request: an uploaded file id or a remote URL."""

    type: FileType = "image"
    transfer_method: Literal["local_file", "remote_url"] = "local_file"
    upload_file_id: str | None = None
    url: str | None = None


class ChatRequest(BaseModel):
    """Body of ``POST /chat-messages`` (``response_mode`` is set by the client method)."""

    model_config = ConfigDict(extra="forbid")

    query: str
    user: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    conversation_id: str | None = None
    files: list[FileRef] = Field(default_factory=list)
    auto_generate_name: bool = True


class CompletionRequest(BaseModel):
    """Body of ``POST /completion-messages``."""

    model_config = ConfigDict(extra="forbid")

    user: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    query: str | None = None
    files: list[FileRef] = Field(default_factory=list)


class WorkflowRunRequest(BaseModel):
    """Body of ``POST /workflows/run``."""

    model_config = ConfigDict(extra="forbid")

    user: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    files: list[FileRef] = Field(default_factory=list)


class ChatAnswer(DifyModel):
    """Blocking answer of chat-messages / completion-messages."""

    event: str = "message"
    task_id: str | None = None
    id: str
    message_id: str
    conversation_id: str | None = None
    mode: str | None = None
    answer: str = ""
    metadata: MessageMetadata = Field(default_factory=MessageMetadata)
    created_at: int | None = None


class WorkflowRunData(DifyModel):
    id: str | None = None
    workflow_id: str | None = None
    status: str | None = None
    outputs: Any = None
    error: str | None = None
    elapsed_time: float | None = None
    total_tokens: int | None = None
    total_steps: int | None = None
    created_at: Any = None
    finished_at: Any = None


class WorkflowRunResult(DifyModel):
    """Blocking answer of ``POST /workflows/run`` (a failed run is still HTTP 200)."""

    task_id: str | None = None
    workflow_run_id: str | None = None
    data: WorkflowRunData


class Conversation(DifyModel):
    id: str
    name: str = ""
    inputs: dict[str, Any] = Field(default_factory=dict)
    status: str | None = None
    introduction: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class ConversationPage(DifyModel):
    limit: int
    has_more: bool
    data: list[Conversation]


class Feedback(DifyModel):
    rating: str | None = None
    content: str | None = None


class AgentThought(DifyModel):
    id: str
    message_id: str | None = None
    position: int | None = None
    thought: str | None = None
    tool: str | None = None
    tool_labels: dict[str, Any] | None = None
    tool_input: str | None = None
    observation: str | None = None
    files: list[Any] | None = None
    created_at: int | None = None


class MessageFile(DifyModel):
    id: str
    type: str | None = None
    url: str | None = None
    """A signed preview URL on Dify's files host (valid a few minutes)."""
    belongs_to: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    upload_file_id: str | None = None


class Message(DifyModel):
    """One turn of ``GET /messages`` (the query and its answer)."""

    id: str
    conversation_id: str
    parent_message_id: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    query: str = ""
    answer: str = ""
    message_files: list[MessageFile] = Field(default_factory=list)
    feedback: Feedback | None = None
    retriever_resources: list[RetrieverResource] = Field(default_factory=list)
    created_at: int | None = None
    agent_thoughts: list[AgentThought] = Field(default_factory=list)
    status: str | None = None
    error: str | None = None


class MessagePage(DifyModel):
    limit: int
    has_more: bool
    data: list[Message]


class AppParameters(DifyModel):
    """``GET /parameters``: what the chat UI needs to present the app."""

    opening_statement: str | None = None
    suggested_questions: list[str] = Field(default_factory=list)
    suggested_questions_after_answer: dict[str, Any] = Field(default_factory=dict)
    speech_to_text: dict[str, Any] = Field(default_factory=dict)
    text_to_speech: dict[str, Any] = Field(default_factory=dict)
    retriever_resource: dict[str, Any] = Field(default_factory=dict)
    annotation_reply: dict[str, Any] = Field(default_factory=dict)
    more_like_this: dict[str, Any] = Field(default_factory=dict)
    user_input_form: list[dict[str, Any]] = Field(default_factory=list)
    sensitive_word_avoidance: dict[str, Any] = Field(default_factory=dict)
    file_upload: dict[str, Any] | None = None
    system_parameters: dict[str, Any] = Field(default_factory=dict)


class AppInfo(DifyModel):
    """``GET /info`` (``mode`` and ``author_name`` only on newer servers)."""

    name: str
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    mode: str | None = None
    author_name: str | None = None


class AppMeta(DifyModel):
    tool_icons: dict[str, Any] = Field(default_factory=dict)


class AppSite(DifyModel):
    title: str | None = None
    icon: str | None = None
    icon_type: str | None = None
    icon_background: str | None = None
    icon_url: str | None = None
    description: str | None = None
    default_language: str | None = None


class Transcript(DifyModel):
    """Answer of ``POST /audio-to-text``."""

    text: str


class UploadedFile(DifyModel):
    """Answer of ``POST /files/upload``."""

    id: str
    name: str
    size: int
    extension: str | None = None
    mime_type: str | None = None
    created_by: str | None = None
    created_at: int | None = None


class AppCheck(BaseModel):
    """Outcome of a key test: ``ok``, else a short ``reason``; ``info``/``parameters`` when ok."""

    ok: bool
    reason: str | None = None
    info: AppInfo | None = None
    parameters: AppParameters | None = None
