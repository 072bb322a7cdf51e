"""The worker's two consumers: chat requests (generate, complete, title) and feedback."""

from __future__ import annotations

import asyncio
import logging

from rechat_shared.bus import BusUnavailable, Delivery
from rechat_shared.dify import DifyApp, DifyError
from rechat_shared.events import ChatFeedback, ChatRequested, ConversationTitled
from rechat_shared.redis import dify_user_id
from rechat_shared.streams import StreamStatus
from rechat_shared.streams.outage import TRANSIENT
from rechat_worker import metrics
from rechat_worker.context import WorkerContext
from rechat_worker.generation import Generation, Outcome, completion_event
from rechat_worker.lease import RENEW_SECONDS, GenerationLease
from rechat_worker.replay import rebuild

logger = logging.getLogger(__name__)

CHAT_MODES = frozenset({"chat", "agent-chat", "advanced-chat"})

RESTART_EPOCH = 1_000_000
"""A redelivered request whose stream log is gone numbers its events from this times its
delivery count: above anything a client can have seen of the lost log."""


class RequestConsumer:
    """Handles one `chat.requested`: returns once history has been told how it ended."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    async def __call__(self, delivery: Delivery) -> None:
        request = delivery.event
        if not isinstance(request, ChatRequested):
            return
        hub = self.context.hub
        generation = Generation(self.context, request)
        lease = GenerationLease(
            self.context.redis, self.context.keys.generation_lease(request.message_id)
        )
        if delivery.is_retry:
            status = await self.context.wait_for_redis(
                lambda: self._status_when_nobody_generates(request, lease),
                "reading a redelivered request's stream",
            )
            if status.finished:
                await self._publish_again(request)
                return
            # continue the numbers an earlier attempt wrote; when its log is gone, jump far
            # ahead, so a client that saw those numbers still takes the new events
            after = status.last_seq or RESTART_EPOCH * max(1, delivery.delivery_count)
            generation.writer.begin_after(after)
            await generation.writer.emit("restart", {})
        metrics.ACTIVE.inc()
        try:
            async with lease.held():
                async with hub.watch_cancel(request.message_id) as stop:
                    outcome = await generation.run(stop)
                await self._finish(request, generation, outcome)
        finally:
            metrics.ACTIVE.dec()
        metrics.GENERATIONS.labels(outcome.status, request.dify.mode).inc()
        if request.new_conversation:  # whatever the status: a stopped first answer too
            await self._title(request, outcome)

    async def _status_when_nobody_generates(
        self, request: ChatRequested, lease: GenerationLease
    ) -> StreamStatus:
        """The stream of a request handed back, once no live generation holds its lease: the
        broker also hands requests back when it restarts under a worker that goes on
        streaming, and that answer is waited for, not generated a second time."""
        while True:
            status = await self.context.hub.status(request.message_id)
            if status.finished:
                return status
            if not await lease.is_held():
                # a generation frees its lease after its end: look at the stream once more
                return await self.context.hub.status(request.message_id)
            await asyncio.sleep(RENEW_SECONDS / 2)

    async def _finish(
        self, request: ChatRequested, generation: Generation, outcome: Outcome
    ) -> None:
        """Free the conversation, end the stream and report the outcome. Dify is done: from
        here on nothing may hand the request back to the broker (a redelivery would call
        Dify again), so a Redis that stays away beyond the patience costs the lock (it expires
        by itself) and the stream's end, never the answer, which history gets regardless."""
        try:
            # before `done`: a client may send its next turn the moment it sees this one end
            await self.context.release_conversation(request.conversation_id, request.message_id)
        except TRANSIENT as exc:
            logger.error("conversation %s not released: %r", request.conversation_id, exc)
        try:
            await self._end_stream(generation, outcome)
        except TRANSIENT as exc:
            logger.error("the stream of %s could not be ended: %r", request.message_id, exc)
        await self.context.bus.publish(completion_event(request, outcome, generation.timings()))

    async def _end_stream(self, generation: Generation, outcome: Outcome) -> None:
        writer = generation.writer
        if outcome.status == "failed" and outcome.failure is not None:
            failure = outcome.failure
            await writer.emit("error", {"code": failure.code, "message": failure.message})
            return
        answer = outcome.answer
        await writer.emit(
            "done",
            {
                "status": outcome.status,
                "usage": answer.usage.model_dump(mode="json") if answer.usage else None,
                "citations": answer.citations,
                "suggested_questions": outcome.suggested_questions,
            },
        )
        metrics.STREAM_EVENTS.inc(writer.events_written)

    async def _publish_again(self, request: ChatRequested) -> None:
        """The stream already ended: rebuild the answer from its log and report it again."""
        outcome = await rebuild(self.context.hub, request.message_id)
        generation = Generation(self.context, request)
        await self.context.bus.publish(completion_event(request, outcome, generation.timings()))
        await self.context.release_conversation(request.conversation_id, request.message_id)

    async def _title(self, request: ChatRequested, outcome: Outcome) -> None:
        """Let Dify name a new conversation after its first answer (a conversation Dify never
        started keeps the start of its first question, history's own title)."""
        settings = self.context.settings
        if not settings.auto_title or request.dify.mode not in CHAT_MODES:
            return
        if outcome.dify_conversation_id is None:
            return
        try:
            app = DifyApp(
                base_url=request.dify.base_url,
                api_key=self.context.box.decrypt(request.dify.api_key_encrypted),
            )
            conversation = await self.context.dify.rename_conversation(
                app, outcome.dify_conversation_id, request.dify_user, auto_generate=True
            )
            if conversation.name:
                await self.context.bus.publish(
                    ConversationTitled(
                        user_id=request.user_id,
                        conversation_id=request.conversation_id,
                        title=conversation.name[:200],
                    )
                )
        except (DifyError, BusUnavailable, ValueError) as exc:
            logger.warning("auto-title failed: %s", type(exc).__name__)


class FeedbackConsumer:
    """Forwards a rating to Dify (history stores it from the same event)."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    async def __call__(self, delivery: Delivery) -> None:
        feedback = delivery.event
        if not isinstance(feedback, ChatFeedback) or feedback.dify is None:
            return
        dify_message_id = feedback.dify_message_id or await self.context.recall(
            self.context.keys.dify_message(feedback.message_id)
        )
        if dify_message_id is None:
            logger.info("feedback for a message Dify never named; not forwarded")
            return
        try:
            app = DifyApp(
                base_url=feedback.dify.base_url,
                api_key=self.context.box.decrypt(feedback.dify.api_key_encrypted),
            )
            await self.context.dify.send_feedback(
                app,
                dify_message_id,
                feedback.dify_user or dify_user_id(feedback.user_id),
                feedback.rating,
                feedback.content,
            )
        except ValueError:
            logger.warning("feedback not forwarded: the app key cannot be decrypted")
        except DifyError as exc:
            if exc.retryable:
                raise
            logger.warning("Dify refused the feedback: %s", exc)
