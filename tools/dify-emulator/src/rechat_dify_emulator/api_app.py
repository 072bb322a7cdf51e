"""App description routes (parameters, info, meta, site), file upload, workflow runs, index."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.responses import Response

from rechat_dify_emulator.config import AppConfig
from rechat_dify_emulator.http import (
    DifyHTTPError,
    authenticate,
    coded_error,
    invalid,
    json_response,
    route_not_found,
    server_url,
)
from rechat_dify_emulator.state import EmulatorState
from rechat_dify_emulator.store import UploadedFile, new_id, now
from rechat_dify_emulator.tools import BUILTIN_TOOLS, CONSOLE_ICON

router = APIRouter()

SYSTEM_PARAMETERS = {
    "image_file_size_limit": 10,
    "video_file_size_limit": 100,
    "audio_file_size_limit": 50,
    "file_size_limit": 15,
    "workflow_file_upload_limit": 10,
}


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def parameters_body(app: AppConfig) -> dict[str, Any]:
    workflow_like = app.mode in ("workflow", "advanced-chat")
    sensitive: dict[str, Any] | None = app.sensitive_word_avoidance
    if sensitive is None:  # what a new app of the mode has; a configured one is as saved
        sensitive = {"enabled": False}
        if workflow_like or app.mode == "chat":
            sensitive.update(type="", configs=[])
    opening = app.opening_statement if app.mode != "workflow" else None
    return {
        "opening_statement": opening,
        "suggested_questions": app.suggested_questions,
        "suggested_questions_after_answer": {"enabled": app.suggested_questions_after_answer},
        "speech_to_text": {"enabled": app.speech_to_text},
        "text_to_speech": {"enabled": app.text_to_speech, "voice": "", "language": ""},
        "retriever_resource": {"enabled": app.retriever_resource},
        "annotation_reply": {"enabled": False},
        "more_like_this": {"enabled": False},
        "user_input_form": app.user_input_form,
        "sensitive_word_avoidance": sensitive,
        "file_upload": app.file_upload,
        "system_parameters": SYSTEM_PARAMETERS,
    }


@router.get("/v1/")
async def index(request: Request) -> Response:
    """Service welcome (no auth)."""
    state = _state(request)
    body = {
        "welcome": "Dify OpenAPI",
        "api_version": "v1",
        "server_version": state.profile.server_version,
    }
    return json_response(state.profile, body)


@router.get("/v1/parameters")
async def parameters(request: Request) -> Response:
    """Opening statement, suggestions, input form and file settings of the app."""
    state = _state(request)
    app = authenticate(request, state.apps)
    return json_response(state.profile, parameters_body(app))


@router.get("/v1/info")
async def info(request: Request) -> Response:
    """Name, description and tags of the app."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body: dict[str, Any] = {"name": app.name, "description": app.description, "tags": app.tags}
    if state.profile.info_has_mode:
        body.update(mode=app.mode, author_name="Emulator")
    return json_response(state.profile, body)


@router.get("/v1/meta")
async def meta(request: Request) -> Response:
    """Tool icons of the app."""
    state = _state(request)
    app = authenticate(request, state.apps)
    icons: dict[str, Any] = {}
    if app.mode == "agent-chat":  # a built-in tool's icon is a console API URL
        for tool in app.tools:
            provider = BUILTIN_TOOLS[tool].provider
            icons[tool] = f"{server_url(request)}{CONSOLE_ICON.format(provider=provider)}"
    return json_response(state.profile, {"tool_icons": icons})


@router.get("/v1/site")
async def site(request: Request) -> Response:
    """WebApp settings of the app (absent in 0.15)."""
    state = _state(request)
    if not state.profile.has_site:
        return route_not_found()
    app = authenticate(request, state.apps)
    body = {
        "title": app.name,
        "chat_color_theme": None,
        "chat_color_theme_inverted": False,
        "icon_type": "emoji",
        "icon": app.icon,
        "icon_background": app.icon_background,
        "icon_url": None,
        "description": app.description,
        "copyright": None,
        "privacy_policy": None,
        "custom_disclaimer": "",
        "default_language": "en-US",
        "show_workflow_steps": True,
        "use_icon_as_answer_icon": False,
    }
    return json_response(state.profile, body)


