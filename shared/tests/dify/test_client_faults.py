"""Every fault knob of the emulator ends in the right typed outcome within its deadline."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from rechat_shared.dify import (
    AgentThoughtEvent,
    ChatRequest,
    DifyAPIError,
    DifyApp,
    DifyAuthError,
    DifyBadRequestError,
    DifyClient,
    DifyDeadlineError,
    DifyEvent,
    DifyNotFoundError,
    DifyRateLimitError,
    DifyServerError,
    DifyStallError,
    DifyStream,
    DifyStreamError,
    DifyStreamIncompleteError,
    DifyTimeouts,
    DifyTransportError,
    MessageEndEvent,
    MessageEvent,
    MessageFileEvent,
    WorkflowFinishedEvent,
    WorkflowRunRequest,
)
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.processes import free_port

FAST = DifyTimeouts(stall=5.0, deadline=15.0, terminal_grace=0.3)


@pytest.fixture
async def dify() -> AsyncIterator[DifyClient]:
    async with DifyClient(FAST) as client:
        yield client


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def _collect(stream: DifyStream) -> list[DifyEvent]:
    async with stream:
        return [event async for event in stream]


def _answer(events: list[DifyEvent]) -> str:
    return "".join(event.answer for event in events if isinstance(event, MessageEvent))


async def test_plain_chat_completes_with_usage(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(dify_emulator.app("chat"), ChatRequest(query="Hi", user=_user()))
    events = await _collect(stream)
    end = events[-1]
    assert isinstance(end, MessageEndEvent)
    assert end.metadata.usage is not None
    assert end.metadata.usage.completion_tokens > 0
    assert _answer(events).startswith("Echo: Hi | ")
    assert stream.completed
    assert stream.task_id
    assert stream.conversation_id


async def test_stop_ends_with_message_end_and_partial_answer(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    app, user = dify_emulator.app("chat"), _user()
    stream = dify.stream_chat(app, ChatRequest(query="[[slow]]", user=user))
    seen: list[DifyEvent] = []
    async with stream:
        async for event in stream:
            seen.append(event)
            if len(seen) == 3:
                assert stream.task_id is not None
                await dify.stop_chat(app, stream.task_id, user)
    assert isinstance(seen[-1], MessageEndEvent)
    assert 3 <= len(_answer(seen).split()) < 50


async def test_stall_trips_the_ping_only_watchdog(dify_emulator: RunningEmulator) -> None:
    timeouts = DifyTimeouts(stall=1.5, deadline=10.0)
    async with DifyClient(timeouts) as client:
        stream = client.stream_chat(
            dify_emulator.app("chat"), ChatRequest(query="[[stall]]", user=_user())
        )
        started = time.monotonic()
        with pytest.raises(DifyStallError):
            await _collect(stream)
    assert time.monotonic() - started > 1.4  # the stall watchdog, not the 10 s deadline, ended it


async def test_a_finished_stream_leaves_its_connection_to_the_next(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    app = dify_emulator.app("chat")
    pool = dify._http._transport_for_url(httpx.URL(app.base_url))._pool  # type: ignore[attr-defined]
    for _ in range(3):
        stream = dify.stream_chat(app, ChatRequest(query="[[tokens:5]] hi", user=_user()))
        assert isinstance((await _collect(stream))[-1], MessageEndEvent)
        async with asyncio.timeout(2.0):  # the rest of the body is drained in the background
            while not all(connection.is_idle() for connection in pool.connections):
                await asyncio.sleep(0.005)
    assert len(pool.connections) == 1


async def test_close_at_ends_a_silent_stream_quietly(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="[[stall]]", user=_user())
    )
    started = time.monotonic()
    stream.close_at(asyncio.get_running_loop().time() + 0.5)
    events = await _collect(stream)
    assert time.monotonic() - started > 0.4
    assert not stream.completed
    assert not any(isinstance(event, MessageEndEvent) for event in events)


async def test_close_at_during_a_stream_keeps_what_arrived(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="[[slow]]", user=_user())
    )
    seen: list[DifyEvent] = []
    async with stream:
        async for event in stream:
            if not seen:
                stream.close_at(asyncio.get_running_loop().time() + 0.3)
            seen.append(event)
    assert not stream.completed
    assert _answer(seen)


async def test_deadline_bounds_a_slow_generation(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"),
        ChatRequest(query="[[slow]]", user=_user()),
        timeouts=DifyTimeouts(stall=5.0, deadline=0.8),
    )
    with pytest.raises(DifyDeadlineError):
        await _collect(stream)


async def test_midstream_error_is_a_typed_stream_error(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="[[midstream-error]]", user=_user())
    )
    seen: list[DifyEvent] = []
    with pytest.raises(DifyStreamError) as failure:
        async with stream:
            async for event in stream:
                seen.append(event)
    assert failure.value.code == "completion_request_error"
    assert failure.value.status == 400
    assert len(seen) == 4


@pytest.mark.parametrize("word", ["[[eof]]", "[[eof:crash]]"])
async def test_eof_without_terminal_event_is_incomplete(
    dify: DifyClient, dify_emulator: RunningEmulator, word: str
) -> None:
    stream = dify.stream_chat(dify_emulator.app("chat"), ChatRequest(query=word, user=_user()))
    seen: list[DifyEvent] = []
    with pytest.raises(DifyStreamIncompleteError) as failure:
        async with stream:
            async for event in stream:
                seen.append(event)
    assert len(seen) == 4
    lost = "connection lost" in failure.value.message
    assert lost == (word == "[[eof:crash]]")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("invalid_param", 400, DifyBadRequestError),
        ("app_unavailable", 400, DifyBadRequestError),
        ("not_chat_app", 400, DifyBadRequestError),
        ("provider_not_initialize", 400, DifyBadRequestError),
        ("provider_quota_exceeded", 400, DifyBadRequestError),
        ("model_currently_not_support", 400, DifyBadRequestError),
        ("completion_request_error", 400, DifyBadRequestError),
        ("conversation_completed", 400, DifyBadRequestError),
        ("not_found", 404, DifyNotFoundError),
        ("unsupported_media_type", 415, DifyBadRequestError),
        ("too_many_requests", 429, DifyRateLimitError),
        ("rate_limit_error", 429, DifyRateLimitError),
        ("internal_server_error", 500, DifyServerError),
        ("unauthorized", 401, DifyAuthError),
        ("forbidden", 403, DifyAuthError),
    ],
)
async def test_pre_stream_errors_are_typed(
    dify: DifyClient,
    dify_emulator: RunningEmulator,
    code: str,
    status: int,
    kind: type[DifyAPIError],
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query=f"[[error:{code}]]", user=_user())
    )
    with pytest.raises(kind) as failure:
        await _collect(stream)
    assert (failure.value.code, failure.value.status) == (code, status)


@pytest.mark.parametrize(("status", "kind"), [(429, DifyRateLimitError), (504, DifyServerError)])
async def test_html_error_pages_are_typed(
    dify: DifyClient, dify_emulator: RunningEmulator, status: int, kind: type[DifyAPIError]
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query=f"[[html:{status}]]", user=_user())
    )
    with pytest.raises(kind) as failure:
        await _collect(stream)
    assert failure.value.status == status
    assert failure.value.code == f"http_{status}"
    assert "<" not in failure.value.message


async def test_concurrency_limit_is_back_pressure(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    key = f"app-limited-{uuid.uuid4().hex[:6]}"
    dify_emulator.control(
        "PUT", f"/apps/{key}", json={"key": key, "mode": "chat", "max_active_requests": 1}
    )
    app = DifyApp(base_url=dify_emulator.base_url, api_key=SecretStr(key))
    user = _user()
    busy = dify.stream_chat(app, ChatRequest(query="[[slow]]", user=user))
    async with busy:
        iterator = aiter(busy)
        await anext(iterator)
        with pytest.raises(DifyRateLimitError) as failure:
            await dify.chat(app, ChatRequest(query="second", user=user))
        assert failure.value.status == 429
        dify_emulator.control("PATCH", "/settings", json={"rate_limit_status": 400})
        try:
            with pytest.raises(DifyRateLimitError) as legacy:
                await dify.chat(app, ChatRequest(query="third", user=user))
        finally:
            dify_emulator.control("PATCH", "/settings", json={"rate_limit_status": 429})
        assert legacy.value.status == 400
        assert busy.task_id is not None
        await dify.stop_chat(app, busy.task_id, user)


@pytest.mark.parametrize("order", ["legacy", "docs"])
async def test_chatflow_terminal_order_either_way(
    dify: DifyClient, dify_emulator: RunningEmulator, order: str
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("advanced-chat"), ChatRequest(query=f"[[order:{order}]]", user=_user())
    )
    events = await _collect(stream)
    terminals = [e.event for e in events if e.event in ("message_end", "workflow_finished")]
    expected = ["workflow_finished", "message_end"]
    assert terminals == (expected if order == "legacy" else expected[::-1])


@pytest.mark.parametrize("dropped", ["message_end", "workflow_finished"])
async def test_missing_second_chatflow_terminal_never_blocks(
    dify: DifyClient, dify_emulator: RunningEmulator, dropped: str
) -> None:
    query = f"[[drop:{dropped}]] [[linger:60]]"
    stream = dify.stream_chat(
        dify_emulator.app("advanced-chat"), ChatRequest(query=query, user=_user())
    )
    started = time.monotonic()
    events = await _collect(stream)
    assert time.monotonic() - started < 30  # not the 60 s Dify lingers after its terminal
    assert dropped not in {event.event for event in events}
    assert stream.completed


async def test_stream_is_closed_after_the_terminal_event(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="[[linger:60]]", user=_user())
    )
    started = time.monotonic()
    events = await _collect(stream)
    assert isinstance(events[-1], MessageEndEvent)
    assert time.monotonic() - started < 30  # not the 60 s Dify lingers after its terminal


async def test_chatflow_failure_raises_after_workflow_finished(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("advanced-chat"), ChatRequest(query="[[midstream-error]]", user=_user())
    )
    with pytest.raises(DifyStreamError) as failure:
        await _collect(stream)
    assert failure.value.code == "invalid_param"
    assert failure.value.message.startswith("Run failed: ")


async def test_workflow_failure_is_a_failed_workflow_finished(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    request = WorkflowRunRequest(inputs={"query": "[[midstream-error]]"}, user=_user())
    events = await _collect(dify.stream_workflow(dify_emulator.app("workflow"), request))
    last = events[-1]
    assert isinstance(last, WorkflowFinishedEvent)
    assert last.data.status == "failed"
    assert last.data.error


async def test_agent_thoughts_are_resent_as_they_fill_in(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("agent-chat"), ChatRequest(query="[[tools]]", user=_user())
    )
    events = await _collect(stream)
    thoughts = [event for event in events if isinstance(event, AgentThoughtEvent)]
    by_id: dict[str, list[AgentThoughtEvent]] = {}
    for thought in thoughts:
        by_id.setdefault(thought.id, []).append(thought)
    assert any(len(versions) == 3 for versions in by_id.values())
    assert any(thought.tool == "current_time" and thought.observation for thought in thoughts)
    assert isinstance(events[-1], MessageEndEvent)


async def test_citations_arrive_in_message_end(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="[[cite]]", user=_user())
    )
    end = (await _collect(stream))[-1]
    assert isinstance(end, MessageEndEvent)
    assert [resource.position for resource in end.metadata.retriever_resources] == [1, 2]


async def test_refused_connection_is_a_transport_error(dify: DifyClient) -> None:
    app = DifyApp(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key=SecretStr("app-x"))
    with pytest.raises(DifyTransportError):
        await _collect(dify.stream_chat(app, ChatRequest(query="hi", user="u")))
    with pytest.raises(DifyTransportError):
        await dify.get_info(app)


async def test_api_key_never_shows(dify: DifyClient, dify_emulator: RunningEmulator) -> None:
    secret = "app-very-secret-key"
    app = DifyApp(base_url=dify_emulator.base_url, api_key=SecretStr(secret))
    assert secret not in repr(app)
    assert secret not in str(app)
    with pytest.raises(DifyAuthError) as failure:
        await dify.get_parameters(app)
    assert secret not in str(failure.value)
    assert secret not in repr(failure.value)
    check = await dify.check_app(app)
    assert not check.ok
    assert check.reason
    assert secret not in check.reason


async def test_many_concurrent_streams_finish(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    app = dify_emulator.app("chat")

    async def one(index: int) -> str:
        events = await _collect(dify.stream_chat(app, ChatRequest(query=f"q{index}", user="load")))
        return _answer(events)

    answers = await asyncio.gather(*(one(index) for index in range(50)))
    assert all(answer.startswith(f"Echo: q{index} ") for index, answer in enumerate(answers))


async def test_message_file_events_text_variant_and_image(
    dify: DifyClient, dify_emulator: RunningEmulator
) -> None:
    stream = dify.stream_chat(
        dify_emulator.app("chat"), ChatRequest(query="Hi [[file-chunks]][[image]]", user=_user())
    )
    events = await _collect(stream)
    files = [event for event in events if isinstance(event, MessageFileEvent)]
    text = "".join(event.text_delta or "" for event in files)
    assert text.startswith("Echo: Hi ")
    images = [event for event in files if event.text_delta is None]
    assert len(images) == 1
    assert images[0].url
    assert images[0].belongs_to == "assistant"
