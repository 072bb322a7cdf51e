"""Chat commands: start a turn (send, regenerate), resume, stop and rate an answer."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, cast

from rechat_gateway.apps.inputs import turn_inputs
from rechat_gateway.apps.service import AppService
from rechat_gateway.chat.history import CallerHistory
from rechat_gateway.chat.ownership import ConversationDirectory
from rechat_gateway.chat.redis_repository import ConversationOwner, MessageRecord, Records, TurnGate
from rechat_gateway.chat.replay import final_events
from rechat_gateway.chat.schemas import ChatMessageCreate, FeedbackCreate
from rechat_gateway.chat.sse import EventStreamResponse, KeepAliveTicker, sse_body
from rechat_gateway.config import GatewaySettings
from rechat_gateway.models import App
from rechat_shared.bus import EventBus
from rechat_shared.errors import (
    AppMismatch,
    MessageNotFound,
    PayloadTooLarge,
    RegenerateNotLast,
    UnprocessableEntity,
)
from rechat_shared.events import ChatFeedback, ChatRequested, StreamEvent, new_id
from rechat_shared.redis import dify_user_id
from rechat_shared.security import Principal
from rechat_shared.streams import StreamHub, StreamSubscription
from rechat_shared.streams.outage import TRANSIENT, wait_for_redis

logger = logging.getLogger(__name__)

LAST_ANSWER_PATIENCE_SECONDS = 60.0
_BACKGROUND: set[asyncio.Task[None]] = set()
"""Notes written after a turn was accepted (a reference keeps each task alive)."""


def start_event(record: MessageRecord) -> StreamEvent:
    """`start` is the gateway's own event (seq 0): the ids, before anything of the worker."""
    data = {
        "conversation_id": record.conversation_id,
        "message_id": record.message_id,
        "user_message_id": record.user_message_id,
    }
    if record.regenerate_of:
        data["regenerate_of"] = record.regenerate_of
    return StreamEvent(seq=0, event="start", data=data)


@dataclass
class Turn:
    """What a new turn asks, before it has ids."""

    query: str
    inputs: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    conversation_id: str | None = None
    dify_conversation_id: str | None = None
    regenerate_of: str | None = None
    suggest_questions: bool = False


