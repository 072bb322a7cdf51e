"""Under the ``0.15`` profile the emulator answers every recorded request of both fixture folders
(``dify-0.15.3`` and ``dify-0.15.3-more``) like Dify 0.15.3 did: same status, content type, CORS
headers, event sequence and types, field names and JSON types, and the same stored answers,
inputs, thoughts and error codes (the fake models' wordings mapped onto each other).

Every recording file must be replayed: ``test_every_recording_is_replayed`` fails for a file that
is not in ``ORDER``/``ORDER_MORE`` (or a stop call of ``STOP_CALLS``)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from rechat_shared.testing.emulator import (
    FIXTURE_FOLDERS,
    Recording,
    RunningEmulator,
    fixtures_dir,
    load_all_recordings,
    start_emulator,
    stop_emulator,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

KEYS = {
    "chat": "app-fx-chat",
    "chatflow": "app-fx-chatflow",
    "workflow": "app-fx-workflow",
    "agent": "app-fx-agent",
    "completion": "app-fx-completion",
}
# the apps of the second server run (dify-0.15.3-more): configured through the console API
KEYS_RUN2 = {"chat": "app-fx2-chat", "chatflow": "app-fx2-chatflow", "agent": "app-fx2-agent"}

ECHO_TAIL = (
    " | this is a deterministic reply from the fake model used for recording fixtures"
    " with some extra words"
)
# the second run's fake model: a shorter echo tail, and ``Agent says: <query> done`` after a
# tool round; mapped onto the first run's (the emulator's) wording before texts are compared
ECHO_TAIL_RUN2 = " | this is a deterministic reply from the fake model with some extra words"
AGENT_SAYS = re.compile(r"Agent says: (.*?) done")

# the recording's fake model reacted to words; the emulator reacts to magic words
TRIGGERS = {
    "FAIL_MIDSTREAM": "[[midstream-error]]",
    "MARKDOWN": "[[markdown]]",
    "SLOW": "[[slow]][[tps:40]]",
}

STOP_CALLS = {
    "chat_stop_stream": "chat_stop_stop_call",
    "chat_stop_wrong_user_stream": "chat_stop_wrong_user_stop_call",
    "chatflow_stop_stream": "chatflow_stop_stop_call",
    "completion_stop_stream": "completion_stop_stop_call",
    "workflow_stop_stream": "workflow_stop_stop_call",
}

COMPARED_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "vary",
    "allow",
    "x-version",
    "x-env",
    "server",
)
# present exactly when the recording has them (404/405 carry no CORS header, an Origin gets Vary)
SAME_PRESENCE = ("access-control-allow-origin", "access-control-expose-headers", "vary")


def second_run(recording: Recording) -> bool:
    """The recordings of the second server run (their own apps; dify-0.15.3-more README)."""
    return "02 Dec 2026" in recording.headers.get("date", "")


def key_of(recording: Recording) -> str:
    app = app_of(recording.name)
    if second_run(recording):
        return KEYS_RUN2[app]
    return KEYS[app]


def normalise(text: str) -> str:
    """The recorded fake models' texts in the emulator's wording."""
    text = text.replace(ECHO_TAIL_RUN2, ECHO_TAIL)
    return AGENT_SAYS.sub(lambda match: f"Echo: {match.group(1)}{ECHO_TAIL}", text)


def triggered(recording: Recording) -> bool:
    """Whether the query used one of the fake model's trigger words (then the emulator's
    scripted answer, not the fake model's text, is what it sends)."""
    return any(word in json.dumps(recording.request.get("body")) for word in TRIGGERS)


def app_of(name: str) -> str:
    for prefix in ("chatflow", "workflow", "agent", "completion"):
        if name.startswith(prefix + "_"):
            return prefix
    return "chat"


