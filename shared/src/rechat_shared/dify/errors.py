"""Typed failures of Dify calls. None of them ever carries the API key or request headers."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx


class DifyError(Exception):
    """Base of every Dify client failure."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DifyTransportError(DifyError):
    """The connection failed (refused, reset, DNS, TLS) before or while reading."""

    retryable = True


class DifyTimeoutError(DifyError):
    """A connect/read/write timeout of the HTTP layer."""

    retryable = True


class DifyStallError(DifyError):
    """The stream sent only pings (or nothing) for longer than the watchdog allows."""


class DifyDeadlineError(DifyError):
    """The generation exceeded its overall deadline."""


class DifyProtocolError(DifyError):
    """The server answered something that is not Dify's protocol (bad JSON, wrong content type)."""


class DifyStreamIncompleteError(DifyError):
    """The stream ended (EOF) without a terminal event: the answer is incomplete."""


class DifyStreamError(DifyError):
    """An ``error`` event inside the stream (HTTP was already 200)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"


class DifyAPIError(DifyError):
    """A non-2xx HTTP answer; keeps Dify's ``code``, the HTTP ``status`` and ``message``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        params: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.params = params
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"


class DifyBadRequestError(DifyAPIError):
    """400/405/413/415/422: the request was refused (validation, wrong app mode, ...)."""


class DifyAuthError(DifyAPIError):
    """401/403: the API key is missing, invalid, or the app is disabled."""


class DifyNotFoundError(DifyAPIError):
    """404: unknown or foreign conversation, message, route."""


class DifyRateLimitError(DifyAPIError):
    """Back-pressure: 429, or 400 with a "Too many requests..." message (retry later)."""

    retryable = True


class DifyServerError(DifyAPIError):
    """5xx, including a proxy's 502/503/504 HTML page."""

    retryable = True


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _excerpt(text: str) -> str:
    return _SPACE.sub(" ", _TAG.sub(" ", text)).strip()[:200]


def error_from_response(response: httpx.Response, body: bytes) -> DifyAPIError:
    """Map a non-2xx answer (JSON envelope, HTML page or anything) to a typed error."""
    status = response.status_code
    code, message, params = f"http_{status}", response.reason_phrase or "", None
    payload: Any = None
    if "json" in response.headers.get("content-type", ""):
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
    if isinstance(payload, dict):
        code = str(payload.get("code") or code)
        message = str(payload.get("message") or message)
        params = payload.get("params") if isinstance(payload.get("params"), str) else None
    elif body:
        message = _excerpt(body.decode("utf-8", "replace")) or message
    return _classify(status, code, message, params, _retry_after(response))


def _classify(
    status: int, code: str, message: str, params: str | None, retry_after: float | None
) -> DifyAPIError:
    kind: type[DifyAPIError] = DifyBadRequestError
    if (
        status == 429
        or code in {"too_many_requests", "rate_limit_error"}
        or (status == 400 and message.startswith("Too many requests"))
    ):
        kind = DifyRateLimitError
    elif status in (401, 403):
        kind = DifyAuthError
    elif status == 404:
        kind = DifyNotFoundError
    elif status >= 500:
        kind = DifyServerError
    return kind(status, code, message, params, retry_after)
