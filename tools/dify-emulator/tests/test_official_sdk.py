"""The official Python SDK (``dify-client==0.1.10``), a client we did not write, works against
the emulator under both profiles: chat blocking and streaming, conversations, messages,
rename, feedback, parameters, completion and file upload."""

from __future__ import annotations

import json
import uuid

import pytest
from dify_client import ChatClient, CompletionClient, DifyClient

from rechat_shared.testing.emulator import RunningEmulator


@pytest.fixture(params=["dify_emulator", "dify_emulator_015"])
def emulator(request: pytest.FixtureRequest) -> RunningEmulator:
    running: RunningEmulator = request.getfixturevalue(request.param)
    return running


def _chat(emulator: RunningEmulator) -> ChatClient:
    client = ChatClient(emulator.keys["chat"])
    client.base_url = emulator.base_url
    return client


def test_sdk_chat_blocking_then_streaming_turn(emulator: RunningEmulator) -> None:
    client, user = _chat(emulator), f"sdk-{uuid.uuid4().hex[:8]}"
    first = client.create_chat_message({}, "Hello SDK", user)
    assert first.status_code == 200
    body = first.json()
    assert body["answer"].startswith("Echo: Hello SDK")
    conversation_id = body["conversation_id"]

    stream = client.create_chat_message(
        {}, "Second turn", user, response_mode="streaming", conversation_id=conversation_id
    )
    assert stream.status_code == 200
    events = [
        json.loads(line.split("data:", 1)[1])
        for line in stream.iter_lines(decode_unicode=True)
        if line and line.startswith("data:")
    ]
    assert events[-1]["event"] == "message_end"
    assert all(event["conversation_id"] == conversation_id for event in events)
    answer = "".join(event.get("answer", "") for event in events if event["event"] == "message")
    assert answer.startswith("Echo: Second turn")


def test_sdk_conversations_messages_rename_feedback(emulator: RunningEmulator) -> None:
    client, user = _chat(emulator), f"sdk-{uuid.uuid4().hex[:8]}"
    answer = client.create_chat_message({}, "Keep this conversation", user).json()
    conversation_id, message_id = answer["conversation_id"], answer["message_id"]

    conversations = client.get_conversations(user).json()
    assert [item["id"] for item in conversations["data"]] == [conversation_id]

    messages = client.get_conversation_messages(user, conversation_id).json()
    assert [item["id"] for item in messages["data"]] == [message_id]
    assert messages["data"][0]["query"] == "Keep this conversation"

    renamed = client.rename_conversation(conversation_id, "Renamed by SDK", user)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed by SDK"

    assert client.message_feedback(message_id, "like", user).json() == {"result": "success"}
    messages = client.get_conversation_messages(user, conversation_id).json()
    assert messages["data"][0]["feedback"] == {"rating": "like"}


def test_sdk_parameters_completion_and_upload(emulator: RunningEmulator) -> None:
    base = DifyClient(emulator.keys["chat"])
    base.base_url = emulator.base_url
    parameters = base.get_application_parameters("sdk-user").json()
    assert parameters["opening_statement"]
    assert {"text-input", "select"} <= {next(iter(item)) for item in parameters["user_input_form"]}

    upload = base.file_upload("sdk-user", {"file": ("note.txt", b"hello", "text/plain")})
    assert upload.status_code == 201
    assert upload.json()["name"] == "note.txt"

    completion = CompletionClient(emulator.keys["completion"])
    completion.base_url = emulator.base_url
    result = completion.create_completion_message({"query": "Write"}, "blocking", "sdk-user")
    assert result.status_code == 200
    assert result.json()["answer"].startswith("Echo: Write")
