"""One emulated generation: the event sequence of each app mode, with pings, stop and faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from rechat_dify_emulator import payloads
from rechat_dify_emulator.config import AppConfig, EmulatorConfig
from rechat_dify_emulator.payloads import PING, sse
from rechat_dify_emulator.profiles import Profile
from rechat_dify_emulator.script import CITATIONS, Script
from rechat_dify_emulator.store import (
    Conversation,
    Store,
    StoredMessage,
    Task,
    WorkflowRun,
    new_id,
    now,
)

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
PROVIDER_ERROR = "[openai_api_compatible] Error: Response ended prematurely"
STALL_LIMIT = 3600.0
START = ("start", "start", "Start")
LLM = ("llm", "llm", "LLM")
ANSWER = ("answer", "answer", "Answer")
END = ("end", "end", "End")


@dataclass
class Stats:
    """Counters the control API reports (``GET /_emulator/stats``)."""

    streams_started: int = 0
    streams_active: int = 0
    events_sent: int = 0


@dataclass
class Generation:
    """Runs one request; ``frames()`` yields SSE bytes, ``run()`` runs it for a blocking answer."""

    app: AppConfig
    config: EmulatorConfig
    profile: Profile
    store: Store
    stats: Stats
    task: Task
    user: str
    script: Script
    query: str
    inputs: dict[str, Any]
    message: StoredMessage | None = None
    conversation: Conversation | None = None
    run_record: WorkflowRun | None = None
    auto_name: bool = False
    answer: str = ""
    outcome: str = "running"
    error_message: str | None = None
    _next_ping: float = 0.0
    _started: float = 0.0
    _ticks: int = 0
    _thoughts: list[dict[str, Any]] = field(default_factory=list)

    # -- driving ---------------------------------------------------------------------------------

    async def frames(self) -> AsyncIterator[bytes]:
        """SSE frames of the whole generation, pings included."""
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        self._next_ping = self._started + self.config.ping_interval
        self.stats.streams_started += 1
        self.stats.streams_active += 1
        try:
            async for frame in self._by_mode():
                if frame:
                    self.stats.events_sent += 1
                    yield frame
            if self.script.linger:
                async for frame in self._pause(self.script.linger, stoppable=False):
                    yield frame
        finally:
            self.stats.streams_active -= 1
            self._finish(loop.time() - self._started)

    async def run(self) -> None:
        """Run to the end without sending anything (blocking mode)."""
        async for _frame in self.frames():
            pass

    def _by_mode(self) -> AsyncIterator[bytes]:
        mode = self.app.mode
        if mode == "agent-chat":
            return self._agent()
        if mode == "advanced-chat":
            return self._workflow(chatflow=True)
        if mode == "workflow":
            return self._workflow(chatflow=False)
        return self._chat()

    async def _pause(self, seconds: float, *, stoppable: bool = True) -> AsyncIterator[bytes]:
        """Wait ``seconds`` (0 = full speed), sending the pings that fall due; ends on stop."""
        loop = asyncio.get_running_loop()
        if seconds <= 0:
            self._ticks += 1
            if self._ticks % 32 == 0:
                await asyncio.sleep(0)
            if loop.time() >= self._next_ping:
                self._next_ping += self.config.ping_interval
                yield PING
            return
        end = loop.time() + seconds
        while not (stoppable and self.task.stopped):
            current = loop.time()
            if current >= self._next_ping:
                self._next_ping += self.config.ping_interval
                yield PING
                continue
            if current >= end:
                return
            await asyncio.sleep(min(end, self._next_ping, current + 0.1) - current)

    async def _opening(self) -> AsyncIterator[bytes]:
        """Time to first token, then a stall (pings only) until stopped when scripted."""
        async for frame in self._pause(self.script.first_token_delay):
            yield frame
        if self.script.stall:
            async for frame in self._pause(STALL_LIMIT):
                yield frame

    # -- event builders ------------------------------------------------------------------------

    def _emit(self, event: str, fields: dict[str, Any], *, workflow_level: bool = False) -> bytes:
        if event in self.script.drop:
            return b""
        mode = self.app.mode
        body: dict[str, Any] = {"event": event}
        if mode == "workflow":
            body["workflow_run_id"] = self.run_record.id if self.run_record else None
            if event != "error":
                body["task_id"] = self.task.id
        else:
            assert self.message is not None
            if mode != "completion":
                body["conversation_id"] = self.message.conversation_id
            body["message_id"] = self.message.id
            body["created_at"] = self.message.created_at
            if event != "error":
                body["task_id"] = self.task.id
            if workflow_level and self.run_record is not None:
                body["workflow_run_id"] = self.run_record.id
        body.update(fields)
        return sse(self.profile, body)

    def _text(self, chunk: str, selector: list[str] | None) -> bytes:
        assert self.message is not None
        if self.app.mode == "agent-chat":
            return self._emit("agent_message", {"id": self.message.id, "answer": chunk})
        if self.script.file_chunks:  # the 1.11-1.12 regression: text named message_file
            return self._emit("message_file", {"id": self.message.id, "answer": chunk})
        fields = {"id": self.message.id, "answer": chunk, "from_variable_selector": selector}
        return self._emit("message", fields)

    def _image_frame(self) -> bytes:
        """An assistant-generated image (``message_file``) when the script asks for one."""
        if not self.script.image:
            return b""
        file_id = new_id()
        url = f"/files/tools/{file_id}.png?timestamp={now()}&nonce={new_id()[:8]}&sign=emulated"
        fields = {"id": file_id, "type": "image", "belongs_to": "assistant", "url": url}
        return self._emit("message_file", fields)

    def _usage(self, *, zero: bool = False) -> dict[str, Any]:
        if zero:
            return payloads.usage(self.profile, 0, 0, 0.0)
        prompt = max(1, len(self.query.split()))
        latency = asyncio.get_running_loop().time() - self._started
        return payloads.usage(self.profile, prompt, len(self.answer.split()), latency)

    def _message_end(self, *, zero_usage: bool = False) -> bytes:
        assert self.message is not None
        citations = CITATIONS if self.script.cite else []
        self.message.retriever_resources = list(citations)
        metadata = payloads.metadata(self.profile, self._usage(zero=zero_usage), citations)
        files: list[Any] | None = [] if self.app.mode == "advanced-chat" else None
        fields = {"id": self.message.id, "metadata": metadata, "files": files}
        return self._emit("message_end", fields)

    def _error(self, code: str, status: int, message: str) -> bytes:
        self.outcome, self.error_message = "failed", message
        return self._emit("error", {"code": code, "status": status, "message": message})

    def _replace_frame(self) -> bytes:
        """A ``message_replace`` frame when the script asks for moderation, else nothing."""
        replacement = self.script.replace_with
        if replacement is None:
            return b""
        self.answer = replacement
        return self._emit("message_replace", {"answer": replacement, "reason": ""})

    # -- chat, completion, agent -------------------------------------------------------------

    def _fault(self, index: int) -> str | None:
        """Which fault (if any) fires before chunk ``index``."""
        at = min(self.script.error_after, len(self.script.chunks))
        if index != at:
            return None
        if self.script.midstream_error:
            return "error"
        if self.script.eof:
            return "eof"
        return None

    async def _chat(self) -> AsyncIterator[bytes]:
        async for frame in self._opening():
            yield frame
        chunks = self.script.chunks
        for index in range(len(chunks) + 1):
            if self.task.stopped:
                break
            fault = self._fault(index)
            if fault == "error":
                yield self._error("completion_request_error", 400, PROVIDER_ERROR)
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(chunks):
                yield self._text("", None)
                break
            self.answer += chunks[index]
            yield self._text(chunks[index], None)
            async for frame in self._pause(self.script.token_delay):
                yield frame
        yield self._image_frame()
        yield self._replace_frame()
        self.outcome = "stopped" if self.task.stopped else "succeeded"
        yield self._message_end()

    async def _agent(self) -> AsyncIterator[bytes]:
        position = 1
        yield self._thought(position, new_id())
        async for frame in self._opening():
            yield frame
        chunks = self.script.chunks
        for index in range(len(chunks) + 1):
            if self.task.stopped:
                break
            fault = self._fault(index)
            if fault == "error":
                yield self._error("completion_request_error", 400, PROVIDER_ERROR)
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(chunks):
                break
            if self.script.tools and index == min(2, len(chunks) - 1):
                for frame in self._tool_round(position):
                    yield frame
                position += 1
            self.answer += chunks[index]
            yield self._text(chunks[index], None)
            async for frame in self._pause(self.script.token_delay):
                yield frame
        self._record_final_thought(position)
        yield self._image_frame()
        self.outcome = "stopped" if self.task.stopped else "succeeded"
        yield self._message_end()

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

    # -- chatflow and workflow -------------------------------------------------------------------

    async def _workflow(self, *, chatflow: bool) -> AsyncIterator[bytes]:
        assert self.run_record is not None
        run = self.run_record
        yield self._emit("workflow_started", {"data": self._run_started()}, workflow_level=True)
        start = payloads.node_started(self.profile, new_id(), START, 1, None)
        yield self._node("node_started", start)
        sys_inputs = self._sys_inputs(chatflow)
        yield self._node(
            "node_finished",
            payloads.node_finished(self.profile, start, inputs=sys_inputs, outputs=sys_inputs),
        )
        llm = payloads.node_started(self.profile, new_id(), LLM, 2, "start")
        yield self._node("node_started", llm)
        run.total_steps = 2
        async for frame in self._opening():
            yield frame
        chunks = self.script.chunks
        for index in range(len(chunks) + 1):
            if self.task.stopped:
                break
            fault = self._fault(index)
            if fault == "error":
                for frame in self._workflow_failed(llm, chatflow):
                    yield frame
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(chunks):
                break
            self.answer += chunks[index]
            if chatflow:
                yield self._text(chunks[index], ["llm", "text"])
            else:
                text = {"text": chunks[index], "from_variable_selector": ["llm", "text"]}
                yield self._emit("text_chunk", {"data": text})
            async for frame in self._pause(self.script.token_delay):
                yield frame
        if self.task.stopped:
            for frame in self._terminals(chatflow, "stopped", "Stopped by user."):
                yield frame
            return
        for frame in self._workflow_tail(llm, chatflow):
            yield frame

    def _workflow_tail(self, llm: dict[str, Any], chatflow: bool) -> list[bytes]:
        assert self.run_record is not None
        usage = self._usage()
        outputs = {"text": self.answer, "usage": usage, "finish_reason": "stop"}
        frames = [
            self._node(
                "node_finished",
                payloads.node_finished(
                    self.profile,
                    llm,
                    inputs=None,
                    outputs=outputs,
                    process_data=payloads.llm_process_data(self.query),
                    execution_metadata=payloads.llm_execution_metadata(usage["total_tokens"]),
                ),
            )
        ]
        last = ANSWER if chatflow else END
        node = payloads.node_started(self.profile, new_id(), last, 3, "llm")
        result = {"answer": self.answer}
        done_outputs: dict[str, Any] = {**result, "files": []} if chatflow else result
        frames.append(self._node("node_started", node))
        frames.append(
            self._node(
                "node_finished",
                payloads.node_finished(
                    self.profile, node, inputs=None if chatflow else result, outputs=done_outputs
                ),
            )
        )
        self.run_record.total_steps = 3
        self.run_record.total_tokens = usage["total_tokens"]
        self.run_record.outputs = result
        return frames + self._terminals(chatflow, "succeeded", None)

    def _workflow_failed(self, llm: dict[str, Any], chatflow: bool) -> list[bytes]:
        failed = payloads.node_finished(
            self.profile,
            llm,
            inputs=None,
            outputs=None,
            process_data=payloads.llm_process_data(self.query),
            status="failed",
            error=PROVIDER_ERROR,
        )
        frames = [self._node("node_finished", failed)]
        frames += self._terminals(chatflow, "failed", PROVIDER_ERROR)
        if chatflow:
            frames.append(self._error("invalid_param", 400, f"Run failed: {PROVIDER_ERROR}"))
        return frames

    def _terminals(self, chatflow: bool, status: str, error: str | None) -> list[bytes]:
        assert self.run_record is not None
        run = self.run_record
        run.status, run.error = status, error
        if status != "succeeded":
            run.outputs = None
        self.outcome = {"succeeded": "succeeded", "stopped": "stopped"}.get(status, "failed")
        self.error_message = error if status == "failed" else None
        finished = self._emit(
            "workflow_finished", {"data": self._run_finished()}, workflow_level=True
        )
        if not chatflow:
            return [finished]
        if status == "failed":
            return [finished]
        end = self._message_end(zero_usage=status == "stopped")
        return [finished, end] if self._legacy_order() else [end, finished]

    def _legacy_order(self) -> bool:
        order = self.script.chatflow_order or self.config.chatflow_order
        if order is None:
            return self.profile.legacy_chatflow_order
        return order == "legacy"

    def _node(self, event: str, data: dict[str, Any]) -> bytes:
        return self._emit(event, {"data": data}, workflow_level=True)

    def _sys_inputs(self, chatflow: bool) -> dict[str, Any]:
        assert self.run_record is not None
        run = self.run_record
        inputs: dict[str, Any] = dict(self.inputs)
        if chatflow:
            assert self.message is not None
            count = len(self.conversation.message_ids) - 1 if self.conversation else 0
            inputs.update(
                {
                    "sys.query": self.query,
                    "sys.files": [],
                    "sys.conversation_id": self.message.conversation_id,
                    "sys.user_id": self.user,
                    "sys.dialogue_count": count,
                }
            )
        else:
            inputs.update({"sys.files": [], "sys.user_id": self.user})
        inputs.update(
            {
                "sys.app_id": self.app.id,
                "sys.workflow_id": run.workflow_id,
                "sys.workflow_run_id": run.id,
            }
        )
        return inputs

    def _run_started(self) -> dict[str, Any]:
        assert self.run_record is not None
        run = self.run_record
        chatflow = self.app.mode == "advanced-chat"
        run.inputs = self._sys_inputs(chatflow)
        data: dict[str, Any] = {"id": run.id, "workflow_id": run.workflow_id}
        if self.profile.workflow_sequence_numbers:
            data["sequence_number"] = len(self.store.workflow_runs)
        data.update(inputs=run.inputs, created_at=run.created_at)
        if not self.profile.workflow_sequence_numbers:
            data["reason"] = "initial"
        return data

    def _run_finished(self) -> dict[str, Any]:
        assert self.run_record is not None
        run = self.run_record
        run.finished_at = now()
        run.elapsed_time = asyncio.get_running_loop().time() - self._started
        data: dict[str, Any] = {"id": run.id, "workflow_id": run.workflow_id}
        if self.profile.workflow_sequence_numbers:
            data["sequence_number"] = len(self.store.workflow_runs)
        data.update(
            status=run.status,
            outputs=run.outputs,
            error=run.error,
            elapsed_time=run.elapsed_time,
            total_tokens=run.total_tokens,
            total_steps=run.total_steps,
            created_by={"id": self.store.end_user(self.app.key, self.user), "user": self.user},
            created_at=run.created_at,
            finished_at=run.finished_at,
            exceptions_count=0,
            files=[],
        )
        return data

    # -- bookkeeping ---------------------------------------------------------------------------

    def _finish(self, elapsed: float) -> None:
        if self.outcome == "running":
            self.outcome = "incomplete"
        self.store.finish_task(self.task)
        if self.run_record is not None and self.run_record.status == "running":
            self.run_record.status = "failed" if self.outcome != "stopped" else "stopped"
            self.run_record.elapsed_time = elapsed
            self.run_record.finished_at = now()
        if self.message is None:
            return
        self.message.answer = self.answer
        self.message.agent_thoughts = self._thoughts
        if self.outcome in ("failed", "incomplete"):
            self.message.status = "error"
            self.message.error = self.error_message or "Generation did not finish."
        if self.conversation is not None:
            self.conversation.updated_at = now()
            if self.auto_name and len(self.conversation.message_ids) == 1:
                self.conversation.name = "Title: " + " ".join(self.query.split()[:4])


def _final_answer(answer: str) -> str:
    return json.dumps({"Final Answer": answer})
