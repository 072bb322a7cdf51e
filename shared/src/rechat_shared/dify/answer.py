"""Folds the events of one generation into its result: text, usage, citations, thoughts, nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from rechat_shared.dify.events import (
    AgentMessageEvent,
    AgentThoughtEvent,
    DifyEvent,
    MessageEndEvent,
    MessageEvent,
    MessageFileEvent,
    MessageReplaceEvent,
    NodeFinishedEvent,
    NodeStartedEvent,
    RetrieverResource,
    TextChunkEvent,
    TextReplaceEvent,
    Usage,
    WorkflowFinishedEvent,
)


@dataclass
class DifyAnswer:
    """What a generation produced so far; ``feed`` every event in order.

    ``text`` follows deltas and replacements of every app mode (``message``, ``agent_message``,
    ``text_chunk``, the ``message_file`` text variant, ``message_replace``/``text_replace``).
    ``thoughts`` and ``nodes`` keep the latest version of each id, in first-seen order.
    """

    text: str = ""
    usage: Usage | None = None
    citations: list[RetrieverResource] = field(default_factory=list)
    thoughts: dict[str, AgentThoughtEvent] = field(default_factory=dict)
    nodes: dict[str, NodeStartedEvent | NodeFinishedEvent] = field(default_factory=dict)
    files: list[MessageFileEvent] = field(default_factory=list)
    workflow: WorkflowFinishedEvent | None = None

    def feed(self, event: DifyEvent) -> None:
        """Update the result with one event."""
        if isinstance(event, MessageEvent | AgentMessageEvent):
            self.text += event.answer
        elif isinstance(event, TextChunkEvent):
            self.text += event.data.text
        elif isinstance(event, MessageReplaceEvent):
            self.text = event.answer
        elif isinstance(event, TextReplaceEvent):
            self.text = event.data.text
        elif isinstance(event, MessageFileEvent):
            self._file(event)
        elif isinstance(event, AgentThoughtEvent):
            self.thoughts[event.id] = event
        elif isinstance(event, NodeStartedEvent | NodeFinishedEvent):
            self.nodes[event.data.id] = event
        elif isinstance(event, MessageEndEvent):
            self.usage = event.metadata.usage or self.usage
            self.citations = list(event.metadata.retriever_resources) or self.citations
        elif isinstance(event, WorkflowFinishedEvent):
            self.workflow = event

    def _file(self, event: MessageFileEvent) -> None:
        delta = event.text_delta
        if delta is not None:
            self.text += delta
        else:
            self.files.append(event)
