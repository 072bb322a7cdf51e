"""An answer whose replay log expired, rebuilt as stream events from history's stored message."""

from __future__ import annotations

from typing import Any

from rechat_shared.events import StreamEvent


def final_events(stored: dict[str, Any] | None, *, after: int) -> list[StreamEvent]:
    """`replace` with the whole answer, then `done` or `error`; [] while still pending."""
    if stored is None or stored.get("status") not in ("done", "stopped", "failed"):
        return []
    seq = after + 1
    events = [StreamEvent(seq=seq, event="replace", data={"text": stored.get("content") or ""})]
    if stored["status"] == "failed":
        error = stored.get("error") or {}
        data = {
            "code": error.get("code", "generation_failed"),
            "message": error.get("message", "The answer failed"),
        }
        events.append(StreamEvent(seq=seq + 1, event="error", data=data))
    else:
        data = {
            "status": stored["status"],
            "usage": stored.get("usage"),
            "citations": stored.get("citations") or [],
            "suggested_questions": [],
        }
        events.append(StreamEvent(seq=seq + 1, event="done", data=data))
    return events
