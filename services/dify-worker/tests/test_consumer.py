"""One chat request end to end inside the worker: stream events, completion event, stop,
Dify failures, the stall watchdog and redelivery (in-process transports, real emulator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rechat_shared.bus import HISTORY_QUEUE, Delivery
from rechat_shared.conversation_tombstone import mark_deleted
from rechat_shared.events import (
    AnyBusEvent,
    ChatCompleted,
    ChatFailed,
    ChatRequested,
    ConversationTitled,
    DifyTarget,
    StreamEvent,
    new_id,
)
from rechat_shared.redis import dify_user_id
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.polling import eventually
from rechat_worker.consumer import RequestConsumer
from rechat_worker.context import WorkerContext


@pytest.fixture
async def published(context: WorkerContext) -> AsyncIterator[list[AnyBusEvent]]:
    """Every bus event the worker publishes (read from history's queue)."""
    events: list[AnyBusEvent] = []

    async def collect(delivery: Delivery) -> None:
        events.append(delivery.event)

    consumer = await context.bus.consume(HISTORY_QUEUE, collect)
    yield events
    await consumer.stop()


def _request(
    context: WorkerContext, emulator: RunningEmulator, query: str, mode: str = "chat"
) -> ChatRequested:
    return ChatRequested(
        user_id="user-1",
        app_id="app-1",
        conversation_id=new_id(),
        user_message_id=new_id(),
        message_id=new_id(),
        query=query,
        dify=DifyTarget(
            base_url=emulator.base_url,
            api_key_encrypted=context.box.encrypt(emulator.keys[mode]),
            mode=mode,
        ),
        dify_user=dify_user_id("user-1"),
        new_conversation=True,
    )


def _delivery(request: ChatRequested, *, retry: bool = False) -> Delivery:
    return Delivery(
        event=request,
        routing_key="chat.requested",
        message_id=request.event_id,
        trace_id=None,
        redelivered=retry,
        delivery_count=1 if retry else 0,
    )


async def _stream(context: WorkerContext, message_id: str) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    async with context.hub.attach(message_id, None) as events:
        async for event in events:
            out.append(event)
            if event.is_terminal:
                return out
    return out


async def _wait_for(events: list[Any], kind: type) -> Any:
    return await eventually(lambda: next((e for e in events if isinstance(e, kind)), None))


def _text(events: list[StreamEvent]) -> str:
    return "".join(str(e.data["text"]) for e in events if e.event == "delta")


async def test_answer_streams_completes_and_names_the_conversation(
    context: WorkerContext, dify_emulator: RunningEmulator, published: list[AnyBusEvent]
) -> None:
    request = _request(context, dify_emulator, "[[tokens:30]]")
    lock = context.keys.conversation_lock(request.conversation_id)
    await context.redis.set(lock, request.message_id)
    await RequestConsumer(context)(_delivery(request))
    events = await _stream(context, request.message_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].event == "done"
    assert events[-1].data["status"] == "done"
    expected = "".join(f"t{i} " for i in range(30))
    assert _text(events) == expected
    completed = await _wait_for(published, ChatCompleted)
    assert completed.answer == expected
    assert completed.status == "done"
    assert completed.timings.first_token_at is not None
    assert await context.recall(context.keys.dify_conversation(request.conversation_id)) == (
        completed.dify_conversation_id
    )
    assert (
        await context.recall(context.keys.dify_message(request.message_id))
        == completed.dify_message_id
    )
    assert await context.redis.get(lock) is None
    titled = await _wait_for(published, ConversationTitled)
    assert titled.conversation_id == request.conversation_id
    assert titled.title


async def test_stop_ends_with_the_partial_answer(
    context: WorkerContext, dify_emulator: RunningEmulator, published: list[AnyBusEvent]
) -> None:
    request = _request(context, dify_emulator, "[[slow]]")
    task = asyncio.create_task(RequestConsumer(context)(_delivery(request)))
    seen: list[StreamEvent] = []
    async with context.hub.attach(request.message_id, None) as events:
        async for event in events:
            seen.append(event)
            if len([e for e in seen if e.event == "delta"]) == 3:
                await context.hub.request_cancel(request.message_id)
            if event.is_terminal:
                break
    await asyncio.wait_for(task, 10)
    assert seen[-1].event == "done"
    assert seen[-1].data["status"] == "stopped"
    completed = await _wait_for(published, ChatCompleted)
    assert completed.status == "stopped"
    assert completed.answer == _text(seen)
    assert 3 <= len(completed.answer.split()) < 50


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("[[error:provider_quota_exceeded]]", "provider_quota_exceeded"),
        ("[[midstream-error]]", ""),
        ("[[stall]]", "dify_stalled"),
    ],
)
async def test_dify_failures_end_with_an_error_event_and_chat_failed(
    context: WorkerContext,
    dify_emulator: RunningEmulator,
    published: list[AnyBusEvent],
    query: str,
    code: str,
) -> None:
    request = _request(context, dify_emulator, query)
    await asyncio.wait_for(RequestConsumer(context)(_delivery(request)), 10)
    events = await _stream(context, request.message_id)
    assert events[-1].event == "error"
    assert code in events[-1].data["code"]
    assert events[-1].data["message"]
    failed = await _wait_for(published, ChatFailed)
    assert failed.code == events[-1].data["code"]
    assert failed.partial_answer == _text(events)


