"""Applies bus events to the read model: one `apply_*` per event type, idempotent and
order-independent.

Every field has a merge rule that does not depend on arrival order:
- times: `created_at` is the earliest time any event knows for the row, `updated_at` the latest;
- an answer's status only moves up the ranks pending < failed < stopped < done; between two
  terminal events of the same rank the later (then the greater event id) wins, so a duplicate
  changes nothing and a completion that arrives before its request still ends `done`;
- the title: a user's rename beats Dify's title, which beats the start of the first question;
- conversation summaries (last activity, preview, placeholder title) are recomputed from the
  message rows after every batch, so they are a function of the rows, not of the order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.ingest import repository
from rechat_history.ingest.repository import BatchKeys, BatchRows, Changes
from rechat_history.ingest.rows import ConversationRow, FeedbackRow, MessageRow, UsageRow
from rechat_history.models import TITLE_LENGTH
from rechat_shared.events import (
    GENERATION_FAILED,
    AnyBusEvent,
    ChatCompleted,
    ChatFailed,
    ChatFeedback,
    ChatRequested,
    ConversationTitled,
    UserChanged,
)
from rechat_shared.text import one_line

logger = logging.getLogger(__name__)

STATUS_RANK = {"pending": 0, "failed": 1, "stopped": 2, "done": 3}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """An event to apply and whether it came back as a dead letter of another queue."""

    event: AnyBusEvent
    dead_lettered: bool = False


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Ingest:
    """One batch of events applied inside one transaction."""

    def __init__(self, session: AsyncSession, rows: BatchRows) -> None:
        self.session = session
        self.rows = rows
        self.touched: set[str] = set()
        self.new = Changes()
        self.changed = Changes()

    # ------------------------------------------------------------------ rows

    def conversation(
        self, conversation_id: str, user_id: str, app_id: str, at: datetime
    ) -> ConversationRow | None:
        """The conversation to write to, created if new; None when it must not be touched
        (deleted by its owner, or owned by someone else)."""
        conversation = self.rows.conversations.get(conversation_id)
        if conversation is None:
            conversation = ConversationRow(
                id=conversation_id,
                user_id=user_id,
                app_id=app_id,
                title="",
                title_source="question",
                pinned=False,
                archived=False,
                preview="",
                created_at=at,
                updated_at=at,
            )
            self.rows.conversations[conversation_id] = conversation
            self.new.conversations[conversation_id] = conversation
        if conversation.deleted_at is not None or conversation.user_id != user_id:
            if conversation.user_id != user_id:
                logger.warning("event for conversation %s of another user", conversation_id)
            return None
        if app_id and not conversation.app_id:
            conversation.app_id = app_id
        conversation.created_at = min(conversation.created_at, at)
        self.touched.add(conversation_id)
        if conversation_id not in self.new.conversations:
            self.changed.conversations[conversation_id] = conversation
        return conversation

    def message(
        self, conversation: ConversationRow, message_id: str, role: str, at: datetime
    ) -> MessageRow | None:
        """The message to write to, created (pending, empty) if new; None if it belongs to
        another conversation."""
        message = self.rows.messages.get(message_id)
        if message is None:
            message = MessageRow(
                id=message_id,
                conversation_id=conversation.id,
                user_id=conversation.user_id,
                role=role,
                position=0 if role == "user" else 1,
                content="",
                status="done" if role == "user" else "pending",
                created_at=at,
                updated_at=at,
            )
            self.rows.messages[message_id] = message
            self.new.messages[message_id] = message
        if message.conversation_id != conversation.id or message.role != role:
            logger.warning("event for message %s does not match its conversation", message_id)
            return None
        message.created_at = min(message.created_at, at)
        message.updated_at = max(message.updated_at, at)
        if message_id not in self.new.messages:
            self.changed.messages[message_id] = message
        return message

    # ------------------------------------------------------------------ events

    def apply(self, incoming: IncomingEvent) -> None:
        event = incoming.event
        if event.type == "user.changed":
            return  # erasures run before the batch (see `apply_batch`)
        if event.user_id in self.rows.erased:
            return
        if isinstance(event, ChatRequested):
            self.apply_requested(event)
            if incoming.dead_lettered:
                self.apply_request_dead(event)
        elif incoming.dead_lettered:
            return  # other dead letters (feedback to Dify) were applied when first delivered
        elif isinstance(event, ChatCompleted):
            self.apply_completed(event)
        elif isinstance(event, ChatFailed):
            self.apply_failed(event)
        elif isinstance(event, ChatFeedback):
            self.apply_feedback(event)
        elif isinstance(event, ConversationTitled):
            self.apply_titled(event)

    def apply_requested(self, event: ChatRequested) -> None:
        """The question, and a pending answer (unless the answer is already known)."""
        at = _utc(event.occurred_at)
        conversation = self.conversation(event.conversation_id, event.user_id, event.app_id, at)
        if conversation is None:
            return
        if event.dify_conversation_id and not conversation.dify_conversation_id:
            conversation.dify_conversation_id = event.dify_conversation_id
        question = self.message(conversation, event.user_message_id, "user", at)
        if question is not None:
            question.content = event.query
            question.inputs = dict(event.inputs)
            question.files = list(event.files)
            question.regenerate_of = event.regenerate_of
        answer = self.message(conversation, event.message_id, "assistant", at)
        if answer is not None:
            answer.regenerate_of = event.regenerate_of

    def apply_request_dead(self, event: ChatRequested) -> None:
        """A request the workers kept failing on: its answer is failed (unless it finished)."""
        if event.conversation_id not in self.touched:
            return  # the conversation was deleted or is not this user's
        answer = self.rows.messages.get(event.message_id)
        at = _utc(event.occurred_at)
        if answer is not None and _outranks(answer, "failed", at, f"dead:{event.event_id}"):
            answer.status = "failed"
            answer.error = dict(GENERATION_FAILED)
            answer.final_at, answer.final_event_id = at, f"dead:{event.event_id}"

    def _answer(self, event: ChatCompleted | ChatFailed) -> MessageRow | None:
        at = _utc(event.occurred_at)
        started = event.timings.requested_at
        created = min(at, _utc(started)) if started is not None else at
        conversation = self.conversation(
            event.conversation_id, event.user_id, event.app_id, created
        )
        if conversation is None:
            return None
        if event.dify_conversation_id:
            conversation.dify_conversation_id = event.dify_conversation_id
        answer = self.message(conversation, event.message_id, "assistant", created)
        if answer is not None:
            answer.updated_at = max(answer.updated_at, at)
        return answer

    def apply_completed(self, event: ChatCompleted) -> None:
        """The finished answer with everything Dify said about it, and its usage record."""
        answer = self._answer(event)
        if answer is None:
            return
        at = _utc(event.occurred_at)
        if _outranks(answer, event.status, at, event.event_id):
            answer.status = event.status
            answer.final_at, answer.final_event_id = at, event.event_id
            answer.content = event.answer
            answer.error = None
            answer.usage = event.usage.model_dump(mode="json") if event.usage else None
            answer.dify_message_id = event.dify_message_id
            answer.dify_task_id = event.dify_task_id
            answer.citations = list(event.citations)
            answer.thoughts = list(event.thoughts)
            answer.nodes = list(event.nodes)
            answer.files = list(event.files)
            answer.suggested_questions = list(event.suggested_questions)
            answer.timings = event.timings.model_dump(mode="json")
        self._record_usage(event, answer)

    def apply_failed(self, event: ChatFailed) -> None:
        """A failed answer keeps what had streamed so far and the error."""
        answer = self._answer(event)
        if answer is None:
            return
        at = _utc(event.occurred_at)
        if _outranks(answer, "failed", at, event.event_id):
            answer.status = "failed"
            answer.final_at, answer.final_event_id = at, event.event_id
            answer.content = event.partial_answer
            answer.error = {"code": event.code, "message": event.message}
            answer.dify_message_id = event.dify_message_id
            answer.dify_task_id = event.dify_task_id
            answer.timings = event.timings.model_dump(mode="json")

    def _record_usage(self, event: ChatCompleted, answer: MessageRow) -> None:
        if event.usage is None or event.message_id in self.new.usage:
            return  # the first record wins, here and in the table
        usage = event.usage
        try:
            price = Decimal(usage.total_price or "0")
        except InvalidOperation:
            price = Decimal(0)
        record = UsageRow(
            message_id=event.message_id,
            user_id=answer.user_id,
            app_id=event.app_id,
            day=answer.created_at.date(),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            total_price=price if price.is_finite() else Decimal(0),
            currency=usage.currency[:8],
            occurred_at=_utc(event.occurred_at),
        )
        self.new.usage[event.message_id] = record

    def apply_feedback(self, event: ChatFeedback) -> None:
        """The latest rating wins; it may arrive before the message it rates."""
        at = _utc(event.occurred_at)
        current = self.rows.feedback.get(event.message_id)
        if current is None:
            current = FeedbackRow(
                message_id=event.message_id,
                user_id=event.user_id,
                occurred_at=_EPOCH,
                event_id="",
            )
            self.rows.feedback[event.message_id] = current
            self.new.feedback[event.message_id] = current
        elif current.user_id != event.user_id:
            return
        elif event.message_id not in self.new.feedback:
            self.changed.feedback[event.message_id] = current
        if (at, event.event_id) > (current.occurred_at, current.event_id):
            current.rating, current.content = event.rating, event.content
            current.occurred_at, current.event_id = at, event.event_id

    def apply_titled(self, event: ConversationTitled) -> None:
        """Dify's title replaces the placeholder, never a title the user chose."""
        at = _utc(event.occurred_at)
        conversation = self.conversation(event.conversation_id, event.user_id, "", at)
        if conversation is None or conversation.title_source == "user":
            return
        title = one_line(event.title, TITLE_LENGTH)
        if not title:
            return
        previous = conversation.title_at
        generated = conversation.title_source == "generated" and previous is not None
        if generated and (at, title) <= (previous or at, conversation.title):
            return
        conversation.title, conversation.title_source, conversation.title_at = (
            title,
            "generated",
            at,
        )

    # ------------------------------------------------------------------ summaries

    async def write(self) -> None:
        """Write the batch's new and changed rows (a few multi-row statements), then every
        touched conversation with its summary recomputed from the stored messages (this is
        also where changed conversations are written)."""
        await repository.write(self.session, new=self.new, changed=self.changed)
        found = await repository.summaries(self.session, sorted(self.touched))
        for conversation_id, summary in found.items():
            conversation = self.rows.conversations[conversation_id]
            last = summary.last_activity
            conversation.updated_at = (
                max(conversation.created_at, last) if last else conversation.created_at
            )
            conversation.preview = summary.preview
            if conversation.title_source == "question":
                conversation.title = summary.first_question
        summarised = [self.rows.conversations[cid] for cid in sorted(found)]
        await repository.write_conversations(self.session, summarised)