def shape(value: Any) -> Any:
    """Field names and JSON types, recursively (ints and floats are both numbers)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences of two shapes; lists are compared item by item up to the shorter one."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        problems = [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        if list(expected) == list(actual) or sorted(expected) == sorted(actual):
            problems = []
        for key in expected.keys() & actual.keys():
            problems += diff(expected[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list) and isinstance(actual, list):
        if bool(expected) != bool(actual):
            return [f"{path}: {len(expected)} items vs {len(actual)}"]
        problems = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            problems += diff(left, right, f"{path}[{index}]")
        return problems
    return [] if expected == actual else [f"{path}: {expected} != {actual}"]


def frames(body: bytes) -> list[dict[str, Any] | None]:
    """SSE data objects of a stream; ``None`` stands for a ping."""
    result: list[dict[str, Any] | None] = []
    for part in body.split(b"\n\n"):
        part = part.strip()
        if part.startswith(b"data: "):
            result.append(json.loads(part[6:]))
        elif part == b"event: ping":
            result.append(None)
    return result


def runs(events: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The first event of each run of same-type events, pings left out."""
    out: list[dict[str, Any]] = []
    for event in events:
        if event is None:
            continue
        if not out or out[-1]["event"] != event["event"]:
            out.append(event)
    return out


@dataclass
class Replayer:
    """Sends each recorded request (ids mapped to the emulator's) and collects the diffs."""

    client: httpx.AsyncClient
    root_url: str
    ids: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    """Emulated id -> the recorded id it stands for (a mapping must be one to one)."""
    merged: set[str] = field(default_factory=set)
    results: dict[str, list[str]] = field(default_factory=dict)

    def learn(self, recorded: Any, emulated: Any) -> None:
        """Map every recorded id to the emulator's id at the same place."""
        if isinstance(recorded, dict) and isinstance(emulated, dict):
            for key in recorded.keys() & emulated.keys():
                self.learn(recorded[key], emulated[key])
        elif isinstance(recorded, list) and isinstance(emulated, list):
            for left, right in zip(recorded, emulated, strict=False):
                self.learn(left, right)
        elif isinstance(recorded, str) and isinstance(emulated, str) and UUID.match(recorded):
            known = self.ids.setdefault(recorded, emulated)
            if known == emulated and self.images.setdefault(emulated, recorded) != recorded:
                # two ids Dify kept apart are one in the emulator (e.g. a file's upload id
                # used as its message-file id)
                self.merged.add(f"{self.images[emulated]} and {recorded} are both {emulated}")

    def translate(self, text: str) -> str:
        for recorded, emulated in self.ids.items():
            text = text.replace(recorded, emulated)
        for word, magic in TRIGGERS.items():
            text = text.replace(word, magic)
        return text

    def build(self, recording: Recording) -> httpx.Request:
        request = recording.request
        headers = {key: value for key, value in request["headers"].items()}
        key = key_of(recording)
        if recording.name == "chat_error_wrong_api_key":
            key = "app-not-a-known-key"
        if headers.get("Authorization") == "Bearer app-REDACTED":
            headers["Authorization"] = f"Bearer {key}"
        url = self.root_url + self.translate(request["path"])
        body = request.get("body")
        if isinstance(body, dict) and "multipart/form-data" in body:
            multipart = _multipart(body["multipart/form-data"])
            headers.update(multipart["headers"])
            return self.client.build_request(
                request["method"], url, headers=headers, content=multipart["content"]
            )
        content: bytes | None = None
        if isinstance(body, str):
            content = body.encode()
        elif body is not None:
            content = self.translate(json.dumps(body)).encode()
        return self.client.build_request(request["method"], url, headers=headers, content=content)

    async def replay(self, recording: Recording, stop_call: Recording | None) -> None:
        response = await self.client.send(self.build(recording), stream=True)
        try:
            if stop_call is not None:
                body = await self._stop_midway(response, recording, stop_call)
            else:
                body = await response.aread()
        finally:
            await response.aclose()
        before = set(self.merged)
        self.results[recording.name] = self.compare(recording, response, body)
        self.results[recording.name] += sorted(self.merged - before)

    async def _stop_midway(
        self, response: httpx.Response, recording: Recording, stop_call: Recording
    ) -> bytes:
        body = b""
        iterator = response.aiter_bytes()
        while b"data: " not in body or not body.endswith(b"\n\n"):
            body += await anext(iterator)
        first = frames(body)[0]
        recorded_first = frames(recording.body)[0]
        self.learn(recorded_first, first)
        stop_response = await self.client.send(self.build(stop_call))
        self.results[stop_call.name] = self.compare(stop_call, stop_response, stop_response.content)
        async for chunk in iterator:
            body += chunk
        return body

    def compare(self, recording: Recording, response: httpx.Response, body: bytes) -> list[str]:
        problems: list[str] = []
        if response.status_code != recording.status:
            problems.append(f"status {recording.status} != {response.status_code}: {body[:200]!r}")
        content_type = response.headers.get("content-type", "")
        if content_type != recording.content_type:
            problems.append(f"content-type {recording.content_type!r} != {content_type!r}")
        for header in COMPARED_HEADERS:
            expected, actual = recording.headers.get(header), response.headers.get(header)
            if expected is not None and actual is None:
                problems.append(f"missing header {header}")
            elif expected is not None and actual != expected:
                problems.append(f"header {header}: {expected!r} != {actual!r}")
        for header in SAME_PRESENCE:
            if header not in recording.headers and header in response.headers:
                problems.append(f"unexpected header {header}: {response.headers[header]}")
        if recording.is_stream:
            return problems + self._compare_stream(recording, body)
        if recording.content_type.startswith("application/json"):
            return problems + self._compare_json(recording, body, problems == [])
        return problems

    def _compare_json(self, recording: Recording, body: bytes, same_status: bool) -> list[str]:
        try:
            emulated = json.loads(body)
        except ValueError:
            return [f"not JSON: {body[:200]!r}"]
        recorded = json.loads(recording.body)
        self.learn(recorded, emulated)
        problems = diff(shape(recorded), shape(emulated))
        return problems + (values(recording, recorded, emulated) if same_status else [])

    def _compare_stream(self, recording: Recording, body: bytes) -> list[str]:
        recorded, emulated = frames(recording.body), frames(body)
        if (None in recorded) != (None in emulated):
            return ["pings differ"]
        expected, actual = runs(recorded), runs(emulated)
        names = [event["event"] for event in expected], [event["event"] for event in actual]
        if names[0] != names[1]:
            return [f"event sequence {names[0]} != {names[1]}"]
        problems: list[str] = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            self.learn(left, right)
            problems += diff(shape(left), shape(right), f"${index}:{left['event']}")
        ends = [
            [event for event in events if event and event["event"] == "message_end"]
            for events in (recorded, emulated)
        ]
        for left, right in zip(*ends, strict=False):
            problems += usage_values(left, right, "$message_end")
        if recording.name in STOP_CALLS or triggered(recording):
            return problems  # stopped at another point, or the emulator's own scripted answer
        return problems + stream_values(recorded, emulated)


