"""Dify's streaming events mapped to ReChat stream events, and the answer they add up to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rechat_shared.dify import (
    AgentMessageEvent,
    AgentThoughtEvent,
    DifyEvent,
    MessageEndEvent,
    MessageEvent,
    MessageFileEvent,
    MessageReplaceEvent,
    NodeFinishedEvent,
    NodeRetryEvent,
    NodeStartedEvent,
    TextChunkEvent,
    TextReplaceEvent,
    WorkflowFinishedEvent,
)
from rechat_shared.dify import Message as DifyMessage
from rechat_shared.events import StreamEventName, Usage

Mapped = tuple[StreamEventName, dict[str, Any]]


class WorkflowFailed(Exception):
    """A workflow run that finished with status `failed` (Dify reports it inside the stream)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Answer:
    """Everything the stream said so far: the text and its companions."""

    text: str = ""
    thoughts: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None


class EventMapper:
    """Feed Dify events in order; get the stream events to publish (deltas uncoalesced).

    Agent apps stream every step's text as `agent_message` deltas (a ReAct model's thoughts
    before and after each tool round, then the final answer); Dify stores only the final text as
    the message's `answer`. As Dify's own web app does, the text streamed since an
    `agent_thought` belongs to that step: when the next step starts it moves into the previous
    step's `thought` (the answer is `replace`d empty), and once the message has ended the worker
    replaces the answer and the steps with what Dify stored (`stored_agent_message`).
    """

    def __init__(self) -> None:
        self.answer = Answer()
        self.is_agent = False
        self._step: str | None = None
        """The id of the agent step the streamed text belongs to."""

    def map(self, event: DifyEvent) -> list[Mapped]:
        if isinstance(event, AgentMessageEvent):
            self.is_agent = True
            return self._delta(event.answer)
        if isinstance(event, MessageEvent):
            return self._delta(event.answer)
        if isinstance(event, TextChunkEvent):
            return self._delta(event.data.text)
        if isinstance(event, MessageFileEvent):
            return self._file(event)
        if isinstance(event, MessageReplaceEvent):
            return self._replace(event.answer)
        if isinstance(event, TextReplaceEvent):
            return self._replace(event.data.text)
        if isinstance(event, AgentThoughtEvent):
            self.is_agent = True
            return self._agent_step(event)
        if isinstance(event, NodeStartedEvent | NodeFinishedEvent | NodeRetryEvent):
            return [self._node(event)]
        if isinstance(event, MessageEndEvent):
            self._message_end(event)
        elif isinstance(event, WorkflowFinishedEvent):
            return self._workflow_finished(event)
        return []

    def _delta(self, text: str) -> list[Mapped]:
        if not text:
            return []
        self.answer.text += text
        return [("delta", {"text": text})]

    def _replace(self, text: str) -> list[Mapped]:
        self.answer.text = text
        return [("replace", {"text": text})]

    def _file(self, event: MessageFileEvent) -> list[Mapped]:
        if event.text_delta is not None:
            return self._delta(event.text_delta)
        data = {"id": event.id, "type": event.type, "url": event.url}
        self.answer.files.append(data)
        return [("file", data)]

    def _agent_step(self, event: AgentThoughtEvent) -> list[Mapped]:
        """A step's frame: Dify re-sends a step as it fills in (tool, then observation)."""
        mapped: list[Mapped] = []
        if self._step is not None and self._step != event.id:
            mapped.extend(self._close_step(self._step))
        self._step = event.id
        known = self.answer.thoughts.get(event.id, {})
        data = {
            "id": event.id,
            "position": event.position,
            "thought": event.thought or known.get("thought") or "",
            "tool": event.tool or "",
            "tool_input": event.tool_input or "",
            "observation": event.observation or "",
        }
        self.answer.thoughts[event.id] = data
        mapped.append(("thought", data))
        return mapped

    def _close_step(self, step_id: str) -> list[Mapped]:
        """The text streamed during a step was its thought, not the answer."""
        if not self.answer.text:
            return []
        mapped: list[Mapped] = []
        step = self.answer.thoughts[step_id]
        if not step["thought"]:
            step["thought"] = self.answer.text.strip()
            mapped.append(("thought", dict(step)))
        mapped.extend(self._replace(""))
        return mapped

    def stored_agent_message(self, message: DifyMessage) -> list[Mapped]:
        """Dify's stored answer and steps replace what the stream showed (the steps keep
        their stream ids; a step Dify stored with the final answer as its thought keeps it)."""
        mapped: list[Mapped] = []
        for stored in message.agent_thoughts:
            data = {
                "id": stored.id,
                "position": stored.position,
                "thought": stored.thought or "",
                "tool": stored.tool or "",
                "tool_input": stored.tool_input or "",
                "observation": stored.observation or "",
            }
            if self.answer.thoughts.get(stored.id) != data:
                self.answer.thoughts[stored.id] = data
                mapped.append(("thought", data))
        if message.answer != self.answer.text:
            mapped.extend(self._replace(message.answer))
        return mapped

    def _node(self, event: NodeStartedEvent | NodeFinishedEvent | NodeRetryEvent) -> Mapped:
        node = event.data
        if isinstance(event, NodeStartedEvent):
            status = "running"
        elif isinstance(event, NodeRetryEvent):
            status = "retry"
        else:
            status = node.status or "succeeded"
        data = {
            "id": node.id,
            "node_id": node.node_id,
            "node_type": node.node_type,
            "title": node.title or node.node_type,
            "status": status,
            "elapsed_time": node.elapsed_time,
        }
        self.answer.nodes[node.id] = data
        return ("node", data)

    def _message_end(self, event: MessageEndEvent) -> None:
        metadata = event.metadata
        self.answer.citations = [
            resource.model_dump(mode="json", exclude_none=True)
            for resource in metadata.retriever_resources
        ]
        if metadata.usage is not None:
            self.answer.usage = usage_from_dify(metadata.usage.model_dump(mode="json"))

    def _workflow_finished(self, event: WorkflowFinishedEvent) -> list[Mapped]:
        data = event.data
        if data.status == "failed":
            raise WorkflowFailed(data.error or "The workflow failed")
        if self.answer.usage is None and data.total_tokens is not None:
            self.answer.usage = Usage(total_tokens=data.total_tokens, latency=data.elapsed_time)
        if self.answer.text or not data.outputs:
            return []
        return self._replace(workflow_text(data.outputs))


def workflow_text(outputs: dict[str, Any]) -> str:
    """A workflow's answer: its `answer`/`text`/`result` output, the only string output, or
    the outputs as JSON."""
    for name in ("answer", "text", "result", "output"):
        if isinstance(outputs.get(name), str):
            return str(outputs[name])
    strings = [value for value in outputs.values() if isinstance(value, str)]
    if len(strings) == 1:
        return strings[0]
    return json.dumps(outputs, ensure_ascii=False, indent=2)


def usage_from_dify(usage: dict[str, Any]) -> Usage:
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        total_tokens=int(usage.get("total_tokens") or 0),
        total_price=str(usage.get("total_price") or "0"),
        currency=str(usage.get("currency") or "USD"),
        latency=usage.get("latency"),
    )