def _outranks(message: MessageRow, status: str, at: datetime, event_id: str) -> bool:
    current = (
        STATUS_RANK.get(message.status, 0),
        message.final_at or _EPOCH,
        message.final_event_id or "",
    )
    return (STATUS_RANK[status], at, event_id) > current


def _keys(events: Sequence[IncomingEvent]) -> BatchKeys:
    keys = BatchKeys()
    for incoming in events:
        event = incoming.event
        keys.users.add(event.user_id)
        if isinstance(event, ChatRequested):
            keys.messages.update((event.user_message_id, event.message_id))
        elif isinstance(event, ChatCompleted | ChatFailed):
            keys.messages.add(event.message_id)
        elif isinstance(event, ChatFeedback):
            keys.feedback.add(event.message_id)
        if isinstance(event, ChatRequested | ChatCompleted | ChatFailed | ConversationTitled):
            keys.conversations.add(event.conversation_id)
    return keys


def partition(events: Sequence[IncomingEvent], parts: int) -> list[list[IncomingEvent]]:
    """Split a batch into up to `parts` independent ones: the events of one conversation (and the
    ratings of one message) land in the same part, so the parts touch disjoint rows and may be
    written by concurrent transactions. A batch with an erasure stays whole: an erasure reaches
    every conversation of its user."""
    if parts < 2 or any(_erases(incoming.event) for incoming in events):
        return [list(events)]
    split: list[list[IncomingEvent]] = [[] for _ in range(parts)]
    for incoming in events:
        event = incoming.event
        key = event.message_id if isinstance(event, ChatFeedback) else _conversation_of(event)
        split[hash(key) % parts].append(incoming)
    return [part for part in split if part]


def _erases(event: AnyBusEvent) -> bool:
    return isinstance(event, UserChanged) and event.change == "deleted"


def _conversation_of(event: AnyBusEvent) -> str:
    if isinstance(event, ChatRequested | ChatCompleted | ChatFailed | ConversationTitled):
        return event.conversation_id
    return ""  # other events change no rows


async def apply_batch(session: AsyncSession, events: Sequence[IncomingEvent]) -> None:
    """Apply a batch in one transaction (the caller commits). Erasures go first: an erased user
    stays erased whatever the order, so the result is the same as in any other order."""
    for incoming in events:
        event = incoming.event
        if _erases(event):
            await repository.erase_user(session, event.user_id, _utc(event.occurred_at))
    rows = await repository.load_rows(session, _keys(events))
    ingest = Ingest(session, rows)
    for incoming in events:
        ingest.apply(incoming)
    await ingest.write()