TEXT_EVENTS = ("message", "agent_message")


def stream_text(events: list[dict[str, Any] | None]) -> list[str]:
    """The streamed text, one string per stretch between two ``agent_thought`` frames."""
    parts = [""]
    for event in events:
        if event is None:
            continue
        if event["event"] == "agent_thought":
            parts.append("")
        elif event["event"] in TEXT_EVENTS:
            parts[-1] += event["answer"]
        elif event["event"] == "text_chunk":
            parts[-1] += event["data"]["text"]
    return [part for part in parts if part]


def thought_trace(events: list[dict[str, Any] | None]) -> list[tuple[Any, ...]]:
    """Each ``agent_thought`` frame: position, tool, observation given, the previous id again."""
    trace: list[tuple[Any, ...]] = []
    previous = None
    for event in events:
        if event is None or event["event"] != "agent_thought":
            continue
        thought = normalise(event["thought"])
        same = event["id"] == previous
        trace.append((event["position"], thought, event["tool"], bool(event["observation"]), same))
        previous = event["id"]
    return trace


def stream_values(
    recorded: list[dict[str, Any] | None], emulated: list[dict[str, Any] | None]
) -> list[str]:
    problems: list[str] = []
    expected_text = [normalise(part) for part in stream_text(recorded)]
    if expected_text != stream_text(emulated):
        problems.append(f"text {expected_text!r} != {stream_text(emulated)!r}")
    if thought_trace(recorded) != thought_trace(emulated):
        problems.append(f"thoughts {thought_trace(recorded)} != {thought_trace(emulated)}")
    return problems


