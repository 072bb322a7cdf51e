"""The SSE decoder and the typed-event parser on the edge cases real servers produce."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from rechat_shared.dify import (
    AgentThoughtEvent,
    ChatRequest,
    DifyApp,
    DifyClient,
    DifyProtocolError,
    IterationEvent,
    MessageEndEvent,
    MessageFileEvent,
    NodeRetryEvent,
    PingEvent,
    UnknownEvent,
    parse_event,
)
from rechat_shared.dify.sse import iter_frames

APP = DifyApp(base_url="http://dify.test/v1", api_key=SecretStr("app-secret"))


def test_line_ends_and_chunk_boundaries() -> None:
    wire = b'data: {"a": 1}\r\n\r\nevent: ping\r\r: comment\ndata: {"b":\ndata: 2}\n\n'
    expected = [(None, b'{"a": 1}'), ("ping", b""), (None, b'{"b":\n2}')]
    for size in (1, 2, 3, 7, len(wire)):
        chunks = [wire[index : index + size] for index in range(0, len(wire), size)]
        assert list(iter_frames(chunks)) == expected


def test_unterminated_last_frame_is_discarded() -> None:
    assert list(iter_frames([b'data: {"a": 1}\n\ndata: {"b"'])) == [(None, b'{"a": 1}')]


def test_ping_and_unknown_events() -> None:
    assert isinstance(parse_event(b"", "ping"), PingEvent)
    future = parse_event(json.dumps({"event": "reasoning_chunk", "data": {"reasoning": "hm"}}))
    assert isinstance(future, UnknownEvent)
    assert future.model_dump() == {"event": "reasoning_chunk", "data": {"reasoning": "hm"}}


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"no_event": 1}'])
def test_garbage_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(DifyProtocolError):
        parse_event(data)


def test_message_file_text_chunk_variant() -> None:
    chunk = parse_event(json.dumps({"event": "message_file", "id": "m", "answer": "Hi"}))
    assert isinstance(chunk, MessageFileEvent)
    assert chunk.text_delta == "Hi"
    real = parse_event(
        json.dumps({"event": "message_file", "id": "f", "type": "image", "url": "http://x/f.png"})
    )
    assert isinstance(real, MessageFileEvent)
    assert real.text_delta is None


def test_decimal_usage_and_newer_events() -> None:
    end = parse_event(
        json.dumps(
            {
                "event": "message_end",
                "metadata": {"usage": {"total_price": "0.0012890", "total_tokens": 5}},
            }
        )
    )
    assert isinstance(end, MessageEndEvent)
    assert end.metadata.usage is not None
    assert str(end.metadata.usage.total_price) == "0.0012890"
    node = {"id": "n", "node_id": "x", "node_type": "llm", "retry_index": 1}
    assert isinstance(
        parse_event(json.dumps({"event": "node_retry", "data": node})), NodeRetryEvent
    )
    iteration = {"event": "iteration_next", "data": {"id": "i", "node_id": "it", "index": 2}}
    assert isinstance(parse_event(json.dumps(iteration)), IterationEvent)
    thought = {"event": "agent_thought", "id": "t", "position": 2, "tool": "a;b"}
    parsed = parse_event(json.dumps(thought))
    assert isinstance(parsed, AgentThoughtEvent)
    assert parsed.position == 2


async def test_unknown_events_pass_through_a_stream() -> None:
    body = (
        b'data: {"event": "message", "task_id": "t", "id": "m", "answer": "a"}\n\n'
        b'data: {"event": "human_input_required", "task_id": "t", "data": {}}\n\n'
        b'data: {"event": "message_end", "task_id": "t", "id": "m", "metadata": {}}\n\n'
    )

    def replay(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream; charset=utf-8"}
        return httpx.Response(200, headers=headers, content=body)

    async with DifyClient(transport=httpx.MockTransport(replay)) as client:
        stream = client.stream_chat(APP, ChatRequest(query="q", user="u"))
        async with stream:
            names = [event.event async for event in stream]
    assert names == ["message", "human_input_required", "message_end"]


async def test_json_body_instead_of_a_stream_is_a_protocol_error() -> None:
    def replay(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"event": "message", "answer": "blocking"})

    async with DifyClient(transport=httpx.MockTransport(replay)) as client:
        stream = client.stream_chat(APP, ChatRequest(query="q", user="u"))
        with pytest.raises(DifyProtocolError):
            async with stream:
                [event async for event in stream]