@router.post("/v1/files/upload")
async def upload_file(request: Request) -> Response:
    """Upload a file for later use in a message (multipart ``file`` and ``user``)."""
    state = _state(request)
    app = authenticate(request, state.apps)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload):
        code = state.profile.upload_missing_code
        message = (
            "No file uploaded."
            if code == "no_file_uploaded"
            else ("The browser (or proxy) sent a request that this server could not understand.")
        )
        raise DifyHTTPError(400, code, message)
    if not upload.filename:
        raise DifyHTTPError(
            400, "filename_not_exists_error", "The specified filename does not exist."
        )
    if any(char in upload.filename for char in '/\\:*?"<>|'):
        raise invalid("Filename contains invalid characters.")
    content = await upload.read()
    user = str(form.get("user") or "DEFAULT-USER")
    extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    stored = UploadedFile(
        id=new_id(),
        app_key=app.key,
        name=upload.filename,
        size=len(content),
        extension=extension,
        mime_type=upload.content_type or "application/octet-stream",
        created_by=state.store.end_user(app.key, user),
        created_at=now(),
        content=content,
    )
    state.store.files[stored.id] = stored
    body: dict[str, Any] = {
        "id": stored.id,
        "name": stored.name,
        "size": stored.size,
        "extension": stored.extension,
        "mime_type": stored.mime_type,
        "created_by": stored.created_by,
        "created_at": stored.created_at,
    }
    if state.profile.name != "0.15":
        body.update(
            preview_url=None,
            source_url=None,
            original_url=None,
            user_id=stored.created_by,
            tenant_id=None,
            conversation_id=None,
            file_key=None,
        )
    return json_response(state.profile, body, 201)


def _rfc1123(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return format_datetime(datetime.fromtimestamp(timestamp, UTC)).replace("+0000", "-0000")


@router.get("/v1/workflows/run/{workflow_run_id}")
async def workflow_run_detail(request: Request, workflow_run_id: str) -> Response:
    """One workflow run (inputs/outputs as JSON strings, dates as RFC 1123, like 0.15)."""
    state = _state(request)
    app = authenticate(request, state.apps)
    if app.mode not in ("workflow", "advanced-chat"):
        raise coded_error("not_workflow_app")
    run = state.store.workflow_runs.get(workflow_run_id)
    if run is None or run.app_key != app.key:
        body: dict[str, Any] = dict.fromkeys(
            ("id", "workflow_id", "status", "inputs", "outputs", "error"), None
        )
        body.update(total_steps=0, total_tokens=0, created_at=None, finished_at=None)
        body["elapsed_time"] = None
        return json_response(state.profile, body)
    body = {
        "id": run.id,
        "workflow_id": run.workflow_id,
        "status": run.status,
        "inputs": json.dumps(run.inputs),
        "outputs": json.dumps(run.outputs) if run.outputs is not None else None,
        "error": run.error,
        "total_steps": run.total_steps,
        "total_tokens": run.total_tokens,
        "created_at": _rfc1123(run.created_at),
        "finished_at": _rfc1123(run.finished_at),
        "elapsed_time": run.elapsed_time,
    }
    return json_response(state.profile, body)


@router.get("/v1/workflows/logs")
async def workflow_logs(request: Request) -> Response:
    """Page-based log of the app's workflow runs, newest first."""
    state = _state(request)
    app = authenticate(request, state.apps)
    page = int(request.query_params.get("page", "1"))
    limit = int(request.query_params.get("limit", "20"))
    runs = [run for run in state.store.workflow_runs.values() if run.app_key == app.key]
    runs.reverse()
    chunk = runs[(page - 1) * limit : page * limit]
    data = [
        {
            "id": new_id(),
            "workflow_run": {
                "id": run.id,
                "version": "2026-01-01 00:00:00.000000",
                "status": run.status,
                "error": run.error,
                "elapsed_time": run.elapsed_time,
                "total_tokens": run.total_tokens,
                "total_steps": run.total_steps,
                "created_at": run.created_at,
                "finished_at": run.finished_at,
                "exceptions_count": 0,
            },
            "created_from": "service-api",
            "created_by_role": "end_user",
            "created_by_account": None,
            "created_by_end_user": {
                "id": state.store.end_user(app.key, run.user),
                "type": "service_api",
                "is_anonymous": False,
                "session_id": run.user,
            },
            "created_at": run.finished_at or run.created_at,
        }
        for run in chunk
    ]
    body = {
        "page": page,
        "limit": limit,
        "total": len(runs),
        "has_more": page * limit < len(runs),
        "data": data,
    }
    return json_response(state.profile, body)
