"""The error envelope as an OpenAPI response, so every documented status has a schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated, or invalid credentials or token",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid payload",
    429: "Too many attempts; see Retry-After",
    503: "A dependency is unavailable",
}


class ErrorBody(BaseModel):
    """`{"error": code, "detail": message}`; validation errors add pydantic's `errors`."""

    model_config = ConfigDict(extra="allow")

    error: str
    detail: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given statuses (and 400, 422, 503) with the envelope."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        for status in sorted({*statuses, 400, 422, 503})
    }
