"""Validation of generation requests, in Dify's order and with Dify's messages."""

from __future__ import annotations

from typing import Any

from rechat_dify_emulator.config import AppConfig
from rechat_dify_emulator.http import DifyHTTPError, argument_error, invalid, is_uuid
from rechat_dify_emulator.profiles import Profile
from rechat_dify_emulator.remote import remote_file_info
from rechat_dify_emulator.state import EmulatorState
from rechat_dify_emulator.store import Store, new_id

RESPONSE_MODES = ("streaming", "blocking")


def response_mode(profile: Profile, body: dict[str, Any], model: str) -> str:
    """``streaming`` or ``blocking`` (absent means blocking)."""
    value = body.get("response_mode")
    if value is None:
        return "blocking"
    if value not in RESPONSE_MODES:
        raise argument_error(profile, "response_mode", f"{value} is not a valid choice", model)
    return str(value)


def required_inputs(profile: Profile, body: dict[str, Any], model: str) -> dict[str, Any]:
    value = body.get("inputs")
    if value is None:
        raise argument_error(
            profile, "inputs", "Missing required parameter in the JSON body", model
        )
    if not isinstance(value, dict):
        raise argument_error(profile, "inputs", "Input should be a valid dictionary", model)
    return value


def conversation_id(profile: Profile, body: dict[str, Any]) -> str | None:
    value = body.get("conversation_id")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not is_uuid(value):
        raise argument_error(
            profile, "conversation_id", f"{value} is not a valid uuid.", "ChatRequestPayload"
        )
    return value


def validate_inputs(app: AppConfig, inputs: dict[str, Any]) -> dict[str, Any]:
    """Check ``inputs`` against the app's form; returns every form variable (missing = None)."""
    result: dict[str, Any] = {}
    for item in app.user_input_form:
        for kind, spec in item.items():
            variable = spec.get("variable", "")
            value = inputs.get(variable)
            result[variable] = _check_input(kind, spec, variable, value)
    return result


def _check_input(kind: str, spec: dict[str, Any], variable: str, value: Any) -> Any:
    if value is None or value == "":
        if spec.get("required"):
            raise invalid(f"{variable} is required in input form")
        return None
    if kind in ("text-input", "paragraph", "select") and not isinstance(value, str):
        raise invalid(f"(type '{kind}') {variable} in input form must be a string")
    if kind == "select" and value not in spec.get("options", []):
        raise invalid(
            f"{variable} in input form must be one of the following: {spec.get('options', [])}"
        )
    max_length = spec.get("max_length")
    if isinstance(value, str) and max_length and len(value) > max_length:
        raise invalid(f"{variable} in input form must be less than {max_length} characters")
    if kind == "number" and not isinstance(value, int | float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise invalid(f"{variable} in input form must be a valid number") from None
    return value


def file_upload_enabled(app: AppConfig) -> bool:
    settings = app.file_upload or {}
    image = settings.get("image") or {}
    return bool(settings.get("enabled") or image.get("enabled"))


async def resolve_files(app: AppConfig, state: EmulatorState, files: Any) -> list[dict[str, Any]]:
    """The message_files of a request; dropped silently when the app has uploads off. A
    ``remote_url`` file is looked up with a HEAD request, as Dify does (``remote.py``)."""
    store = state.store
    if not files or not file_upload_enabled(app):
        return []
    if not isinstance(files, list):
        raise invalid("files must be a list")
    resolved = []
    for entry in files:
        if not isinstance(entry, dict):
            raise invalid("Invalid file mapping")
        method = entry.get("transfer_method")
        if method == "remote_url":
            url = entry.get("url")
            if not url:
                raise invalid("Invalid file url")
            info = await remote_file_info(str(url), state.config.remote_url_backoff)
            row = _file_row(entry, str(url), None)
            row.update(filename=info.filename, mime_type=info.mime_type, size=info.size)
            resolved.append(row)
            continue
        if method != "local_file":
            raise invalid("transfer_method is required in file mapping")
        upload = store.files.get(str(entry.get("upload_file_id")))
        if upload is None:
            raise invalid("Invalid upload file")
        resolved.append(_file_row(entry, None, upload))
    return resolved


def _file_row(entry: dict[str, Any], url: str | None, upload: Any) -> dict[str, Any]:
    """A message file: its own id; an upload's ``url`` is signed when listed (``files.py``)."""
    return {
        "id": new_id(),
        "filename": upload.name if upload else (url or "").rsplit("/", 1)[-1],
        "type": entry.get("type", "image"),
        "url": url,
        "mime_type": upload.mime_type if upload else None,
        "size": upload.size if upload else 0,
        "transfer_method": entry.get("transfer_method"),
        "belongs_to": "user",
        "upload_file_id": upload.id if upload else None,
    }


def check_concurrency(app: AppConfig, store: Store, status: int) -> None:
    """Dify's per-app concurrent-request limit (429, or 400 invalid_param in some builds)."""
    if app.max_active_requests <= 0 or store.active.get(app.key, 0) < app.max_active_requests:
        return
    message = (
        "Too many requests. Please try again later. The current maximum concurrent requests "
        f"allowed for {app.id} is {app.max_active_requests}."
    )
    if status == 400:
        raise invalid(message)
    raise DifyHTTPError(429, "too_many_requests", message)
