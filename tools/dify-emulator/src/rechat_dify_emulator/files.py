"""Signed file URLs and ``GET /files/{upload_file_id}/file-preview``, Dify's way of serving an
uploaded file to a browser without an app key.

``GET /messages`` gives each uploaded attachment a URL signed at listing time
(``?timestamp=&nonce=&sign=``, an HMAC-SHA256 of ``file-preview|id|timestamp|nonce``) that stays
valid for ``files_access_timeout`` seconds (300, like ``FILES_ACCESS_TIMEOUT``); after that, or
with a wrong signature, the route answers 404. Outside the Service API (``/files``, not
``/v1``), as in Dify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from rechat_dify_emulator.http import DifyHTTPError, json_response
from rechat_dify_emulator.state import EmulatorState

router = APIRouter()

SECRET = secrets.token_bytes(32)
"""The signing key of this process (Dify's ``SECRET_KEY``)."""


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _sign(upload_file_id: str, timestamp: str, nonce: str) -> str:
    data = f"file-preview|{upload_file_id}|{timestamp}|{nonce}".encode()
    return base64.urlsafe_b64encode(hmac.new(SECRET, data, hashlib.sha256).digest()).decode()


def signed_url(server_url: str, upload_file_id: str) -> str:
    """``/files/<id>/file-preview`` with a signature valid from now on."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    sign = _sign(upload_file_id, timestamp, nonce)
    query = f"timestamp={timestamp}&nonce={nonce}&sign={sign}"
    return f"{server_url}/files/{upload_file_id}/file-preview?{query}"


def listed_file(profile_name: str, server_url: str, row: dict[str, Any]) -> dict[str, Any]:
    """A stored message file as ``GET /messages`` lists it (0.15 has no ``upload_file_id``)."""
    listed = dict(row)
    upload_file_id = row.get("upload_file_id")
    if upload_file_id:
        listed["url"] = signed_url(server_url, upload_file_id)
    if profile_name == "0.15":
        listed.pop("upload_file_id", None)
    return listed


@router.get("/files/{upload_file_id}/file-preview")
async def file_preview(request: Request, upload_file_id: str) -> Response:
    """The bytes of an uploaded file, for a URL signed less than ``files_access_timeout`` ago."""
    state = _state(request)
    params = request.query_params
    timestamp, nonce, sign = params.get("timestamp"), params.get("nonce"), params.get("sign")
    if not timestamp or not nonce or not sign:
        return json_response(state.profile, {"content": "Invalid request."}, 400)
    upload = state.store.files.get(upload_file_id)
    fresh = (
        timestamp.isdigit() and time.time() - int(timestamp) <= state.config.files_access_timeout
    )
    if (
        upload is None
        or not fresh
        or not hmac.compare_digest(sign, _sign(upload_file_id, timestamp, nonce))
    ):
        raise DifyHTTPError(404, "not_found", "File not found or signature is invalid")
    headers = {"Content-Length": str(len(upload.content))}
    if params.get("as_attachment", "").lower() == "true":
        headers["Content-Disposition"] = f'attachment; filename="{upload.name}"'
    return Response(upload.content, media_type=upload.mime_type, headers=headers)