def usage_values(recorded: dict[str, Any], emulated: dict[str, Any], path: str) -> list[str]:
    """The decimal strings of ``metadata.usage`` (``0E-7``, or ``0.0`` for an empty usage)."""
    left, right = recorded["metadata"]["usage"], emulated["metadata"]["usage"]
    strings = {key: value for key, value in left.items() if isinstance(value, str)}
    actual = {key: right.get(key) for key in strings}
    return _same(f"{path}.metadata.usage", strings, actual)


MESSAGE_FIELDS = ("query", "answer", "inputs", "status")
THOUGHT_FIELDS = ("position", "thought", "tool", "tool_input")


def _same(path: str, expected: Any, actual: Any) -> list[str]:
    if isinstance(expected, str) and isinstance(actual, str):
        expected = normalise(expected)
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def values(recording: Recording, recorded: Any, emulated: Any) -> list[str]:
    """What a client shows: stored answers, inputs, thoughts, names and error codes."""
    if not isinstance(recorded, dict) or not isinstance(emulated, dict):
        return []
    if recording.status >= 400:
        problems = _same("$.code", recorded.get("code"), emulated.get("code"))
        return problems + _same("$.message", recorded.get("message"), emulated.get("message"))
    method, path = recording.request["method"], recording.request["path"]
    problems: list[str] = []
    if method == "GET" and path.startswith("/v1/messages?"):
        # paired by query: messages of the same second may come in either order
        by_query = {message["query"]: message for message in emulated["data"]}
        for index, left in enumerate(recorded["data"]):
            right = by_query.get(left["query"])
            if right is None:
                problems.append(f"$.data[{index}]: no message {left['query']!r}")
                continue
            if triggered_text(left["query"]):
                continue
            for key in MESSAGE_FIELDS:
                problems += _same(f"$.data[{index}].{key}", left[key], right[key])
            pairs = zip(left["agent_thoughts"], right["agent_thoughts"], strict=False)
            for number, (thought, other) in enumerate(pairs):
                for key in THOUGHT_FIELDS:
                    where = f"$.data[{index}].agent_thoughts[{number}].{key}"
                    problems += _same(where, thought[key], other[key])
        if len(recorded["data"]) != len(emulated["data"]):
            problems.append(f"{len(recorded['data'])} messages != {len(emulated['data'])}")
    if method == "GET" and path.startswith("/v1/conversations"):
        # as multisets: conversations of the same second may come in either order
        expected = sorted(json.dumps([normalise(i["name"]), i["inputs"]]) for i in recorded["data"])
        actual = sorted(json.dumps([item["name"], item["inputs"]]) for item in emulated["data"])
        problems += _same("$.data[*].(name, inputs)", expected, actual)
    if method == "POST" and path.endswith("/name"):
        problems += _same("$.name", recorded["name"], emulated["name"])
    if "metadata" in recorded and "metadata" in emulated:  # blocking answers
        problems += usage_values(recorded, emulated, "$")
    if path == "/v1/parameters":
        problems += _same("$", recorded, emulated)
    return problems


def triggered_text(text: str) -> bool:
    return any(word in text for word in TRIGGERS)


