"""Streaming behaviour of the emulator (profile ``current``): framing, magic words, stop."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest

from rechat_shared.dify.sse import iter_frames
from rechat_shared.testing.emulator import RunningEmulator

USAGE_KEYS = {
    "prompt_tokens",
    "prompt_unit_price",
    "prompt_price_unit",
    "prompt_price",
    "completion_tokens",
    "completion_unit_price",
    "completion_price_unit",
    "completion_price",
    "total_tokens",
    "total_price",
    "currency",
    "latency",
    "time_to_first_token",
    "time_to_generate",
}


def _user() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


async def _stream(
    emulator: RunningEmulator, mode: str, query: str, **extra: Any
) -> tuple[bytes, list[dict[str, Any] | None]]:
    """POST a streaming generation; returns the raw body and events (None = ping)."""
    path = {"workflow": "/workflows/run", "completion": "/completion-messages"}.get(
        mode, "/chat-messages"
    )
    body: dict[str, Any] = {"user": _user(), "inputs": {}, "response_mode": "streaming"}
    if mode in ("workflow", "completion"):
        body["inputs"] = {"query": query}
    else:
        body["query"] = query
    body.update(extra)
    headers = {"Authorization": f"Bearer {emulator.keys[mode]}"}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(emulator.base_url + path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = [json.loads(data) if data else None for _name, data in iter_frames([response.content])]
    return response.content, events


def _answer(events: list[dict[str, Any] | None]) -> str:
    return "".join(e["answer"] for e in events if e and e["event"] in ("message", "agent_message"))


async def test_framing_is_data_lines_and_bare_pings(dify_emulator: RunningEmulator) -> None:
    raw, events = await _stream(dify_emulator, "chat", "héllo 你好 [[ttft:1100]]")
    assert b"\r" not in raw
    frames = [frame for frame in raw.split(b"\n\n") if frame]
    assert all(f.startswith(b"data: {") or f == b"event: ping" for f in frames)
    assert frames[:2] == [b"event: ping", b"event: ping"]
    assert "你好".encode() in raw
    assert "héllo".encode() in raw
    assert b'{"event":"message",' in raw
    assert events[-1] is not None
    assert events[-1]["event"] == "message_end"


@pytest.mark.parametrize("mode", ["chat", "agent-chat", "advanced-chat", "workflow"])
@pytest.mark.parametrize("profile", ["current", "0.15"])
async def test_every_frame_is_its_profile_serialisation(
    request: pytest.FixtureRequest, profile: str, mode: str
) -> None:
    """Text frames are assembled around a pre-serialised event; the bytes must still be what
    the profile's serialiser makes of the whole event (compact UTF-8, or 0.15's spaced and
    ASCII-escaped ``json.dumps``)."""
    emulator: RunningEmulator = request.getfixturevalue(
        "dify_emulator" if profile == "current" else "dify_emulator_015"
    )
    raw, events = await _stream(emulator, mode, 'quote " back \\ héllo 你好 🎉 [[tools]]')
    assert any(e and e["event"] in ("message", "agent_message", "text_chunk") for e in events)
    for frame in raw.split(b"\n\n"):
        if frame.startswith(b"data: "):
            event = json.loads(frame[6:])
            expected = orjson.dumps(event) if profile == "current" else json.dumps(event).encode()
            assert frame[6:] == expected


async def test_a_client_leaving_ends_the_generation(dify_emulator: RunningEmulator) -> None:
    """A stalled generation sends only pings until stopped; when its client leaves, it ends."""
    active_before = dify_emulator.control("GET", "/stats")["streams_active"]
    body = {"query": "[[stall]]", "user": _user(), "inputs": {}, "response_mode": "streaming"}
    headers = {"Authorization": f"Bearer {dify_emulator.keys['chat']}"}
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream(
            "POST", dify_emulator.base_url + "/chat-messages", json=body, headers=headers
        ) as response,
    ):
        async for chunk in response.aiter_bytes():
            assert chunk.startswith(b"event: ping")
            break
        assert dify_emulator.control("GET", "/stats")["streams_active"] == active_before + 1
    deadline = time.monotonic() + 5
    while dify_emulator.control("GET", "/stats")["streams_active"] > active_before:
        assert time.monotonic() < deadline, "the generation outlived its client"
        await asyncio.sleep(0.05)


async def test_default_answer_is_a_deterministic_echo(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "chat", "Hello there")
    messages = [e for e in events if e and e["event"] == "message"]
    assert _answer(events) == (
        "Echo: Hello there | this is a deterministic reply from the fake model used for "
        "recording fixtures with some extra words"
    )
    assert messages[0]["answer"] == "Echo: "
    assert messages[-1]["answer"] == ""
    end = events[-1]
    assert end is not None
    assert set(end["metadata"]["usage"]) == USAGE_KEYS
    assert set(end["metadata"]) == {"annotation_reply", "retriever_resources", "usage"}
    for event in events:
        assert event is not None
        assert {"conversation_id", "message_id", "created_at", "task_id"} <= set(event)


async def test_tokens_markdown_xss(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "chat", "[[tokens:7]]")
    deltas = [e["answer"] for e in events if e and e["event"] == "message" and e["answer"]]
    assert deltas == [f"t{index} " for index in range(7)]
    _raw, events = await _stream(dify_emulator, "chat", "[[markdown]]")
    assert all(part in _answer(events) for part in ("```python", "| Feature |", "$$"))
    _raw, events = await _stream(dify_emulator, "chat", "[[xss]]")
    assert "<script>" in _answer(events)
    assert "onerror=" in _answer(events)


async def test_tokens_per_second_paces_the_answer(dify_emulator: RunningEmulator) -> None:
    started = time.monotonic()
    await _stream(dify_emulator, "chat", "[[tokens:10]][[tps:20]]")
    assert 0.4 < time.monotonic() - started < 4.0


async def test_error_event_has_no_task_id(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "chat", "[[midstream-error]]")
    error = events[-1]
    assert error is not None
    assert error["event"] == "error"
    assert "task_id" not in error
    assert error["conversation_id"]


async def test_replace_comes_before_message_end(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "chat", "[[replace:clean]]")
    names = [e["event"] for e in events if e]
    assert names[-2:] == ["message_replace", "message_end"]


async def test_completion_and_workflow_common_fields(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "completion", "Write")
    assert all(e and "conversation_id" not in e and e["message_id"] for e in events)
    _raw, events = await _stream(dify_emulator, "workflow", "Run")
    for event in events:
        assert event is not None
        assert set(event) == {"event", "workflow_run_id", "task_id", "data"}
    finished = events[-1]
    assert finished is not None
    assert finished["data"]["outputs"] == {"answer": _chunks_text(events)}


def _chunks_text(events: list[dict[str, Any] | None]) -> str:
    return "".join(e["data"]["text"] for e in events if e and e["event"] == "text_chunk")


async def test_chatflow_default_terminal_order_is_docs(dify_emulator: RunningEmulator) -> None:
    _raw, events = await _stream(dify_emulator, "advanced-chat", "Hi flow")
    names = [e["event"] for e in events if e]
    assert names[:4] == ["workflow_started", "node_started", "node_finished", "node_started"]
    assert names[-2:] == ["message_end", "workflow_finished"]


@pytest.mark.parametrize(
    ("mode", "stop_path", "last_events"),
    [
        ("chat", "/chat-messages/{task}/stop", ["message_end"]),
        ("completion", "/completion-messages/{task}/stop", ["message_end"]),
        ("advanced-chat", "/chat-messages/{task}/stop", ["message_end", "workflow_finished"]),
        ("workflow", "/workflows/tasks/{task}/stop", ["workflow_finished"]),
    ],
)
async def test_stop_by_task_id(
    dify_emulator: RunningEmulator, mode: str, stop_path: str, last_events: list[str]
) -> None:
    user = _user()
    path = {"workflow": "/workflows/run", "completion": "/completion-messages"}.get(
        mode, "/chat-messages"
    )
    body: dict[str, Any] = {"user": user, "inputs": {}, "response_mode": "streaming"}
    if mode in ("workflow", "completion"):
        body["inputs"] = {"query": "[[slow]]"}
    else:
        body["query"] = "[[slow]]"
    headers = {"Authorization": f"Bearer {dify_emulator.keys[mode]}"}
    events: list[dict[str, Any]] = []
    started = time.monotonic()
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream("POST", dify_emulator.base_url + path, json=body, headers=headers) as resp,
    ):
        buffer = b""
        stopped = False
        async for chunk in resp.aiter_bytes():
            buffer += chunk
            events = [json.loads(d) for _n, d in iter_frames([buffer]) if d]
            task_id = events[0]["task_id"] if events else None
            if task_id and not stopped and len(events) >= 6:
                stop = await client.post(
                    dify_emulator.base_url + stop_path.format(task=task_id),
                    json={"user": user},
                    headers=headers,
                )
                assert stop.json() == {"result": "success"}
                stopped = True
    assert time.monotonic() - started < 4.5
    assert [e["event"] for e in events[-len(last_events) :]] == last_events
    if mode in ("advanced-chat", "workflow"):
        finished = next(e for e in events if e["event"] == "workflow_finished")
        assert finished["data"]["status"] == "stopped"
        assert finished["data"]["error"] == "Stopped by user."


async def test_stop_by_another_user_is_ignored(dify_emulator: RunningEmulator) -> None:
    user = _user()
    headers = {"Authorization": f"Bearer {dify_emulator.keys['chat']}"}
    body = {
        "user": user,
        "inputs": {},
        "query": "[[tokens:20]][[tps:40]]",
        "response_mode": "streaming",
    }
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream(
            "POST", dify_emulator.base_url + "/chat-messages", json=body, headers=headers
        ) as resp,
    ):
        raw = b""
        async for chunk in resp.aiter_bytes():
            if not raw:
                task_id = json.loads(chunk.split(b"\n\n")[0][6:])["task_id"]
                stop = await client.post(
                    f"{dify_emulator.base_url}/chat-messages/{task_id}/stop",
                    json={"user": "someone-else"},
                    headers=headers,
                )
                assert stop.json() == {"result": "success"}
            raw += chunk
    deltas = [json.loads(d) for _n, d in iter_frames([raw]) if d]
    assert len([e for e in deltas if e["event"] == "message" and e["answer"]]) == 20
