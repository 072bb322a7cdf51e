"""One error hierarchy for every service, rendered as `{"error": code, "detail": message}`."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException


class ReChatError(Exception):
    """Base of every expected failure; carries its HTTP status and a stable code.

    A code names one condition and is defined once, by its class here: services raise the
    class, never a code string of their own, so every service answers the same condition with
    the same code.
    """

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_detail: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)
        self.headers = headers or {}


class BadRequest(ReChatError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ReChatError):
    status_code = 401
    code = "unauthorized"
    default_detail = "Not authenticated"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ReChatError):
    status_code = 403
    code = "forbidden"
    default_detail = "Forbidden"


class NotFound(ReChatError):
    status_code = 404
    code = "not_found"
    default_detail = "Not found"


class Conflict(ReChatError):
    status_code = 409
    code = "conflict"
    default_detail = "Conflict"


class PayloadTooLarge(ReChatError):
    status_code = 413
    code = "payload_too_large"
    default_detail = "Payload too large"


class UnprocessableEntity(ReChatError):
    status_code = 422
    code = "validation_error"
    default_detail = "Invalid payload"


class TooManyRequests(ReChatError):
    status_code = 429
    code = "too_many_requests"
    default_detail = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class BadGateway(ReChatError):
    status_code = 502
    code = "bad_gateway"
    default_detail = "An upstream service failed"


class ServiceUnavailable(ReChatError):
    """A dependency is down; the client may try again after `Retry-After` seconds."""

    status_code = 503
    code = "service_unavailable"
    default_detail = "A dependency is unavailable"
    retry_after: ClassVar[int] = 5

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(self.retry_after), **(headers or {})})


class DatabaseUnavailable(ServiceUnavailable):
    """The database is down or unreachable (see `rechat_shared.db.is_unavailable`)."""

    code = "database_unavailable"
    default_detail = "The database is unavailable; try again shortly"


# -- the domain's conditions, one class and one code each -------------------------------------


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    default_detail = "Invalid cursor"


class InvalidRange(BadRequest):
    code = "invalid_range"
    default_detail = "Invalid date range"


class ConfirmRequired(BadRequest):
    code = "confirm_required"
    default_detail = "This needs confirm set to true"


class AppMismatch(BadRequest):
    code = "app_mismatch"
    default_detail = "The conversation belongs to another app"


class FileRejected(BadRequest):
    code = "file_rejected"
    default_detail = "Dify refused the file"


class AvatarRejected(BadRequest):
    code = "avatar_rejected"
    default_detail = "The picture must be a PNG, JPEG, GIF or WebP image"


class ImportRejected(BadRequest):
    code = "import_rejected"
    default_detail = "The file is not an Open WebUI or ReChat chat export"


class SpeechRejected(BadRequest):
    code = "speech_rejected"
    default_detail = "Dify refused the speech request (is the app's voice feature on?)"


class MissingInput(BadRequest):
    code = "missing_input"
    default_detail = "A required input of the app is empty"


class ModeMismatch(BadRequest):
    code = "mode_mismatch"
    default_detail = "Dify reports another mode for this key"


class AppCheckFailed(BadRequest):
    code = "app_check_failed"
    default_detail = "Dify could not be asked about the app"


class UnsupportedMode(BadRequest):
    code = "unsupported_mode"
    default_detail = "Dify reports an app mode ReChat cannot serve"


class WrongPassword(BadRequest):
    code = "wrong_password"
    default_detail = "The current password is wrong"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    default_detail = "Invalid token"


class TokenExpired(Unauthorized):
    code = "token_expired"
    default_detail = "Token expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    default_detail = "Token revoked"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_detail = "Invalid email or password"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    default_detail = "Session expired; please sign in again"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"
    default_detail = "This session was revoked because its refresh token was reused"


class ServiceAuthRequired(Unauthorized):
    code = "service_auth_required"
    default_detail = "Service authentication required"


class AccountDisabled(Forbidden):
    code = "account_disabled"
    default_detail = "This account has been deactivated"


class AccountPending(Forbidden):
    code = "account_pending"
    default_detail = "Your account is awaiting activation"


class AdminRequired(Forbidden):
    code = "admin_required"
    default_detail = "Administrator role required"


class SignupClosed(Forbidden):
    code = "signup_closed"
    default_detail = "Sign-up is closed"


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    default_detail = "Conversation not found"


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_detail = "Message not found"


class AppNotFound(NotFound):
    code = "app_not_found"
    default_detail = "App not found"


class GroupNotFound(NotFound):
    code = "group_not_found"
    default_detail = "Group not found"


class FolderNotFound(NotFound):
    code = "folder_not_found"
    default_detail = "Folder not found"


class ShareNotFound(NotFound):
    code = "share_not_found"
    default_detail = "Shared chat not found"


class FileNotFound(NotFound):
    code = "file_not_found"
    default_detail = "File not found"


class UserNotFound(NotFound):
    code = "user_not_found"
    default_detail = "No such user"


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = "An account with this email already exists"


class LastAdmin(Conflict):
    code = "last_admin"
    default_detail = "The last active administrator cannot be demoted, deactivated or deleted"


class ConversationBusy(Conflict):
    code = "conversation_busy"
    default_detail = "An answer is still being generated in this conversation"


class GroupExists(Conflict):
    code = "group_exists"
    default_detail = "A group of that name exists"


class MessageGenerating(Conflict):
    code = "message_generating"
    default_detail = "The answer is still being generated"


class FolderExists(Conflict):
    code = "folder_exists"
    default_detail = "A folder of that name exists"


class TooManyFolders(Conflict):
    code = "too_many_folders"
    default_detail = "Too many folders"


class RegenerateNotLast(Conflict):
    code = "regenerate_not_last"
    default_detail = "Only the last answer can be regenerated"


class RateLimited(TooManyRequests):
    code = "rate_limited"
    default_detail = "Too many messages; try again shortly"


class AnswersInFlight(TooManyRequests):
    code = "answers_in_flight"
    default_detail = "Too many answers are being generated for you; wait for one to finish"


class LoginThrottled(TooManyRequests):
    code = "login_throttled"
    default_detail = "Too many login attempts; try again later"


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer: `{"error": code, "detail": message}`."""

    error: str = Field(
        description="A stable code naming the condition, e.g. `conversation_not_found`"
    )
    detail: str = Field(description="A human-readable message")


