"""Event sequences of chat, completion and agent-chat apps."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

from rechat_dify_emulator.generation import PROVIDER_ERROR, Generation
from rechat_dify_emulator.store import new_id, now
from rechat_dify_emulator.tools import BUILTIN_TOOLS, BuiltinTool

EMPTY_THOUGHT_FILE: dict[str, Any] = {
    "id": None,
    "filename": None,
    "type": None,
    "url": None,
    "mime_type": None,
    "size": 0,
    "transfer_method": None,
    "belongs_to": "user",
}


class ChatGeneration(Generation):
    """chat and completion: ``message``* then ``message_end``."""

    def _by_mode(self) -> Awaitable[None]:
        return self._chat()

    async def _chat(self) -> None:
        await self._opening()
        chunks = self.script.chunks
        for index in range(len(chunks) + 1):
            if self.task.stopped:
                break
            fault = self._fault(index)
            if fault == "error":
                self._out(self._error("completion_request_error", 400, PROVIDER_ERROR))
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(chunks):
                self._out(self._text("", None))
                break
            self.answer += chunks[index]
            self._out(self._text(chunks[index], None))
            await self._pause(self.script.token_delay)
        self._out(self._image_frame())
        self._out(self._replace_frame())
        self.outcome = "stopped" if self.task.stopped else "succeeded"
        self._out(self._message_end())


REACT_NO_TOOL = "I can answer without tools."
REACT_AFTER_TOOL = "I now know the answer."
"""The fake model's ReAct thoughts (a tool's own is ``BuiltinTool.thought``)."""


def _react_deltas(thought: str) -> list[str]:
    """How Dify streams a ReAct thought: ``Thought:`` removed, one delta per character of the
    rest (`` <thought>\n\n``), then the three empty ones of the ``Action:`` block."""
    return [*f" {thought}\n\n", "", "", ""]


class AgentGeneration(Generation):
    """agent-chat, Dify's ReAct runner (``agent_stream_basic``, ``agent_tool_stream_react``).

    ``agent_thought`` (position 1, empty); the model's thought text as one-character
    ``agent_message`` deltas; with a tool (``AppConfig.tools`` or ``[[tools]]``): the position-1
    thought re-sent with the tool and its input, again with the observation (or already with it:
    ``[[tools:observed]]``), an empty position-2 thought and the second thought text; then the
    final answer as one delta and ``message_end``. Only the final answer is stored as the
    message's ``answer``; the stream's thought text is not part of it.
    """

    def _by_mode(self) -> Awaitable[None]:
        return self._agent()

    def _tool(self) -> BuiltinTool | None:
        if self.app.tools:
            return BUILTIN_TOOLS[self.app.tools[0]]
        return BUILTIN_TOOLS["current_time"] if self.script.tools else None

    async def _agent(self) -> None:
        tool = self._tool()
        first = new_id()
        self._out(self._thought(1, first))
        await self._opening()
        steps: list[str | None] = []  # None = the tool round
        if tool is None:
            steps += _react_deltas(REACT_NO_TOOL)
        else:
            steps += [*_react_deltas(tool.thought), None, *_react_deltas(REACT_AFTER_TOOL)]
        final = self.script.answer
        steps.append(final)
        total = sum(step is not None for step in steps)
        sent, last_thought, position = 0, first, 1
        for index, step in enumerate(steps):
            if self.task.stopped:
                break
            if step is None:
                assert tool is not None
                frames, last_thought = self._tool_round(first, tool)
                for frame in frames:
                    self._out(frame)
                position = 2
                continue
            fault = self._fault(sent, total)
            if fault == "error":
                self._out(self._error("completion_request_error", 400, PROVIDER_ERROR))
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(steps) - 1:
                self.answer = final
            self._out(self._text(step, None))
            sent += 1
            await self._pause(self.script.token_delay)
        if not self.task.stopped:
            self._record_final_thought(last_thought, position)
        self._out(self._image_frame())
        self.outcome = "stopped" if self.task.stopped else "succeeded"
        self._out(self._message_end())

    def _thought(self, position: int, thought_id: str, **fields: Any) -> bytes:
        assert self.message is not None
        body: dict[str, Any] = {
            "id": thought_id,
            "position": position,
            "thought": fields.get("thought", ""),
            "observation": fields.get("observation", ""),
            "tool": fields.get("tool", ""),
            "tool_labels": fields.get("tool_labels", {}),
            "tool_input": fields.get("tool_input", ""),
            "message_files": [],
        }
        return self._emit("agent_thought", body)

    def _tool_round(self, thought_id: str, tool: BuiltinTool) -> tuple[list[bytes], str]:
        """The tool call: the thought re-sent with the tool, then with its observation, then
        the next (empty) thought, whose id is returned too."""
        call = {
            "thought": tool.thought,
            "tool": tool.name,
            "tool_labels": {tool.name: tool.labels},
            "tool_input": json.dumps({tool.name: tool.tool_input}),
        }
        observed = {**call, "observation": tool.observation()}
        self._record_thought(thought_id, 1, observed)
        second = new_id()
        first = observed if self.script.tool_observed_first else call
        frames = [
            self._thought(1, thought_id, **first),
            self._thought(1, thought_id, **observed),
            self._thought(2, second),
        ]
        return frames, second

    def _record_thought(self, thought_id: str, position: int, fields: dict[str, Any]) -> None:
        assert self.message is not None
        files_key, files = "files", []
        if self.profile.name == "0.15":  # 0.15 lists one all-null placeholder file
            files_key, files = "message_files", [dict(EMPTY_THOUGHT_FILE)]
        self._thoughts.append(
            {
                "id": thought_id,
                "chain_id": None,
                "message_id": self.message.id,
                "position": position,
                "thought": fields.get("thought", ""),
                "tool": fields.get("tool", ""),
                "tool_labels": fields.get("tool_labels", {}),
                "tool_input": fields.get("tool_input", ""),
                "created_at": now(),
                "observation": fields.get("observation", ""),
                files_key: files,
            }
        )

    def _record_final_thought(self, thought_id: str, position: int) -> None:
        final = {"thought": self.answer, "tool_input": _final_answer(self.answer)}
        self._record_thought(thought_id, position, final)


def _final_answer(answer: str) -> str:
    return json.dumps({"Final Answer": answer})
