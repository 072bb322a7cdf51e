"""The worker's settings: shared names (`REDIS_URL`...) overridable with `WORKER_`."""

from __future__ import annotations

from pydantic import Field

from rechat_shared.dify import DifyTimeouts
from rechat_shared.settings import RabbitSettings

PREFIX = "WORKER_"


class WorkerSettings(RabbitSettings):
    """Everything `rechat-worker` reads from the environment."""

    override_prefix = PREFIX
    default_port = 8004

    concurrency: int = Field(default=64, ge=1, le=10_000, validation_alias="WORKER_CONCURRENCY")
    fair_buffer: int = Field(default=16, ge=0, validation_alias="WORKER_FAIR_BUFFER")
    """Requests taken from the broker beyond `concurrency`: they wait for a slot, served
    round-robin by user (rechat_worker.scheduling)."""
    feedback_concurrency: int = Field(
        default=4, ge=1, validation_alias="WORKER_FEEDBACK_CONCURRENCY"
    )
    coalesce_ms: float = Field(default=100.0, ge=0, validation_alias="WORKER_COALESCE_MS")
    """Deltas arriving within this window after one was sent are merged (the first is not
    delayed). 100 ms is ten updates a second, still smooth to the eye; at a typical 30
    tokens/s it carries about three tokens per stream event, a third of the hub, gateway and
    browser work of one event per token."""
    coalesce_max_chars: int = Field(
        default=2000, ge=1, validation_alias="WORKER_COALESCE_MAX_CHARS"
    )
    stall_seconds: float = Field(default=120.0, gt=0, validation_alias="WORKER_DIFY_STALL_SECONDS")
    deadline_seconds: float = Field(
        default=600.0, gt=0, validation_alias="WORKER_DIFY_DEADLINE_SECONDS"
    )
    stop_grace_seconds: float = Field(
        default=5.0, ge=0, validation_alias="WORKER_STOP_GRACE_SECONDS"
    )
    """After a stop, how long to wait for Dify's own end of the stream (usage) before closing."""
    shutdown_grace_seconds: float = Field(
        default=20.0, ge=0, validation_alias="WORKER_SHUTDOWN_GRACE_SECONDS"
    )
    redis_patience_seconds: float = Field(
        default=60.0, gt=0, validation_alias="WORKER_REDIS_PATIENCE_SECONDS"
    )
    """How long an answer waits for an unavailable Redis (its events, the conversation's
    release) before the request is given back to the broker; Dify streams on meanwhile."""
    auto_title: bool = Field(default=True, validation_alias="WORKER_AUTO_TITLE")
    record_seconds: int = Field(default=7 * 24 * 3600, validation_alias="WORKER_RECORD_SECONDS")

    def dify_timeouts(self) -> DifyTimeouts:
        return DifyTimeouts(
            read=max(45.0, self.stall_seconds + 5),
            stall=self.stall_seconds,
            deadline=self.deadline_seconds,
        )
