"""One chat request: one Dify call turned into stream events, then a completion event.

The Dify stream is read right in the generation's task, event by event, with no queue in
between (a handoff per token costs CPU and adds latency to the first one). What must happen
while Dify is silent needs no reader: the writer flushes merged deltas on its own timer, and a
stop is watched by a small task that asks Dify to stop and gives the stream a grace period
(``DifyStream.close_at``) to end by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rechat_shared.conversation_tombstone import is_deleted
from rechat_shared.db import utcnow
from rechat_shared.dify import DifyApp, DifyError, DifyEvent, DifyStream
from rechat_shared.events import ChatCompleted, ChatFailed, ChatRequested, Timings
from rechat_shared.streams import CancelSignal
from rechat_worker import metrics
from rechat_worker.context import WorkerContext
from rechat_worker.dify_calls import (
    follow_up_questions,
    open_stream,
    stop_task,
    stored_message,
)
from rechat_worker.emitter import StreamWriter
from rechat_worker.failures import Failure, describe_failure
from rechat_worker.mapping import Answer, EventMapper

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How the generation ended, with everything the completion event reports."""

    status: Literal["done", "stopped", "failed"]
    answer: Answer = field(default_factory=Answer)
    failure: Failure | None = None
    dify_conversation_id: str | None = None
    dify_message_id: str | None = None
    dify_task_id: str | None = None
    suggested_questions: list[str] = field(default_factory=list)