async def test_redelivery_restarts_and_a_finished_stream_is_reported_again(
    context: WorkerContext, dify_emulator: RunningEmulator, published: list[AnyBusEvent]
) -> None:
    request = _request(context, dify_emulator, "[[tokens:4]]")
    await context.hub.append(request.message_id, "delta", {"text": "half an ans"})
    await RequestConsumer(context)(_delivery(request, retry=True))
    events = await _stream(context, request.message_id)
    assert [e.event for e in events[:2]] == ["delta", "restart"]
    assert _text(events[2:]) == "t0 t1 t2 t3 "
    first = await _wait_for(published, ChatCompleted)
    published.clear()
    await RequestConsumer(context)(_delivery(request, retry=True))
    again = await _wait_for(published, ChatCompleted)
    assert again.answer == first.answer == "t0 t1 t2 t3 "
    assert len(await _stream(context, request.message_id)) == len(events)


async def test_a_turn_for_a_conversation_deleted_meanwhile_never_reaches_dify(
    context: WorkerContext, dify_emulator: RunningEmulator, published: list[AnyBusEvent]
) -> None:
    """Two tabs: the gateway accepted the turn, then the other tab deleted the conversation
    before a worker took it. The worker must not continue the old Dify conversation."""
    first = _request(context, dify_emulator, "[[tokens:2]] remember this")
    await RequestConsumer(context)(_delivery(first))
    done = await _wait_for(published, ChatCompleted)
    dify_user_calls = len(_chat_calls(dify_emulator, first.dify_user))
    await mark_deleted(context.redis, context.keys, [first.conversation_id])
    follow_up = first.model_copy(
        update={
            "message_id": new_id(),
            "user_message_id": new_id(),
            "event_id": new_id(),
            "new_conversation": False,
            "dify_conversation_id": done.dify_conversation_id,
        }
    )
    await RequestConsumer(context)(_delivery(follow_up))
    events = await _stream(context, follow_up.message_id)
    assert events[-1].event == "error"
    assert events[-1].data["code"] == "conversation_not_found"
    failed = await eventually(
        lambda: next(
            (
                e
                for e in published
                if isinstance(e, ChatFailed) and e.message_id == follow_up.message_id
            ),
            None,
        )
    )
    assert failed.code == "conversation_not_found"
    assert len(_chat_calls(dify_emulator, first.dify_user)) == dify_user_calls


def _chat_calls(emulator: RunningEmulator, user: str) -> list[Any]:
    calls = emulator.control("GET", "/calls", params={"route": "/v1/chat-messages"})["calls"]
    return [call for call in calls if (call["body"] or {}).get("user") == user]
