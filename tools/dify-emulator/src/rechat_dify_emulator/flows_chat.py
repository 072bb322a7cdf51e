"""Event sequences of chat, completion and agent-chat apps."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

from rechat_dify_emulator.generation import PROVIDER_ERROR, Generation
from rechat_dify_emulator.store import new_id, now

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


class AgentGeneration(Generation):
    """agent-chat: ``agent_thought`` (re-sent as it fills in), ``agent_message``*, end."""

    def _by_mode(self) -> Awaitable[None]:
        return self._agent()

    async def _agent(self) -> None:
        position = 1
        self._out(self._thought(position, new_id()))
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
                break
            if self.script.tools and index == min(2, len(chunks) - 1):
                for frame in self._tool_round(position):
                    self._out(frame)
                position += 1
            self.answer += chunks[index]
            self._out(self._text(chunks[index], None))
            await self._pause(self.script.token_delay)
        self._record_final_thought(position)
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

    def _tool_round(self, position: int) -> list[bytes]:
        """A tool call: the thought re-sent with the tool, then with its observation."""
        thought_id = new_id()
        tool = {
            "thought": "I should look up the current time.",
            "tool": "current_time",
            "tool_labels": {"current_time": {"en_US": "Current Time", "zh_Hans": "获取当前时间"}},
            "tool_input": '{"current_time": {"timezone": "UTC"}}',
        }
        observed = {**tool, "observation": '{"current_time": "tool response: 2026-01-01 12:00:00"}'}
        self._record_thought(thought_id, position, observed)
        return [
            self._thought(position, thought_id),
            self._thought(position, thought_id, **tool),
            self._thought(position, thought_id, **observed),
            self._thought(position + 1, new_id()),
        ]

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

    def _record_final_thought(self, position: int) -> None:
        final = {"thought": self.answer, "tool_input": _final_answer(self.answer)}
        self._record_thought(new_id(), position, final)


def _final_answer(answer: str) -> str:
    return json.dumps({"Final Answer": answer})