@dataclass
class ChatService:
    settings: GatewaySettings
    apps: AppService
    directory: ConversationDirectory
    records: Records
    gate: TurnGate
    bus: EventBus
    hub: StreamHub
    history: CallerHistory
    ticker: KeepAliveTicker

    async def send(self, principal: Principal, body: ChatMessageCreate) -> EventStreamResponse:
        self._check_sizes(body)
        app = await self.apps.get_visible(body.app_id, principal)
        turn = Turn(
            query=body.query,
            inputs=body.inputs,
            files=[file.model_dump(exclude_none=True) for file in body.files],
        )
        if body.conversation_id is not None:
            owned = await self.directory.owned(body.conversation_id, principal.user_id)
            if owned.app_id != app.id:
                raise AppMismatch()
            turn.conversation_id = owned.conversation_id
            turn.dify_conversation_id = owned.dify_conversation_id
        return await self._start(principal, app, turn)

    async def regenerate(self, principal: Principal, message_id: str) -> EventStreamResponse:
        """Ask the same question again as a new turn; its answer is a sibling of this one.

        Only the conversation's last answer: Dify's Service API cannot name a turn's parent
        (it forces `parent_message_id` to nil), so the new turn follows the old one in Dify's
        memory, and an earlier answer cannot be replaced there at all."""
        record = await self._owned(message_id, principal)
        app = await self.apps.get_visible(record.app_id, principal)
        owned = await self.directory.owned(record.conversation_id, principal.user_id)
        last = await self.records.last_answer(record.conversation_id)
        if last is not None and last != message_id:
            raise RegenerateNotLast()
        turn = Turn(
            query=record.query,
            inputs=record.inputs,
            files=record.files,
            conversation_id=record.conversation_id,
            dify_conversation_id=owned.dify_conversation_id,
            regenerate_of=record.regenerate_of or record.message_id,
        )
        return await self._start(principal, app, turn)

    async def resume(
        self, principal: Principal, message_id: str, last_event_id: int | None
    ) -> EventStreamResponse:
        """Replay after `last_event_id`, then live; from history when the log has expired."""
        record = await self._owned(message_id, principal)
        first = [start_event(record)] if last_event_id is None else []
        status = await self.hub.status(message_id)
        if not status.exists:
            # no log: not started yet (history has it pending), or the log expired (final)
            stored = await self.history.message(message_id)
            final = final_events(stored, after=last_event_id or 0)
            if final:
                return EventStreamResponse(
                    sse_body(first + final, None, self.ticker),
                    AsyncExitStack(),
                )
        resources = AsyncExitStack()
        subscription = await resources.enter_async_context(
            self.hub.attach(message_id, last_event_id)
        )
        body = sse_body(first, subscription, self.ticker)
        return EventStreamResponse(body, resources)

    async def stop(self, principal: Principal, message_id: str) -> None:
        await self._owned(message_id, principal)
        await self.hub.request_cancel(message_id)

    async def feedback(self, principal: Principal, message_id: str, body: FeedbackCreate) -> None:
        """Publish the rating; the worker forwards it to Dify and history stores it."""
        record = await self._owned(message_id, principal)
        app = await self.apps.repository.get(record.app_id)
        await self.bus.publish(
            ChatFeedback(
                user_id=principal.user_id,
                message_id=message_id,
                rating=body.rating,
                content=body.content,
                dify=self.apps.dify_target(app) if app is not None else None,
                dify_message_id=await self.records.dify_message_id(message_id),
                dify_user=dify_user_id(principal.user_id),
            )
        )

    # -- internals -------------------------------------------------------------------------

    async def _owned(self, message_id: str, principal: Principal) -> MessageRecord:
        record = await self.records.message(message_id)
        if record is None or record.user_id != principal.user_id:
            raise MessageNotFound()
        return record

    def _check_sizes(self, body: ChatMessageCreate) -> None:
        if len(body.query) > self.settings.max_query_chars:
            raise UnprocessableEntity(
                f"query: longer than {self.settings.max_query_chars} characters"
            )
        if len(body.files) > self.settings.max_files:
            raise UnprocessableEntity(f"files: more than {self.settings.max_files} files")
        inputs_size = len(json.dumps(body.inputs, ensure_ascii=False).encode())
        if inputs_size > self.settings.max_inputs_bytes:
            raise PayloadTooLarge(f"inputs: larger than {self.settings.max_inputs_bytes} bytes")

    async def _start(self, principal: Principal, app: App, turn: Turn) -> EventStreamResponse:
        """Rate limit, lock, record, subscribe, publish (503 and nothing kept if unconfirmed)."""
        described = await self.apps.describe(app)  # Dify's /parameters, cached
        turn.inputs = turn_inputs(app.mode, described.user_input_form, turn.query, turn.inputs)
        turn.suggest_questions = described.suggested_questions_after_answer
        new_conversation = turn.conversation_id is None
        record = MessageRecord(
            message_id=new_id(),
            user_message_id=new_id(),
            user_id=principal.user_id,
            app_id=app.id,
            conversation_id=turn.conversation_id or new_id(),
            query=turn.query,
            inputs=turn.inputs,
            files=turn.files,
            regenerate_of=turn.regenerate_of,
        )
        resources = AsyncExitStack()
        try:
            owner = None
            if new_conversation:
                owner = ConversationOwner(user_id=principal.user_id, app_id=app.id)
            # independent round trips, all needed before the request goes out; a refused turn
            # (429/409) undoes the other two below (its ids are fresh: nobody saw them)
            admitted, saved, subscription = await asyncio.gather(
                self.gate.admit(principal.user_id, record.conversation_id, record.message_id),
                self.records.save(record, owner),
                resources.enter_async_context(self.hub.attach(record.message_id, new=True)),
                return_exceptions=True,
            )
            for outcome in (admitted, saved, subscription):
                if isinstance(outcome, BaseException):
                    raise outcome
            subscription = cast(StreamSubscription, subscription)
            await self.bus.publish(self._request(record, app, turn, new_conversation))
        except BaseException:
            await resources.aclose()
            await self._forget(record, new_conversation)
            raise
        # published: a worker generates the answer now, so the turn is no longer refused (a
        # 503 here had the client ask again while Dify answered, and billed, the first); the
        # note for regenerate waits for Redis in the background should it be away this moment
        remember = asyncio.create_task(self._remember_last_answer(record))
        _BACKGROUND.add(remember)
        remember.add_done_callback(_BACKGROUND.discard)
        body = sse_body([start_event(record)], subscription, self.ticker)
        return EventStreamResponse(body, resources)

    async def _remember_last_answer(self, record: MessageRecord) -> None:
        try:
            await wait_for_redis(
                lambda: self.records.set_last_answer(record.conversation_id, record.message_id),
                patience=LAST_ANSWER_PATIENCE_SECONDS,
                what=f"noting the last answer of {record.conversation_id}",
            )
        except TRANSIENT as exc:
            logger.warning("last answer of %s not noted: %r", record.conversation_id, exc)

    async def _forget(self, record: MessageRecord, new_conversation: bool) -> None:
        """Undo a refused turn. Each step stands alone: one failing must neither skip the
        others (above all freeing the conversation) nor replace the refusal's own error."""
        steps = [
            self.gate.release(record.conversation_id, record.message_id),
            self.records.forget_message(record.message_id),
        ]
        if new_conversation:
            steps.append(self.records.forget_owner(record.conversation_id))
        for outcome in await asyncio.gather(*steps, return_exceptions=True):
            if isinstance(outcome, Exception):
                logger.warning("undoing refused turn %s: %r", record.message_id, outcome)

    def _request(
        self, record: MessageRecord, app: App, turn: Turn, new_conversation: bool
    ) -> ChatRequested:
        return ChatRequested(
            user_id=record.user_id,
            app_id=app.id,
            conversation_id=record.conversation_id,
            user_message_id=record.user_message_id,
            message_id=record.message_id,
            query=record.query,
            inputs=record.inputs,
            files=record.files,
            dify=self.apps.dify_target(app),
            dify_conversation_id=turn.dify_conversation_id,
            dify_user=dify_user_id(record.user_id),
            regenerate_of=record.regenerate_of,
            new_conversation=new_conversation,
            suggest_questions=turn.suggest_questions,
        )
