"""An answer rebuilt from its stream log: for a redelivered request whose stream had already
finished (the worker died after `done`, before its completion event was confirmed)."""

from __future__ import annotations

import asyncio

from rechat_shared.events import StreamEvent, Usage
from rechat_shared.streams import StreamHub
from rechat_worker.failures import Failure
from rechat_worker.generation import Outcome
from rechat_worker.mapping import Answer

REPLAY_TIMEOUT = 10.0


def fold(outcome: Outcome, event: StreamEvent) -> None:
    """Apply one logged event to the outcome being rebuilt."""
    answer, data = outcome.answer, event.data
    if event.event == "delta":
        answer.text += str(data.get("text", ""))
    elif event.event == "replace":
        answer.text = str(data.get("text", ""))
    elif event.event == "restart":
        outcome.answer = Answer()
    elif event.event == "thought":
        answer.thoughts[str(data.get("id"))] = data
    elif event.event == "node":
        answer.nodes[str(data.get("id"))] = data
    elif event.event == "file":
        answer.files.append(data)
    elif event.event == "done":
        outcome.status = "stopped" if data.get("status") == "stopped" else "done"
        answer.citations = list(data.get("citations") or [])
        if data.get("usage"):
            answer.usage = Usage.model_validate(data["usage"])
    elif event.event == "error":
        outcome.status = "failed"
        outcome.failure = Failure(str(data.get("code")), str(data.get("message")))


async def rebuild(hub: StreamHub, message_id: str) -> Outcome:
    outcome = Outcome(status="failed", failure=Failure("incomplete", "The answer was cut off"))
    async with asyncio.timeout(REPLAY_TIMEOUT), hub.attach(message_id, None) as events:
        async for event in events:
            fold(outcome, event)
            if event.is_terminal:
                break
    return outcome
