"""The emulator's ASGI app: routes, Dify-shaped errors, and Dify's headers and CORS."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rechat_dify_emulator import (
    api_app,
    api_audio,
    api_control,
    api_conversations,
    api_generation,
    files,
)
from rechat_dify_emulator.config import EmulatorConfig, default_config
from rechat_dify_emulator.http import (
    INTERNAL_TEXT,
    NO_CORS,
    DifyHTTPError,
    error_response,
    json_response,
    route_not_found,
)
from rechat_dify_emulator.state import EmulatorState
from rechat_dify_emulator.streaming import SERVER_SEND

ALLOWED_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"


class DifyHeaders:
    """Adds ``X-Version``/``X-Env`` and Flask-CORS headers (none on an unknown route's 404 or a
    wrong method's 405, like Dify); answers CORS preflights; logs every call (``calls.py``)."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(send, origin, headers)
            return
        call = self.state.calls.begin(scope, headers)
        body_reader = call.reader(receive)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                cors = (NO_CORS, b"1") not in own
                own = [header for header in own if header[0] != NO_CORS]
                message["headers"] = own + self._extra(origin, cors=cors)
                call.end(scope, message["status"])
            await send(message)

        scope[SERVER_SEND] = send  # streamed body frames skip the wrappers (streaming.py)
        await self.app(scope, body_reader, send_with_headers)

    def _extra(self, origin: str | None, *, cors: bool = True) -> list[tuple[bytes, bytes]]:
        profile = self.state.profile
        extra = [
            (b"x-version", profile.server_version.encode()),
            (b"x-env", b"PRODUCTION"),
        ]
        if profile.server_header:
            extra.append((b"server", profile.server_header.encode()))
        if not cors:
            return extra
        extra.append((b"access-control-allow-origin", (origin or "*").encode()))
        if origin:
            extra.append((b"vary", b"Origin"))
            if self.state.profile.cors_expose_headers:
                extra.append((b"access-control-expose-headers", b"X-Version, X-Env, X-Trace-Id"))
        return extra

    async def _preflight(self, send: Send, origin: str | None, headers: dict[str, str]) -> None:
        requested = headers.get("access-control-request-headers", "")
        allow_headers = ", ".join(part.strip() for part in requested.split(",") if part.strip())
        response_headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"allow", b"POST, OPTIONS"),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", allow_headers.encode()),
            (b"content-length", b"0"),
            *self._extra(origin),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": b""})


def create_app(config: EmulatorConfig | None = None) -> Any:
    """The emulator as an ASGI app (FastAPI wrapped in Dify's header middleware)."""
    state = EmulatorState(config or default_config())
    api = FastAPI(title="Dify emulator", openapi_url="/_emulator/openapi.json", docs_url=None)
    api.state.emulator = state
    for module in (api_generation, api_conversations, api_app, api_audio, files, api_control):
        api.include_router(module.router)

    @api.exception_handler(DifyHTTPError)
    async def dify_error(request: Request, exc: DifyHTTPError) -> Response:
        return error_response(state.profile, exc)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/_emulator"):
            return json_response(state.profile, {"detail": exc.detail}, exc.status_code)
        if exc.status_code == 404:
            return route_not_found()
        if exc.status_code == 405:
            body = {
                "code": "method_not_allowed",
                "message": "The method is not allowed for the requested URL.",
                "status": 405,
            }
            response = json_response(state.profile, body, 405)
            response.headers["allow"] = (exc.headers or {}).get("Allow", "POST").replace(
                ", ", ", "
            ) + ", OPTIONS"
            response.headers[NO_CORS.decode()] = "1"
            return response
        error = DifyHTTPError(exc.status_code, "bad_request", str(exc.detail))
        return error_response(state.profile, error)

    @api.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        return error_response(
            state.profile, DifyHTTPError(500, "internal_server_error", INTERNAL_TEXT)
        )

    wrapped = DifyHeaders(api, state)
    return wrapped