class ValidationErrorBody(ErrorBody):
    """A 422: the envelope plus pydantic's list of what is wrong with the payload."""

    errors: list[dict[str, Any]] = Field(default_factory=list)


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated, or invalid credentials or token",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Invalid payload",
    429: "Too many requests; see Retry-After",
    502: "An upstream service failed",
    503: "A dependency is unavailable",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the statuses it can answer besides those every route can (see
    `document_error_envelope`), so the OpenAPI document describes every error a client gets."""
    return {
        status: {
            "model": ValidationErrorBody if status == 422 else ErrorBody,
            "description": _DESCRIPTIONS.get(status, "Error"),
        }
        for status in sorted(set(statuses))
    }


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def document_error_envelope(app: FastAPI) -> None:
    """Make the app's OpenAPI document the envelope its handlers really return.

    FastAPI documents its own 422 shape (`HTTPValidationError`) and nothing for the errors a
    dependency raises. Here every 4xx/5xx response gets `ErrorBody` (422 `ValidationErrorBody`),
    every operation the 400 and 503 any route can answer, every authenticated one 401, and
    every one that takes a body 413 (each service caps request bodies, `body_limit`).
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite_errors(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite_errors(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationErrorBody):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = {int(status) for status in responses if status[0] in "45"}
            statuses |= {400, 503}
            if operation.get("security"):
                statuses.add(401)
            if "requestBody" in operation:
                statuses.add(413)
            for status in sorted(statuses):
                model = ValidationErrorBody if status == 422 else ErrorBody
                response = responses.setdefault(
                    str(status), {"description": _DESCRIPTIONS.get(status, "Error")}
                )
                response["content"] = _ref(model)


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
