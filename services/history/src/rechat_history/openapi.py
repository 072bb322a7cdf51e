"""The error envelope as an OpenAPI response, so every documented error status has its schema
(FastAPI would otherwise document 422 with its own shape, which we do not send)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

_DESCRIPTIONS = {
    400: "Malformed request (for example an invalid cursor or date range)",
    401: "Not authenticated (no, invalid, expired or revoked token; no service token)",
    403: "Forbidden (pending account, or administrators only)",
    404: "Not found, or not yours",
    422: "Invalid parameters or payload",
    503: "A dependency is unavailable",
}


class ErrorBody(BaseModel):
    """`{"error": code, "detail": message}`; validation errors add pydantic's `errors`."""

    model_config = ConfigDict(extra="allow")

    error: str
    detail: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router: these statuses (and 422, 503) with the error envelope."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        for status in sorted({*statuses, 422, 503})
    }
