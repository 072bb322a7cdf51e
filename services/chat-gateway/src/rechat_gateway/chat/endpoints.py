"""Routes of the chat: send (SSE), resume, stop, rate and regenerate an answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status

from rechat_gateway.chat.dependencies import ChatServiceDep, LastEventId, check_body_size
from rechat_gateway.chat.schemas import ChatMessageCreate, FeedbackCreate, StopResult
from rechat_gateway.chat.sse import EventStreamResponse
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(
    prefix="/api/chat", tags=["chat"], responses=error_responses(401, 403, 404, 409, 413, 429)
)

EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer as Server-Sent Events (start, delta, …, done or error).",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "/messages",
    response_class=EventStreamResponse,
    responses=EVENT_STREAM,
    status_code=status.HTTP_200_OK,
    dependencies=[Depends(check_body_size)],
)
async def send_message(
    principal: ActiveUser, body: ChatMessageCreate, service: ChatServiceDep
) -> EventStreamResponse:
    """Ask the app; the response is the answer's event stream, `start` first."""
    return await service.send(principal, body)


@router.get(
    "/messages/{message_id}/stream",
    response_class=EventStreamResponse,
    responses=EVENT_STREAM,
    status_code=status.HTTP_200_OK,
)
async def resume_stream(
    principal: ActiveUser,
    message_id: str,
    last_event: LastEventId,
    service: ChatServiceDep,
) -> EventStreamResponse:
    """Resume an answer's stream after `Last-Event-ID` (the whole stream without it)."""
    return await service.resume(principal, message_id, last_event)


@router.post(
    "/messages/{message_id}/stop",
    response_model=StopResult,
    status_code=status.HTTP_202_ACCEPTED,
)
async def stop_message(
    principal: ActiveUser, message_id: str, service: ChatServiceDep
) -> StopResult:
    """Ask the worker generating this answer to stop it."""
    await service.stop(principal, message_id)
    return StopResult()


@router.post("/messages/{message_id}/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def rate_message(
    principal: ActiveUser, message_id: str, body: FeedbackCreate, service: ChatServiceDep
) -> None:
    """Rate an answer like/dislike (null clears the rating)."""
    await service.feedback(principal, message_id, body)


@router.post(
    "/messages/{message_id}/regenerate",
    response_class=EventStreamResponse,
    responses=EVENT_STREAM,
    status_code=status.HTTP_200_OK,
)
async def regenerate_message(
    principal: ActiveUser, message_id: str, service: ChatServiceDep
) -> EventStreamResponse:
    """Ask the same question again as a new turn; the stream's answer is a sibling."""
    return await service.regenerate(principal, message_id)