class Generation:
    def __init__(self, context: WorkerContext, request: ChatRequested) -> None:
        self.context = context
        self.request = request
        settings = context.settings
        self.writer = StreamWriter(
            context.hub,
            request.message_id,
            window=settings.coalesce_ms / 1000.0,
            max_chars=settings.coalesce_max_chars,
            patience=settings.redis_patience_seconds,
        )
        self.mapper = EventMapper()
        self.started_at = utcnow()
        self._started = time.monotonic()
        self.first_token_at: datetime | None = None
        self._stop_requested = False
        self._stop_sent = False
        self._dify_app: DifyApp | None = None
        self._stream: DifyStream | None = None
        self._remembered_conversation = False
        self._remembered_message = False

    async def run(self, stop: CancelSignal) -> Outcome:
        """Stream the answer; never raises for a Dify failure (that is an outcome)."""
        if stop.is_set():
            return Outcome(status="stopped")
        try:
            self._dify_app = DifyApp(
                base_url=self.request.dify.base_url,
                api_key=self.context.box.decrypt(self.request.dify.api_key_encrypted),
            )
        except ValueError:
            failure = Failure("app_key_invalid", "The app's API key cannot be decrypted")
            return Outcome(status="failed", failure=failure)
        if not self.request.new_conversation and await is_deleted(
            self.context.redis, self.context.keys, self.request.conversation_id
        ):
            # deleted in another tab after the gateway accepted this turn: Dify's conversation
            # is being deleted too, it must not be continued
            failure = Failure("conversation_not_found", "The conversation was deleted")
            return Outcome(status="failed", failure=failure)
        dify_conversation_id = self.request.dify_conversation_id
        if dify_conversation_id is None and not self.request.new_conversation:
            dify_conversation_id = await self.context.recall(
                self.context.keys.dify_conversation(self.request.conversation_id)
            )
        self._stream = open_stream(
            self.context.dify, self._dify_app, self.request, dify_conversation_id
        )
        try:
            status = await self._consume(self._stream, stop)
            outcome = self._outcome(status)
        except (DifyError, ValueError) as exc:
            outcome = self._outcome("failed")
            outcome.failure = describe_failure(exc)
        except BaseException:
            self.writer.discard()  # no merged text may reach the hub after a crash
            raise
        finally:
            await self._stream.aclose()
        if outcome.status != "failed":
            await self._after_answer(outcome)
        await self.writer.flush()
        return outcome

    async def _after_answer(self, outcome: Outcome) -> None:
        """What Dify has once the message has ended: an agent's stored answer (the final text
        only, not the thoughts streamed before it) and the follow-up questions."""
        app, message_id = self._dify_app, outcome.dify_message_id
        if app is None or message_id is None:
            return
        dify, user = self.context.dify, self.request.dify_user
        conversation_id = outcome.dify_conversation_id
        agent = self.mapper.is_agent and conversation_id is not None
        suggest = self.request.suggest_questions and outcome.status == "done"
        stored, questions = await asyncio.gather(
            stored_message(dify, app, conversation_id or "", message_id, user)
            if agent
            else _none(),
            follow_up_questions(dify, app, message_id, user) if suggest else _none(),
        )
        if stored is not None:
            for name, data in self.mapper.stored_agent_message(stored):
                await self.writer.emit(name, data)
        outcome.suggested_questions = questions or []

    def timings(self) -> Timings:
        return Timings(
            requested_at=self.request.occurred_at,
            started_at=self.started_at,
            first_token_at=self.first_token_at,
            finished_at=utcnow(),
        )

    # -- the loop ------------------------------------------------------------------------------

    async def _consume(self, stream: DifyStream, stop: CancelSignal) -> Literal["done", "stopped"]:
        watcher = asyncio.create_task(self._watch(stop, stream))
        try:
            async for event in stream:
                await self._handle(stream, event)
            return "stopped" if self._stop_requested else "done"
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher

    async def _watch(self, stop: CancelSignal, stream: DifyStream) -> None:
        """On a stop: ask Dify to stop (once the task id is known) and give it a grace period
        to end the stream with its usage."""
        await stop.wait()
        self._stop_requested = True
        grace = self.context.settings.stop_grace_seconds
        stream.close_at(asyncio.get_running_loop().time() + grace)
        await self._send_stop(stream)

    async def _handle(self, stream: DifyStream, event: DifyEvent) -> None:
        for name, data in self.mapper.map(event):
            if name == "delta" and self.first_token_at is None:
                self.first_token_at = utcnow()
                metrics.FIRST_TOKEN.observe(time.monotonic() - self._started)
            await self.writer.emit(name, data)
        # after the first token went out: the ids matter for the next turn, not for this one
        await self._remember_ids(stream)
        if self._stop_requested and not self._stop_sent:
            await self._send_stop(stream)

    async def _send_stop(self, stream: DifyStream) -> None:
        """Ask Dify to stop the task (once its id is known)."""
        if self._stop_sent or stream.task_id is None or self._dify_app is None:
            return
        self._stop_sent = True
        try:
            await stop_task(
                self.context.dify,
                self._dify_app,
                self.request.dify.mode,
                stream.task_id,
                self.request.dify_user,
            )
        except DifyError as exc:
            logger.warning("stopping Dify task failed: %s", exc)

    async def _remember_ids(self, stream: DifyStream) -> None:
        """Tell the gateway the Dify ids as soon as they are known (follow-up turns, feedback)."""
        keys = self.context.keys
        values: dict[str, str] = {}
        if not self._remembered_conversation and stream.conversation_id:
            self._remembered_conversation = True
            if stream.conversation_id != self.request.dify_conversation_id:
                values[keys.dify_conversation(self.request.conversation_id)] = (
                    stream.conversation_id
                )
        if not self._remembered_message and stream.message_id:
            self._remembered_message = True
            values[keys.dify_message(self.request.message_id)] = stream.message_id
        if values:
            await self.context.remember_all(values)

    def _outcome(self, status: Literal["done", "stopped", "failed"]) -> Outcome:
        stream = self._stream
        return Outcome(
            status=status,
            answer=self.mapper.answer,
            dify_conversation_id=stream.conversation_id if stream else None,
            dify_message_id=stream.message_id if stream else None,
            dify_task_id=stream.task_id if stream else None,
        )


async def _none() -> None:
    return None


def completion_event(
    request: ChatRequested, outcome: Outcome, timings: Timings
) -> ChatCompleted | ChatFailed:
    """The bus event that finalises the answer in history."""
    common = {
        "user_id": request.user_id,
        "app_id": request.app_id,
        "conversation_id": request.conversation_id,
        "user_message_id": request.user_message_id,
        "message_id": request.message_id,
        "dify_conversation_id": outcome.dify_conversation_id,
        "dify_message_id": outcome.dify_message_id,
        "dify_task_id": outcome.dify_task_id,
        "timings": timings,
    }
    answer = outcome.answer
    if outcome.status == "failed":
        failure = outcome.failure or Failure("internal_error", "The answer failed")
        return ChatFailed(
            **common, code=failure.code, message=failure.message, partial_answer=answer.text
        )
    return ChatCompleted(
        **common,
        status=outcome.status,
        answer=answer.text,
        usage=answer.usage,
        citations=answer.citations,
        thoughts=list(answer.thoughts.values()),
        nodes=list(answer.nodes.values()),
        files=answer.files,
        suggested_questions=outcome.suggested_questions,
    )
