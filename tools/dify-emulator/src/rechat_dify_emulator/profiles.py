"""Behaviour profiles: ``current`` (today's Dify, DIFY_API.md) and ``0.15`` (the fixtures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

USAGE_KEYS_015 = (
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
)


def _spaced(value: Any) -> str:
    return json.dumps(value)


def _compact(value: Any) -> str:
    return orjson.dumps(value).decode()


def _compact_ascii(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class Profile:
    """What differs between the Dify versions we emulate."""

    name: str
    server_version: str
    stream_json: Callable[[Any], str]
    """Serialiser of SSE events and blocking generation answers."""
    api_json: Callable[[Any], str]
    """Serialiser of every other JSON answer (errors, lists; ends with a newline)."""
    delete_status: int
    reqparse_errors: bool
    """0.15: argument errors are ``{code, message, params}`` without ``status``."""
    full_usage: bool
    """current: the 14 usage keys (with ``time_to_first_token``/``time_to_generate``)."""
    full_metadata: bool
    """current: ``annotation_reply`` and ``retriever_resources`` always in ``metadata``."""
    has_site: bool
    info_has_mode: bool
    workflow_sequence_numbers: bool
    legacy_chatflow_order: bool
    """0.15 and 1.12: ``workflow_finished`` before ``message_end``."""
    upload_missing_code: str
    conversation_initial_name: str | None
    """0.15 names every new conversation "New conversation"; None = truncated query."""
    inputs_from_conversation: bool
    """0.15: a later turn's ``inputs`` are ignored (not even validated); every message stores
    and uses the conversation's first inputs. Today every turn's inputs are validated and used."""
    rename_without_name_crashes: bool
    """0.15: rename with neither ``name`` nor ``auto_generate`` is a 500 ``unknown``."""
    cors_expose_headers: bool
    server_header: str | None
    """``Server`` as recorded (``gunicorn``); None = the server's own (uvicorn, or the process
    the emulator is mounted in)."""


PROFILE_015 = Profile(
    name="0.15",
    server_version="0.15.3",
    stream_json=_spaced,
    api_json=_spaced,
    delete_status=200,
    reqparse_errors=True,
    full_usage=False,
    full_metadata=False,
    has_site=False,
    info_has_mode=False,
    workflow_sequence_numbers=True,
    legacy_chatflow_order=True,
    upload_missing_code="bad_request_key_error",
    conversation_initial_name="New conversation",
    inputs_from_conversation=True,
    rename_without_name_crashes=True,
    cors_expose_headers=False,
    server_header="gunicorn",
)

PROFILE_CURRENT = Profile(
    name="current",
    server_version="1.13.3",
    stream_json=_compact,
    api_json=_compact_ascii,
    delete_status=204,
    reqparse_errors=False,
    full_usage=True,
    full_metadata=True,
    has_site=True,
    info_has_mode=True,
    workflow_sequence_numbers=False,
    legacy_chatflow_order=False,
    upload_missing_code="no_file_uploaded",
    conversation_initial_name=None,
    inputs_from_conversation=False,
    rename_without_name_crashes=False,
    cors_expose_headers=True,
    server_header=None,
)

PROFILES = {"0.15": PROFILE_015, "current": PROFILE_CURRENT}
