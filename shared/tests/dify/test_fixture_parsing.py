"""Every recorded Dify 0.15.3 exchange (both fixture folders) is parsed by the client with nothing
dropped."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, SecretStr

from rechat_shared.dify import (
    AppInfo,
    AppMeta,
    AppParameters,
    ChatAnswer,
    ChatRequest,
    Conversation,
    ConversationPage,
    DifyAPIError,
    DifyApp,
    DifyClient,
    DifyStreamError,
    ErrorEvent,
    MessagePage,
    PingEvent,
    UnknownEvent,
    UploadedFile,
    WorkflowRunResult,
    parse_event,
)
from rechat_shared.dify.errors import error_from_response
from rechat_shared.dify.schemas import WorkflowRunData
from rechat_shared.dify.sse import iter_frames
from rechat_shared.testing.emulator import (
    FIXTURE_FOLDERS,
    Recording,
    fixtures_dir,
    load_all_recordings,
)

RECORDINGS = load_all_recordings()
APP = DifyApp(base_url="http://dify.test/v1", api_key=SecretStr("app-REDACTED"))

JSON_MODELS: list[tuple[str, str, type[BaseModel]]] = [
    ("POST", r"/v1/(chat|completion)-messages$", ChatAnswer),
    ("POST", r"/v1/workflows/run$", WorkflowRunResult),
    ("GET", r"/v1/workflows/run/[^/]+$", WorkflowRunData),
    ("GET", r"/v1/conversations(\?|$)", ConversationPage),
    ("POST", r"/v1/conversations/[^/]+/name$", Conversation),
    ("GET", r"/v1/messages(\?|$)", MessagePage),
    ("GET", r"/v1/parameters$", AppParameters),
    ("GET", r"/v1/info$", AppInfo),
    ("GET", r"/v1/meta$", AppMeta),
    ("POST", r"/v1/files/upload$", UploadedFile),
]


def test_every_fixture_folder_is_parsed() -> None:
    """Each folder's every exchange is a case below (a new file is parsed without listing it)."""
    assert {recording.folder for recording in RECORDINGS} == set(FIXTURE_FOLDERS)
    for folder in FIXTURE_FOLDERS:
        files = {r.name for r in RECORDINGS if r.folder == folder}
        assert len(files) == len(list(fixtures_dir(folder).glob("*.http")))


def _model_for(recording: Recording) -> type[BaseModel] | None:
    method, path = recording.request["method"], recording.request["path"]
    for expected_method, pattern, model in JSON_MODELS:
        if method == expected_method and re.search(pattern, path):
            return model
    return None


def _frames(recording: Recording) -> list[tuple[str | None, bytes]]:
    return list(iter_frames([recording.body]))


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.name)
async def test_recording_is_parsed_with_nothing_dropped(recording: Recording) -> None:
    if recording.is_stream:
        _check_stream_frames(recording)
        await _check_stream_through_client(recording)
    elif recording.status >= 400:
        _check_error(recording)
    elif recording.content_type.startswith("application/json"):
        _check_json(recording)
    else:
        assert recording.request["method"] == "OPTIONS"
        assert recording.body == b""


def _check_stream_frames(recording: Recording) -> None:
    raw_frames = [part for part in recording.body.split(b"\n\n") if part.strip()]
    frames = _frames(recording)
    assert len(frames) == len(raw_frames)
    for (name, data), raw in zip(frames, raw_frames, strict=True):
        event = parse_event(data, name)
        assert not isinstance(event, UnknownEvent)
        if isinstance(event, PingEvent):
            assert raw == b"event: ping"
            continue
        original = json.loads(data)
        assert event.event == original["event"]
        assert event.model_dump(mode="json", exclude_unset=True) == original


async def _check_stream_through_client(recording: Recording) -> None:
    def replay(request: httpx.Request) -> httpx.Response:
        return httpx.Response(recording.status, headers=recording.headers, content=recording.body)

    expected = [json.loads(data)["event"] for name, data in _frames(recording) if name != "ping"]
    async with DifyClient(transport=httpx.MockTransport(replay)) as client:
        stream = client.stream_chat(APP, ChatRequest(query="q", user="u"))
        seen: list[str] = []
        failure: DifyStreamError | None = None
        try:
            async for event in stream:
                seen.append(event.event)
        except DifyStreamError as exc:
            failure = exc
            seen.append("error")
    assert seen == expected
    if failure is not None:
        assert isinstance(stream.terminal, ErrorEvent)
        assert failure.code == stream.terminal.code
    assert stream.task_id is not None


def _check_error(recording: Recording) -> None:
    response = httpx.Response(recording.status, headers=recording.headers)
    error = error_from_response(response, recording.body)
    assert isinstance(error, DifyAPIError)
    assert error.status == recording.status
    if recording.content_type.startswith("application/json"):
        payload = json.loads(recording.body)
        assert (error.code, error.message) == (payload["code"], payload["message"])
        assert error.params == payload.get("params")
    else:
        assert error.code == f"http_{recording.status}"
        assert "Not Found" in error.message


def _check_json(recording: Recording) -> None:
    payload: Any = json.loads(recording.body)
    model = _model_for(recording)
    if model is None:
        assert isinstance(payload, dict)
        return
    parsed = model.model_validate(payload)
    assert parsed.model_dump(mode="json", exclude_unset=True) == payload
