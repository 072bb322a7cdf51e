"""One error hierarchy for every service, rendered as `{"error": code, "detail": message}`."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException


class ReChatError(Exception):
    """Base of every expected failure; carries its HTTP status and a stable code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.headers = headers or {}


class BadRequest(ReChatError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ReChatError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str = "Not authenticated", *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ReChatError):
    status_code = 403
    code = "forbidden"


class NotFound(ReChatError):
    status_code = 404
    code = "not_found"


class Conflict(ReChatError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(ReChatError):
    status_code = 413
    code = "payload_too_large"


class UnprocessableEntity(ReChatError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(ReChatError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class BadGateway(ReChatError):
    status_code = 502
    code = "bad_gateway"


class ServiceUnavailable(ReChatError):
    status_code = 503
    code = "service_unavailable"


class ErrorBody(BaseModel):
    """`{"error": code, "detail": message}`; validation errors add pydantic's `errors`."""

    model_config = ConfigDict(extra="allow")

    error: str
    detail: str


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated, or invalid credentials or token",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Invalid payload",
    429: "Too many requests; see Retry-After",
    503: "A dependency is unavailable",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given statuses (and 400, 422, 503) in the envelope, so the
    OpenAPI document describes every error a client can get."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS.get(status, "Error")}
        for status in sorted({*statuses, 400, 422, 503})
    }


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail, **extra}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


async def _rechat_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReChatError)
    return JSONResponse(
        error_body(exc.code, exc.detail), status_code=exc.status_code, headers=exc.headers
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = jsonable_encoder(exc.errors(), exclude={"input", "ctx", "url"})
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
    return JSONResponse(error_body("validation_error", message, errors=errors), status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, including validation and routing errors, in the one envelope."""
    app.add_exception_handler(ReChatError, _rechat_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
