"""Event sequences of advanced-chat (chatflow) and workflow apps."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from rechat_dify_emulator import payloads
from rechat_dify_emulator.generation import PROVIDER_ERROR, Generation
from rechat_dify_emulator.store import new_id, now

START = ("start", "start", "Start")
LLM = ("llm", "llm", "LLM")
ANSWER = ("answer", "answer", "Answer")
END = ("end", "end", "End")


class WorkflowGeneration(Generation):
    """Start -> LLM -> Answer (chatflow) or End (workflow), with node events."""

    def _by_mode(self) -> Awaitable[None]:
        return self._workflow(chatflow=self.app.mode == "advanced-chat")

    # -- chatflow and workflow -------------------------------------------------------------------

    async def _workflow(self, *, chatflow: bool) -> None:
        assert self.run_record is not None
        run = self.run_record
        started = self._run_started()
        self._out(self._emit("workflow_started", {"data": started}, workflow_level=True))
        start = payloads.node_started(self.profile, new_id(), START, 1, None)
        self._out(self._node("node_started", start))
        sys_inputs = self._sys_inputs(chatflow)
        finished = payloads.node_finished(
            self.profile, start, inputs=sys_inputs, outputs=sys_inputs
        )
        self._out(self._node("node_finished", finished))
        llm = payloads.node_started(self.profile, new_id(), LLM, 2, "start")
        self._out(self._node("node_started", llm))
        run.total_steps = 2
        await self._opening()
        chunks = self.script.chunks
        for index in range(len(chunks) + 1):
            if self.task.stopped:
                break
            fault = self._fault(index)
            if fault == "error":
                for frame in self._workflow_failed(llm, chatflow):
                    self._out(frame)
                return
            if fault == "eof":
                self.outcome = "incomplete"
                return
            if index == len(chunks):
                break
            self.answer += chunks[index]
            if chatflow:
                self._out(self._text(chunks[index], ["llm", "text"]))
            else:
                text = {"text": chunks[index], "from_variable_selector": ["llm", "text"]}
                self._out(self._emit("text_chunk", {"data": text}))
            await self._pause(self.script.token_delay)
        if self.task.stopped:
            for frame in self._terminals(chatflow, "stopped", "Stopped by user."):
                self._out(frame)
            return
        for frame in self._workflow_tail(llm, chatflow):
            self._out(frame)

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
        run.elapsed_time = self.clock.now() - self._started
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
