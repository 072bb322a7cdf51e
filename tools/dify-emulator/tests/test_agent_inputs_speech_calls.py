"""The ReAct agent, conversation inputs, rename, remote files, CORS, speech and the call log:
what Dify 0.15.3 was recorded doing (``fixtures/dify-0.15.3-more``) and what tests drive."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from rechat_dify_emulator.app import create_app
from rechat_shared.testing.emulator import RunningEmulator

PROFILES = ["current", "0.15"]


def _emulator(request: pytest.FixtureRequest, profile: str) -> RunningEmulator:
    name = "dify_emulator" if profile == "current" else "dify_emulator_015"
    emulator: RunningEmulator = request.getfixturevalue(name)
    return emulator


def _user() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


def _app(emulator: RunningEmulator, mode: str, **fields: Any) -> dict[str, str]:
    """A fresh app of ``mode`` (own key, so no other test shares its state); auth headers."""
    key = f"app-t-{uuid.uuid4().hex[:8]}"
    emulator.control("PUT", f"/apps/{key}", json={"key": key, "mode": mode, **fields})
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


async def _stream(
    client: httpx.AsyncClient, emulator: RunningEmulator, headers: dict[str, str], **body: Any
) -> list[dict[str, Any]]:
    payload = {"inputs": {}, "user": _user(), "response_mode": "streaming", **body}
    response = await client.post(
        f"{emulator.base_url}/chat-messages", json=payload, headers=headers
    )
    assert response.status_code == 200, response.text
    return [
        json.loads(part[6:]) for part in response.text.split("\n\n") if part.startswith("data: ")
    ]


async def _messages(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    headers: dict[str, str],
    conversation_id: str,
    user: str,
) -> list[dict[str, Any]]:
    params = {"conversation_id": conversation_id, "user": user}
    response = await client.get(f"{emulator.base_url}/messages", params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


# -- the ReAct agent -------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
async def test_react_agent_streams_thoughts_but_stores_only_the_final_answer(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, profile: str
) -> None:
    emulator = _emulator(request, profile)
    headers = _app(emulator, "agent-chat")
    user = _user()
    events = await _stream(client, emulator, headers, query="What time? [[tools]]", user=user)
    kinds = [event["event"] for event in events]
    thoughts = [event for event in events if event["event"] == "agent_thought"]
    assert kinds[0] == "agent_thought"
    assert kinds[-1] == "message_end"
    # position 1 three times (empty, with the tool, with the observation), then position 2
    assert [t["position"] for t in thoughts] == [1, 1, 1, 2]
    assert len({t["id"] for t in thoughts[:3]}) == 1
    assert thoughts[1]["tool"] == "current_time"
    assert thoughts[1]["tool_input"] == '{"current_time": {}}'
    assert thoughts[1]["observation"] == ""
    assert json.loads(thoughts[2]["observation"])["current_time"]
    texts = [event["answer"] for event in events if event["event"] == "agent_message"]
    final = texts[-1]
    assert final == (
        "Echo: What time? | this is a deterministic reply from the fake model used for "
        "recording fixtures with some extra words"
    )
    streamed = "".join(texts)
    assert streamed.startswith(" I should check the current time.\n\n")
    assert " I now know the answer.\n\n" in streamed
    assert all(len(text) <= 1 for text in texts[:-1])  # the thoughts char by char

    [message] = await _messages(client, emulator, headers, events[0]["conversation_id"], user)
    assert message["answer"] == final
    stored = message["agent_thoughts"]
    assert [(t["position"], t["tool"]) for t in stored] == [(1, "current_time"), (2, "")]
    assert stored[0]["thought"] == "I should check the current time."
    assert stored[0]["id"] == thoughts[0]["id"]
    assert stored[1]["id"] == thoughts[3]["id"]
    assert stored[1]["thought"] == final
    assert json.loads(stored[1]["tool_input"]) == {"Final Answer": final}


async def test_agent_without_tools_thinks_once_then_answers(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient
) -> None:
    headers = _app(dify_emulator_015, "agent-chat")
    events = await _stream(client, dify_emulator_015, headers, query="[[tokens:3]]")
    texts = [event["answer"] for event in events if event["event"] == "agent_message"]
    assert "".join(texts[:-1]) == " I can answer without tools.\n\n"
    assert texts[-1] == "t0 t1 t2 "
    assert [event["event"] for event in events].count("agent_thought") == 1


async def test_a_tool_frame_may_already_carry_the_observation(
    dify_emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    headers = _app(dify_emulator, "agent-chat")
    events = await _stream(client, dify_emulator, headers, query="[[tools:observed]]")
    tools = [e for e in events if e["event"] == "agent_thought" and e["tool"]]
    assert len(tools) == 2
    assert tools[0]["observation"] == tools[1]["observation"] != ""


async def test_an_agent_app_with_a_tool_calls_it_and_meta_lists_its_icon(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient
) -> None:
    headers = _app(dify_emulator_015, "agent-chat", tools=["current_time"])
    events = await _stream(client, dify_emulator_015, headers, query="What time is it?")
    assert any(e["event"] == "agent_thought" and e["tool"] == "current_time" for e in events)
    meta = (await client.get(f"{dify_emulator_015.base_url}/meta", headers=headers)).json()
    icon = meta["tool_icons"]["current_time"]
    assert icon.endswith("/console/api/workspaces/current/tool-provider/builtin/time/icon")


# -- inputs, rename, deleted conversations ---------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
async def test_inputs_of_a_later_turn(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, profile: str
) -> None:
    """0.15 keeps a conversation's first inputs (a later turn's are not even validated);
    today's Dify validates, uses and stores each turn's inputs."""
    emulator = _emulator(request, profile)
    headers = _app(emulator, "chat", user_input_form=FORM)
    user = _user()
    first = await _stream(client, emulator, headers, query="one", user=user, inputs=CATS)
    conversation_id = first[0]["conversation_id"]
    dogs = {"topic": "dogs", "lang": "en"}
    await _stream(
        client,
        emulator,
        headers,
        query="two",
        user=user,
        inputs=dogs,
        conversation_id=conversation_id,
    )
    too_long = {"topic": "far too long a topic"}  # max_length 10
    body = {"query": "three", "user": user, "inputs": too_long, "conversation_id": conversation_id}
    third = await client.post(f"{emulator.base_url}/chat-messages", json=body, headers=headers)
    messages = await _messages(client, emulator, headers, conversation_id, user)
    if profile == "0.15":
        assert third.status_code == 200
        assert [message["inputs"] for message in messages] == [CATS, CATS, CATS]
    else:
        assert third.status_code == 400
        assert [message["inputs"] for message in messages] == [CATS, dogs]


FORM = [
    {"text-input": {"label": "Topic", "variable": "topic", "required": False, "max_length": 10}},
    {"select": {"label": "Lang", "variable": "lang", "required": False, "options": ["en", "fr"]}},
]
CATS = {"topic": "cats", "lang": "fr"}


@pytest.mark.parametrize("profile", PROFILES)
async def test_rename_with_neither_name_nor_auto_generate(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, profile: str
) -> None:
    emulator = _emulator(request, profile)
    headers = _app(emulator, "chat")
    user = _user()
    events = await _stream(
        client, emulator, headers, query="to rename", user=user, auto_generate_name=False
    )
    conversation_id = events[0]["conversation_id"]
    url = f"{emulator.base_url}/conversations/{conversation_id}/name"
    response = await client.post(url, json={"user": user}, headers=headers)
    if profile == "0.15":
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error", "code": "unknown"}
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_param"
    listing = await client.get(
        f"{emulator.base_url}/conversations", params={"user": user}, headers=headers
    )
    [conversation] = listing.json()["data"]
    assert conversation["name"] == ("New conversation" if profile == "0.15" else "to rename")


# -- remote files ------------------------------------------------------------------------------


async def test_an_unreachable_remote_url_is_refused_before_any_conversation(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator = dify_emulator_015
    headers = _app(emulator, "chat", file_upload=IMAGES)
    user = _user()
    files = [{"type": "image", "transfer_method": "remote_url", "url": "http://127.0.0.1:1/x.png"}]
    body = {"query": "q", "user": user, "inputs": {}, "response_mode": "streaming", "files": files}
    emulator.control("PATCH", "/settings", json={"remote_url_backoff": 0.01})
    try:
        response = await client.post(
            f"{emulator.base_url}/chat-messages", json=body, headers=headers
        )
    finally:
        emulator.control("PATCH", "/settings", json={"remote_url_backoff": 0.5})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_param",
        "message": "Reached maximum retries (3) for URL http://127.0.0.1:1/x.png",
        "status": 400,
    }
    listing = await client.get(
        f"{emulator.base_url}/conversations", params={"user": user}, headers=headers
    )
    assert listing.json()["data"] == []


class _ImageHost(BaseHTTPRequestHandler):
    """A file host answering HEAD like a web server with a PNG at every path."""

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "1234")
        self.send_header("Content-Disposition", 'inline; filename="cat.png"')
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def image_host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_reachable_remote_url_is_looked_up_and_attached(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient, image_host: str
) -> None:
    emulator = dify_emulator_015
    headers = _app(emulator, "chat", file_upload=IMAGES)
    user = _user()
    url = f"{image_host}/pictures/x?size=large"
    files = [{"type": "image", "transfer_method": "remote_url", "url": url}]
    body = {"query": "q", "user": user, "inputs": {}, "files": files}
    answer = await client.post(f"{emulator.base_url}/chat-messages", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    [message] = await _messages(client, emulator, headers, answer.json()["conversation_id"], user)
    [attached] = message["message_files"]
    assert attached["url"] == url
    assert attached["transfer_method"] == "remote_url"
    assert (attached["filename"], attached["mime_type"], attached["size"]) == (
        "cat.png",
        "image/png",
        1234,
    )


IMAGES = {
    "image": {"enabled": True, "number_limits": 3, "transfer_methods": ["remote_url"]},
    "enabled": True,
    "allowed_file_types": ["image"],
}


# -- CORS on unknown routes ------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/does-not-exist", 404), ("GET", "/chat-messages", 405)]
)
async def test_no_cors_headers_on_unknown_routes_and_wrong_methods(
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    profile: str,
    method: str,
    path: str,
    status: int,
) -> None:
    emulator = _emulator(request, profile)
    for origin in ({}, {"Origin": "http://127.0.0.1:5173"}):
        response = await client.request(method, emulator.base_url + path, headers=origin)
        assert response.status_code == status
        assert "access-control-allow-origin" not in response.headers
        assert "vary" not in response.headers
        assert response.headers["x-version"]
    known = await client.get(
        emulator.base_url + "/parameters", headers={"Origin": "http://127.0.0.1:5173"}
    )
    assert known.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


# -- speech ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
async def test_text_to_audio_streams_mp3_when_enabled(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, profile: str
) -> None:
    emulator = _emulator(request, profile)
    url = f"{emulator.base_url}/text-to-audio"
    off = await client.post(url, json={"text": "hi", "user": "u"}, headers=_app(emulator, "chat"))
    assert off.status_code == 400
    assert off.json()["message"] == "TTS is not enabled"
    headers = _app(emulator, "chat", text_to_speech=True)
    missing = await client.post(url, json={"user": "u"}, headers=headers)
    assert (missing.status_code, missing.json()["message"]) == (400, "Text is required")
    audio = await client.post(url, json={"text": "hello", "user": "u"}, headers=headers)
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.content.startswith(b"ID3")
    assert b"\xff\xfb" in audio.content
    user = _user()
    answer = await client.post(
        f"{emulator.base_url}/chat-messages",
        json={"query": "speak", "user": user, "inputs": {}},
        headers=headers,
    )
    spoken = await client.post(
        url, json={"message_id": answer.json()["id"], "user": user}, headers=headers
    )
    assert spoken.headers["content-type"] == "audio/mpeg"
    assert len(spoken.content) > len(audio.content)  # the whole answer, longer than "hello"
    parameters = (await client.get(f"{emulator.base_url}/parameters", headers=headers)).json()
    assert parameters["text_to_speech"]["enabled"] is True


@pytest.mark.parametrize("profile", PROFILES)
async def test_audio_to_text_transcribes_when_enabled(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, profile: str
) -> None:
    emulator = _emulator(request, profile)
    url = f"{emulator.base_url}/audio-to-text"
    recording = {"file": ("voice.wav", b"what is the time", "audio/wav")}
    off = await client.post(
        url, data={"user": "u"}, files=recording, headers=_app(emulator, "chat")
    )
    assert (off.status_code, off.json()["message"]) == (400, "Speech to text is not enabled")
    headers = _app(emulator, "chat", speech_to_text=True)
    text = await client.post(url, data={"user": "u"}, files=recording, headers=headers)
    assert text.status_code == 200
    assert text.json() == {"text": "what is the time"}
    binary = {"file": ("voice.wav", b"\xff\xfe\x00\x81", "audio/wav")}
    assert (await client.post(url, data={"user": "u"}, files=binary, headers=headers)).json() == {
        "text": "Transcript of 4 bytes of audio."
    }
    wrong = {"file": ("notes.txt", b"x", "text/plain")}
    refused = await client.post(url, data={"user": "u"}, files=wrong, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (415, "unsupported_audio_type")
    missing = await client.post(url, data={"user": "u"}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (400, "no_audio_uploaded")


# -- the call log ----------------------------------------------------------------------------


async def test_call_log_counts_each_route_and_keeps_the_bodies(
    dify_emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator = dify_emulator
    headers = _app(emulator, "chat", suggested_questions_after_answer=True)
    key = headers["Authorization"].removeprefix("Bearer ")
    user = _user()
    events = await _stream(client, emulator, headers, query="logged", user=user)
    conversation_id, message_id = events[0]["conversation_id"], events[0]["message_id"]
    base = emulator.base_url
    await client.get(
        f"{base}/messages/{message_id}/suggested", params={"user": user}, headers=headers
    )
    rename = {"name": "Renamed", "user": user}
    await client.post(f"{base}/conversations/{conversation_id}/name", json=rename, headers=headers)
    await client.request(
        "DELETE", f"{base}/conversations/{conversation_id}", json={"user": user}, headers=headers
    )
    gone = await client.post(
        f"{base}/chat-messages",
        json={"query": "x", "user": user, "inputs": {}, "conversation_id": conversation_id},
        headers=headers,
    )
    assert gone.status_code == 404

    log = emulator.control("GET", "/calls", params={"key": key})
    routes = [(call["method"], call["route"], call["status"]) for call in log["calls"]]
    assert routes == [
        ("POST", "/v1/chat-messages", 200),
        ("GET", "/v1/messages/{message_id}/suggested", 200),
        ("POST", "/v1/conversations/{conversation_id}/name", 200),
        ("DELETE", "/v1/conversations/{conversation_id}", 204),
        ("POST", "/v1/chat-messages", 404),
    ]
    assert log["calls"][2]["body"] == rename
    assert log["calls"][1]["query"] == f"user={user}"
    assert log["counts"]["POST /v1/chat-messages"] >= 2
    renames = emulator.control(
        "GET", "/calls", params={"key": key, "route": "/v1/conversations/{conversation_id}/name"}
    )
    assert len(renames["calls"]) == 1
    # numbered: a reader polling with `after` sees each call once
    numbers = [call["n"] for call in log["calls"]]
    assert numbers == sorted(set(numbers))
    later = emulator.control("GET", "/calls", params={"key": key, "after": numbers[2]})
    assert [call["n"] for call in later["calls"]] == numbers[3:]

    emulator.control("DELETE", "/calls")
    assert emulator.control("GET", "/calls", params={"key": key}) == {"counts": {}, "calls": []}


# -- attachments -----------------------------------------------------------------------------


async def test_015_lists_an_attachment_with_its_own_id_and_a_signed_preview_url(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator = dify_emulator_015
    headers = _app(emulator, "chat", file_upload={**IMAGES, "allowed_file_types": ["image"]})
    user = _user()
    upload = await client.post(
        f"{emulator.base_url}/files/upload",
        data={"user": user},
        files={"file": ("tiny.png", b"\x89PNG tiny", "image/png")},
        headers=headers,
    )
    file_id = upload.json()["id"]
    files = [{"type": "image", "transfer_method": "local_file", "upload_file_id": file_id}]
    body = {"query": "see", "user": user, "inputs": {}, "files": files}
    answer = await client.post(f"{emulator.base_url}/chat-messages", json=body, headers=headers)
    [message] = await _messages(client, emulator, headers, answer.json()["conversation_id"], user)
    [attached] = message["message_files"]
    assert set(attached) == {
        "id", "filename", "type", "url", "mime_type", "size", "transfer_method", "belongs_to"
    }  # fmt: skip
    assert attached["id"] != file_id
    assert attached["url"].startswith(f"{emulator.root_url}/files/{file_id}/file-preview?")
    assert {"timestamp", "nonce", "sign"} <= set(httpx.URL(attached["url"]).params)
    preview = await client.get(attached["url"])
    assert (preview.status_code, preview.content) == (200, b"\x89PNG tiny")
    [again] = (await _messages(client, emulator, headers, message["conversation_id"], user))[0][
        "message_files"
    ]
    assert again["url"] != attached["url"]  # signed anew at each listing


async def test_an_agent_refuses_blocking_before_it_looks_at_the_query(
    dify_emulator_015: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """Dify's agent generator checks the mode first: an empty query in blocking mode tells an
    agent app (blocking refused) from a chat app (query required)."""
    body = {"query": "", "user": _user(), "inputs": {}, "response_mode": "blocking"}
    url = f"{dify_emulator_015.base_url}/chat-messages"
    agent = await client.post(url, json=body, headers=_app(dify_emulator_015, "agent-chat"))
    chat = await client.post(url, json=body, headers=_app(dify_emulator_015, "chat"))
    assert agent.json()["message"] == "Agent Chat App does not support blocking mode"
    assert chat.json()["message"] == "query is required"


async def test_mounted_under_a_prefix_the_preview_url_keeps_it() -> None:
    """Embedded mode mounts the emulator at ``/dify-emulator``: signed URLs must point there."""
    transport = httpx.ASGITransport(app=create_app(), root_path="/dify-emulator")
    headers = {"Authorization": "Bearer app-emulator-chat"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://demo", headers=headers
    ) as http:
        upload = await http.post(
            "/v1/files/upload", data={"user": "u"}, files={"file": ("a.png", b"png", "image/png")}
        )
        files = [
            {
                "type": "image",
                "transfer_method": "local_file",
                "upload_file_id": upload.json()["id"],
            }
        ]
        body = {"query": "q", "user": "u", "inputs": {}, "files": files}
        answer = (await http.post("/v1/chat-messages", json=body)).json()
        params = {"conversation_id": answer["conversation_id"], "user": "u"}
        [message] = (await http.get("/v1/messages", params=params)).json()["data"]
        url = message["message_files"][0]["url"]
        assert url.startswith("http://demo/dify-emulator/files/")
        assert (await http.get(url)).content == b"png"
