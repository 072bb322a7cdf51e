"""HTTP plumbing shaped like Dify's Flask server: error envelope, JSON bodies, auth, arguments."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rechat_dify_emulator.config import AppConfig
from rechat_dify_emulator.profiles import Profile

NOT_FOUND_HTML = (
    "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.</p>\n"
)

NO_CORS = b"x-emulator-no-cors"
"""Marks an answer that gets no CORS headers (Flask's routing 404 and 405); never sent."""


def route_not_found() -> Response:
    """Flask's HTML 404 of an unknown route (without CORS headers, like Dify)."""
    response = Response(NOT_FOUND_HTML, 404, media_type="text/html; charset=utf-8")
    response.headers[NO_CORS.decode()] = "1"
    return response


HTML_PAGES = {
    429: "<html><head><title>429 Too Many Requests</title></head><body><h1>Error 1015</h1>"
    "<p>You are being rate limited.</p></body></html>",
    502: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    "</body></html>",
    503: "<html><head><title>503 Service Unavailable</title></head><body>"
    "<h1>503 Service Unavailable</h1></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body>"
    "<h1>504 Gateway Time-out</h1><hr><center>nginx</center></body></html>",
}

BAD_REQUEST_TEXT = "The browser (or proxy) sent a request that this server could not understand."
INTERNAL_TEXT = (
    "The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application."
)

# Dify's pre-stream error codes (DIFY_API.md §1.4): code -> (HTTP status, default message)
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid_param": (400, "Invalid parameter."),
    "app_unavailable": (400, "App unavailable, please check your app configurations."),
    "not_chat_app": (400, "Please check if your app mode matches the right API route."),
    "not_workflow_app": (400, "Please check if your app mode matches the right API route."),
    "conversation_completed": (
        400,
        "The conversation has ended. Please start a new conversation.",
    ),
    "provider_not_initialize": (
        400,
        "No valid model provider credentials found. Please go to Settings -> Model Provider "
        "to complete your provider credentials.",
    ),
    "provider_quota_exceeded": (
        400,
        "Your quota for Dify Hosted OpenAI has been exhausted. Please go to Settings -> Model "
        "Provider to complete your own provider credentials.",
    ),
    "model_currently_not_support": (
        400,
        "Dify Hosted OpenAI trial currently not support the GPT-4 model.",
    ),
    "completion_request_error": (400, "Completion request failed."),
    "bad_request": (400, BAD_REQUEST_TEXT),
    "not_found": (404, "Conversation Not Exists."),
    "unsupported_media_type": (415, "Unsupported media type."),
    "too_many_requests": (
        429,
        "Too many requests. Please try again later. The current maximum concurrent requests "
        "allowed for emulator is 1.",
    ),
    "rate_limit_error": (429, "Rate Limit Error"),
    "internal_server_error": (500, INTERNAL_TEXT),
    "unauthorized": (401, "Access token is invalid"),
    "forbidden": (403, "The app's API service has been disabled."),
}


class DifyHTTPError(Exception):
    """A Dify error answer: ``{code, message, status}`` (or ``{code, message, params}``)."""

    def __init__(self, status: int, code: str, message: str, params: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params

    def body(self) -> dict[str, Any]:
        if self.code == "unknown":  # Dify's handler of an unexpected exception: no status
            return {"message": self.message, "code": self.code}
        if self.params is not None:
            return {"code": self.code, "message": self.message, "params": self.params}
        return {"code": self.code, "message": self.message, "status": self.status}


def coded_error(code: str, message: str | None = None) -> DifyHTTPError:
    """The error Dify answers for ``code`` (unknown codes become a 400)."""
    status, default = ERROR_CODES.get(code, (400, f"Emulated error {code}."))
    return DifyHTTPError(status, code, message or default)


def invalid(message: str) -> DifyHTTPError:
    return DifyHTTPError(400, "invalid_param", message)


def argument_error(profile: Profile, field: str, message: str, model: str) -> DifyHTTPError:
    """A request-argument error: reqparse style in 0.15, pydantic text today."""
    if profile.reqparse_errors:
        return DifyHTTPError(400, "invalid_param", message, params=field)
    text = f"1 validation error for {model}\n{field}\n  {message} [type=value_error]"
    return DifyHTTPError(400, "invalid_param", text)


def json_response(
    profile: Profile, payload: Any, status: int = 200, *, generation: bool = False
) -> Response:
    """A JSON answer serialised like the emulated server does it."""
    if generation:
        body = profile.stream_json(payload)
        media = "application/json" if profile.name == "0.15" else "application/json; charset=utf-8"
    else:
        body = profile.api_json(payload) + "\n"
        media = "application/json"
    return Response(body, status_code=status, media_type=media)


def error_response(profile: Profile, error: DifyHTTPError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if error.status == 401 else None
    response = json_response(profile, error.body(), error.status)
    if headers:
        response.headers.update(headers)
    return response


def authenticate(request: Request, apps: dict[str, AppConfig]) -> AppConfig:
    """The app of the ``Authorization: Bearer <key>`` header, or 401 like Dify."""
    header = request.headers.get("authorization")
    if not header or " " not in header.strip():
        raise DifyHTTPError(
            401,
            "unauthorized",
            "Authorization header must be provided and start with 'Bearer'",
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise DifyHTTPError(401, "unauthorized", "Authorization scheme must be 'Bearer'")
    app = apps.get(token.strip())
    if app is None:
        raise DifyHTTPError(401, "unauthorized", "Access token is invalid")
    return app


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON body, with Flask's 415 and 400 answers for wrong or broken bodies."""
    content_type = request.headers.get("content-type", "")
    if "application/json" not in content_type:
        raise DifyHTTPError(
            415,
            "unsupported_media_type",
            "Did not attempt to load JSON data because the request Content-Type was not "
            "'application/json'.",
        )
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except ValueError:
        raise DifyHTTPError(400, "bad_request", BAD_REQUEST_TEXT) from None
    if not isinstance(payload, dict):
        raise DifyHTTPError(400, "bad_request", BAD_REQUEST_TEXT)
    return payload


def require_user(value: Any) -> str:
    """Dify's ``Arg user must be provided.`` check."""
    if not isinstance(value, str) or not value:
        raise invalid("Arg user must be provided.")
    return value


def server_url(request: Request) -> str:
    """Where this emulated Dify server is reached (with the prefix it is mounted under)."""
    return str(request.base_url).rstrip("/")


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
