"""Base of one emulated generation: driving, pings, stop and the frames every mode shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rechat_dify_emulator import payloads
from rechat_dify_emulator.config import AppConfig, EmulatorConfig
from rechat_dify_emulator.pacing import PacingClock
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

PROVIDER_ERROR = "[openai_api_compatible] Error: Response ended prematurely"
PROVIDER_ERROR_BLOCKING = (
    "[openai_api_compatible] Error: API request failed with status code 500: "
    '{"error": {"message": "fake provider failure", "type": "server_error"}}'
)
"""What the recorded fake provider answered a blocking request that fails (an HTTP 500)."""
STALL_LIMIT = 3600.0
STOP_POLL = 0.1
"""Longest wait between two looks at the stop flag (a stop ends the stream within this)."""


FrameSender = Callable[[bytes], Awaitable[None]]
"""Where a generation sends its SSE frames, one ``bytes`` each."""


async def _discard(frame: bytes) -> None:
    """The frame sender of a blocking answer: nothing is sent."""


class EmulatedCrash(RuntimeError):
    """Raised inside a stream to cut the connection the way a crashed Dify worker does."""


@dataclass
class Stats:
    """Counters the control API reports (``GET /_emulator/stats``)."""

    streams_started: int = 0
    streams_active: int = 0
    events_sent: int = 0


@dataclass
class Generation:
    """Runs one request; ``stream()`` sends SSE bytes, ``run()`` runs it for a blocking answer."""

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
    clock: PacingClock
    message: StoredMessage | None = None
    conversation: Conversation | None = None
    run_record: WorkflowRun | None = None
    auto_name: bool = False
    answer: str = ""
    outcome: str = "running"
    error_message: str | None = None
    _next_ping: float = 0.0
    _due: float = 0.0
    """When the next point of the schedule falls (event-loop time)."""
    _started: float = 0.0
    _ticks: int = 0
    _text_frame: tuple[bytes, bytes] | None = None
    """The serialised text event before and after its chunk (``_text``)."""
    _thoughts: list[dict[str, Any]] = field(default_factory=list)
    _send: FrameSender = _discard
    _pending: list[bytes] = field(default_factory=list)
    """Frames generated since the last wait, sent together (``_flush``)."""

    # -- driving ---------------------------------------------------------------------------------

    async def stream(self, send: FrameSender) -> None:
        """Run the generation, handing its SSE frames (pings included) to ``send``.

        Frames are pushed rather than yielded (async generator layers cost every token their
        ``asend``/``StopIteration`` round trips) and go out whenever the generation waits: an
        on-time paced stream sends each frame alone, a stream behind its schedule sends what is
        due in one write, and at full speed up to 32 frames share one.
        """
        self._send = send
        self._started = self._due = self.clock.now()
        self._next_ping = self._started + self.config.ping_interval
        self.stats.streams_started += 1
        self.stats.streams_active += 1
        try:
            await self._by_mode()
            if self.script.linger:
                self._due = self.clock.now()
                await self._pause(self.script.linger, stoppable=False)
            await self._flush()
        except EmulatedCrash:
            await self._flush()  # what was generated before the crash still reached the client
            raise
        finally:
            self.stats.streams_active -= 1
            self._finish(self.clock.now() - self._started)

    async def run(self) -> None:
        """Run to the end without sending anything (blocking mode)."""
        await self.stream(_discard)

    def _by_mode(self) -> Awaitable[None]:
        """The event sequence of the app's mode (the subclasses)."""
        raise NotImplementedError

    def _out(self, frame: bytes) -> None:
        """Queue one frame until the next wait; a dropped event (``[[drop:…]]``) is empty."""
        if frame:
            self.stats.events_sent += 1
            self._pending.append(frame)

    async def _flush(self) -> None:
        if self._pending:
            frames = b"".join(self._pending)
            self._pending.clear()
            await self._send(frames)

    async def _pause(self, seconds: float, *, stoppable: bool = True) -> None:
        """Wait until ``seconds`` after the schedule's previous point (0 = full speed), sending
        the pings that fall due meanwhile; ends early on stop.

        Points are fixed (token ``i`` at first token + ``i * delay``), so a late wake-up does not
        delay the tokens after it: a stream behind its schedule sends what is due at once.
        """
        self._due += seconds
        clock = self.clock
        while not (stoppable and self.task.stopped):
            current = clock.now()
            if current >= self._next_ping:
                self._next_ping += self.config.ping_interval
                self._out(PING)
            elif current >= self._due:
                if seconds <= 0:  # full speed: every 32 chunks, let the other streams run too
                    self._ticks += 1
                    if self._ticks % 32 == 0:
                        await self._flush()
                        await asyncio.sleep(0)
                return
            else:
                await self._flush()
                await clock.until(min(self._due, self._next_ping, current + STOP_POLL))

    async def _opening(self) -> None:
        """Time to first token, then a stall (pings only) until stopped when scripted."""
        await self._pause(self.script.first_token_delay)
        if self.script.stall:
            await self._pause(STALL_LIMIT)

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
        """A text delta. It runs once per token: the frame around the chunk is serialised once
        per generation (``selector`` is the same for all its chunks), only the chunk each time."""
        if self._text_frame is None:
            marker = "\x00answer\x00"
            head, _, tail = self._text_event(marker, selector).partition(self._json(marker))
            self._text_frame = (head, tail)
        head, tail = self._text_frame
        return head + self._json(chunk) + tail if head else b""

    def _text_event(self, chunk: str, selector: list[str] | None) -> bytes:
        assert self.message is not None
        if self.app.mode == "agent-chat":
            return self._emit("agent_message", {"id": self.message.id, "answer": chunk})
        if self.script.file_chunks:  # the 1.11-1.12 regression: text named message_file
            return self._emit("message_file", {"id": self.message.id, "answer": chunk})
        fields = {"id": self.message.id, "answer": chunk, "from_variable_selector": selector}
        return self._emit("message", fields)

    def _json(self, value: str) -> bytes:
        return self.profile.stream_json(value).encode()

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
            return payloads.empty_usage(self.profile)
        prompt = max(1, len(self.query.split()))
        latency = self.clock.now() - self._started
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

    def _fault(self, index: int, total: int | None = None) -> str | None:
        """Which fault (if any) fires before chunk ``index`` (of ``total``, default: the
        script's chunks)."""
        at = min(self.script.error_after, len(self.script.chunks) if total is None else total)
        if index != at:
            return None
        if self.script.midstream_error:
            return "error"
        if self.script.eof:
            if self.script.crash:  # the connection drops without the last chunk
                raise EmulatedCrash("[[eof:crash]]: the pipeline died after the headers")
            return "eof"
        return None

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
