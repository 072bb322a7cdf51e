"""Why a generation failed, as the stable `{code, message}` clients and history see."""

from __future__ import annotations

from dataclasses import dataclass

from rechat_shared.dify import (
    DifyAPIError,
    DifyAuthError,
    DifyDeadlineError,
    DifyError,
    DifyRateLimitError,
    DifyStallError,
    DifyStreamError,
    DifyStreamIncompleteError,
    DifyTimeoutError,
    DifyTransportError,
)
from rechat_worker.mapping import WorkflowFailed


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


def describe_failure(exc: Exception) -> Failure:
    """A clear code and message for whatever ended the generation."""
    if isinstance(exc, WorkflowFailed):
        return Failure("workflow_failed", exc.message)
    if isinstance(exc, DifyStreamError):
        return Failure(f"dify_{exc.code}", exc.message or "Dify reported an error")
    if isinstance(exc, DifyStallError):
        return Failure("dify_stalled", f"Dify stopped sending the answer ({exc.message})")
    if isinstance(exc, DifyDeadlineError):
        return Failure("dify_deadline", exc.message)
    if isinstance(exc, DifyStreamIncompleteError):
        return Failure("dify_incomplete", f"The answer was cut off: {exc.message}")
    if isinstance(exc, DifyAuthError):
        return Failure("dify_auth", f"Dify refused the app's API key: {exc.message}")
    if isinstance(exc, DifyRateLimitError):
        return Failure("dify_rate_limited", f"Dify is busy, try again shortly: {exc.message}")
    if isinstance(exc, DifyAPIError):
        return Failure(f"dify_{exc.code}", exc.message or f"Dify answered {exc.status}")
    if isinstance(exc, DifyTimeoutError | DifyTransportError):
        return Failure("dify_unavailable", f"Dify is unreachable: {exc.message}")
    if isinstance(exc, DifyError):
        return Failure("dify_error", exc.message)
    return Failure("internal_error", "The answer could not be generated")