def _multipart(fields: dict[str, str]) -> dict[str, Any]:
    """A multipart body built by hand (httpx would send a file-less form url-encoded)."""
    boundary = "rechat-replay-boundary"
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if value.startswith("@"):
            filename, _, mime = value[1:].partition(";type=")
            content = (fixtures_dir() / f"upload_{filename}").read_bytes()
            head += f'; filename="{filename}"\r\nContent-Type: {mime or "application/octet-stream"}'
            parts.append(head.encode() + b"\r\n\r\n" + content + b"\r\n")
        else:
            parts.append(head.encode() + b"\r\n\r\n" + value.encode() + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    return {"content": body, "headers": {"Content-Type": content_type}}


RECORDINGS = {recording.name: recording for recording in load_all_recordings()}

IMAGE_ONLY = {
    "image": {
        "enabled": True,
        "number_limits": 3,
        "detail": "high",
        "transfer_methods": ["local_file", "remote_url"],
    }
}
FULL_UPLOAD = {
    **IMAGE_ONLY,
    "enabled": True,
    "allowed_file_types": ["image", "document"],
    "allowed_file_extensions": [],
    "allowed_file_upload_methods": ["local_file", "remote_url"],
    "number_limits": 3,
}
WORKFLOW_UPLOAD = {
    "image": {
        "enabled": False,
        "number_limits": 3,
        "transfer_methods": ["local_file", "remote_url"],
    },
    "enabled": False,
    "allowed_file_types": [],
    "allowed_file_extensions": [],
    "allowed_file_upload_methods": ["local_file", "remote_url"],
    "number_limits": 3,
}
LEGACY_OFF = {
    "image": {
        "enabled": False,
        "number_limits": 3,
        "detail": "high",
        "transfer_methods": ["remote_url", "local_file"],
    }
}
CHAT_FORM = [
    {
        "text-input": {
            "label": "Topic",
            "variable": "topic",
            "required": False,
            "max_length": 10,
            "default": "",
        }
    },
    {
        "select": {
            "label": "Lang",
            "variable": "lang",
            "required": False,
            "options": ["en", "fr"],
            "default": "",
        }
    },
]
OPENING = "Hello! I am the fixture bot."
SUGGESTED = ["What can you do?", "Show me markdown"]


def _chat_app(file_upload: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": KEYS["chat"],
        "mode": "chat",
        "name": "fixture-chat",
        "description": "fixture chat app",
        "opening_statement": OPENING,
        "suggested_questions": SUGGESTED,
        "suggested_questions_after_answer": True,
        "user_input_form": CHAT_FORM,
        "file_upload": file_upload,
    }


APPS = [
    _chat_app(IMAGE_ONLY),
    {
        "key": KEYS["chatflow"],
        "mode": "advanced-chat",
        "name": "fixture-chatflow",
        "description": "fixture advanced-chat app",
        "opening_statement": OPENING,
        "suggested_questions": SUGGESTED,
        "suggested_questions_after_answer": True,
        "file_upload": WORKFLOW_UPLOAD,
    },
    {
        "key": KEYS["workflow"],
        "mode": "workflow",
        "name": "fixture-workflow",
        "user_input_form": [
            {
                "text-input": {
                    "variable": "query",
                    "label": "Query",
                    "type": "text-input",
                    "required": True,
                    "max_length": 256,
                    "options": [],
                }
            }
        ],
        "file_upload": WORKFLOW_UPLOAD,
    },
    {
        "key": KEYS["agent"],
        "mode": "agent-chat",
        "name": "fixture-agent",
        "opening_statement": "",
        "file_upload": LEGACY_OFF,
    },
    {
        "key": KEYS["completion"],
        "mode": "completion",
        "name": "fixture-completion",
        "retriever_resource": True,
        "user_input_form": [
            {"paragraph": {"label": "Query", "variable": "query", "required": True, "default": ""}}
        ],
        "file_upload": LEGACY_OFF,
    },
]

RUN2_CHAT_FORM = [
    CHAT_FORM[0],
    {"select": {**CHAT_FORM[1]["select"], "label": "Language"}},
]
RUN2_SUGGESTED = ["What can you do?", "Show me MARKDOWN"]
APPS_RUN2 = [
    {
        **_chat_app(FULL_UPLOAD),
        "key": KEYS_RUN2["chat"],
        "opening_statement": "Hello! I am the real Dify chat app.",
        "suggested_questions": RUN2_SUGGESTED,
        "user_input_form": RUN2_CHAT_FORM,
    },
    {
        "key": KEYS_RUN2["chatflow"],
        "mode": "advanced-chat",
        "name": "fixture-chatflow-2",
        "opening_statement": "Hello from the chatflow.",
        "suggested_questions": RUN2_SUGGESTED,
        "suggested_questions_after_answer": True,
        "sensitive_word_avoidance": {"enabled": False},
        "file_upload": {
            "image": {
                "enabled": False,
                "number_limits": 3,
                "transfer_methods": ["local_file", "remote_url"],
            },
            "enabled": False,
        },
    },
    {
        "key": KEYS_RUN2["agent"],
        "mode": "agent-chat",
        "name": "fixture-agent-2",
        "opening_statement": "",
        "tools": ["current_time"],
        "sensitive_word_avoidance": {"enabled": False},
        "file_upload": {
            "image": {"enabled": False, "number_limits": 3, "transfer_methods": ["local_file"]}
        },
    },
]

# Recording order (the Date headers), with same-second ties put in dependency order.
ORDER = """
chat_stream_first_turn chat_stream_second_turn chat_blocking chat_stream_fail_midstream
chat_stream_markdown chat_blocking_fail_midstream chat_stop_stream
chat_error_completion_on_chat_app chat_error_conversation_of_other_user chat_error_empty_query
chat_error_empty_user chat_error_invalid_conversation_id_format
chat_error_invalid_inputs_select chat_error_invalid_inputs_too_long
chat_error_invalid_inputs_type chat_error_invalid_response_mode
chat_error_malformed_authorization chat_error_malformed_json chat_error_missing_authorization
chat_error_missing_query chat_error_missing_user chat_error_unknown_conversation
chat_error_workflow_run_on_chat_app chat_error_wrong_api_key chat_stop_missing_user
chat_stop_unknown_task chat_stream_slow_with_ping conversation_rename_name
conversation_rename_empty conversation_rename_auto_generate conversation_rename_unknown
conversations_list conversations_list_bad_last_id conversations_list_limit1
conversations_list_missing_user conversations_list_page2_last_id
conversations_list_sort_created_at conversations_list_unknown_user messages_list
messages_list_first_id messages_list_limit1 messages_list_missing_conversation_id
messages_list_unknown_conversation message_feedback_like message_feedback_dislike
message_feedback_null message_feedback_null_again messages_list_after_feedback
message_feedback_invalid_rating message_feedback_like_again messages_list_with_like
message_feedback_unknown_message message_suggested message_suggested_unknown_message
conversation_delete conversation_delete_again chat_error_deleted_conversation
messages_list_deleted_conversation files_upload_missing_file files_upload_png files_upload_txt
index_root info meta parameters chatflow_stream_first_turn chatflow_stream_second_turn
chatflow_blocking chatflow_stream_fail_midstream chatflow_stream_markdown chatflow_stop_stream
chatflow_conversations_list chatflow_error_unknown_conversation chatflow_info
chatflow_messages_list chatflow_parameters workflow_run_stream workflow_run_blocking_fail
workflow_run_stream_fail_midstream workflow_run_blocking workflow_run_detail
workflow_run_detail_blocking_run workflow_run_detail_unknown workflow_stop_stream
workflow_error_chat_messages_on_workflow_app workflow_logs workflow_parameters
workflow_run_error_missing_inputs workflow_run_error_missing_required_input agent_stream_basic
agent_error_blocking_mode agent_messages_list agent_meta agent_parameters
chat_default_response_mode_is_blocking chat_stream_auto_generate_name_false
chat_stop_wrong_user_stream audio_text_to_audio_disabled audio_to_text_disabled
chat_error_form_encoded_body chat_stop_after_finish completion_blocking completion_stop_stream
completion_stream cors_get_parameters_with_origin cors_preflight_chat_messages
error_method_not_allowed error_unknown_route chat_stream_raw_chunked_wire
completion_error_missing_required_input completion_parameters parameters_file_upload_enabled
files_upload_png_for_chat chat_stream_with_image_file files_upload_txt_for_chat
chat_blocking_with_document_file chat_error_file_unknown_upload_id
chat_file_type_mismatch_accepted messages_list_with_image_file chat_blocking_unicode
chat_stream_unicode conversations_list_unicode_user
""".split()  # noqa: SIM905

# dify-0.15.3-more, the second server run, in the same way
ORDER_MORE = """
agent_tool_stream_react agent_tool_messages_list agent_tool_meta
messages_list_inputs_persist_turn1 messages_list_inputs_persist_turn2 messages_list_inputs_persist
conversation_rename_neither_turn conversation_rename_neither conversation_rename_neither_after
chat_error_remote_url_unreachable agent_parameters_legacy_file_upload
chatflow_parameters_sensitive_word error_method_not_allowed_no_origin
error_unknown_route_no_origin chat_suggested_after_stream_turn chat_suggested_after_stream
conversation_delete_then_chat_turn conversation_delete_then_chat_delete
conversation_delete_then_chat messages_list_inputs_changed_turn1
messages_list_inputs_changed_turn2 messages_list_inputs_changed
error_method_not_allowed_with_origin error_unknown_route_with_origin
""".split()  # noqa: SIM905

STOP_CALL_NAMES = set(STOP_CALLS.values())


def test_every_recording_is_replayed() -> None:
    """Each recording of both folders is replayed once: a new fixture file fails this test until
    it is put in ``ORDER``/``ORDER_MORE``."""
    replayed = ORDER + ORDER_MORE + sorted(STOP_CALL_NAMES)
    assert len(replayed) == len(set(replayed))
    assert sorted(replayed) == sorted(RECORDINGS)


def test_fixture_folders_hold_only_complete_exchanges() -> None:
    """Every file of the folders is a README, an upload used by a request, or one half of a
    ``NAME.http`` + ``NAME.request.json`` pair (so nothing recorded escapes ``RECORDINGS``)."""
    for folder in FIXTURE_FOLDERS:
        names = {path.name for path in fixtures_dir(folder).iterdir()}
        for name in names:
            if name == "README.md" or name.startswith("upload_"):
                continue
            stem = name.removesuffix(".request.json").removesuffix(".http")
            assert {f"{stem}.http", f"{stem}.request.json"} <= names, f"{folder}/{name}"
            assert RECORDINGS[stem].folder == folder
    # a new folder of recordings is a new entry of FIXTURE_FOLDERS (and so replayed here)
    siblings = {path.name for path in fixtures_dir().parent.glob("dify-*") if path.is_dir()}
    assert siblings == set(FIXTURE_FOLDERS)


@pytest.fixture(scope="module")
def emulator_015(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    config: Path = tmp_path_factory.mktemp("emulator") / "apps.json"
    # the unreachable remote_url is retried with Dify's back-off (0.5, 1, 2 s) scaled down
    config.write_text(json.dumps({"apps": APPS + APPS_RUN2, "remote_url_backoff": 0.01}))
    process, emulator = start_emulator(
        "--config", str(config), "--profile", "0.15", "--ping-interval", "0.4"
    )
    try:
        yield emulator
    finally:
        stop_emulator(process)


@pytest.fixture(scope="module")
async def replay_results(emulator_015: RunningEmulator) -> AsyncIterator[dict[str, list[str]]]:
    async with httpx.AsyncClient(timeout=30) as client:
        replayer = Replayer(client, emulator_015.root_url)
        for name in ORDER + ORDER_MORE:
            if name == "parameters_file_upload_enabled":
                app = _chat_app(FULL_UPLOAD)
                emulator_015.control("PUT", f"/apps/{app['key']}", json=app)
            stop_call = RECORDINGS[STOP_CALLS[name]] if name in STOP_CALLS else None
            await replayer.replay(RECORDINGS[name], stop_call)
        yield replayer.results


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_emulator_matches_recording(replay_results: dict[str, list[str]], name: str) -> None:
    assert replay_results[name] == []
