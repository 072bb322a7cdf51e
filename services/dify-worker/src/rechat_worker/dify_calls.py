"""Which Dify endpoint serves which app mode: opening the stream and stopping it; and what
Dify has only once a message has ended (an agent's stored answer, follow-up questions)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rechat_shared.dify import (
    ChatRequest,
    CompletionRequest,
    DifyApp,
    DifyClient,
    DifyError,
    DifyStream,
    FileRef,
    Message,
    WorkflowRunRequest,
)
from rechat_shared.events import ChatRequested

logger = logging.getLogger(__name__)

AFTER_ANSWER_TIMEOUT = 10.0
"""How long `done` may wait for Dify's after-answer calls (both answer in ~50 ms)."""


def _files(request: ChatRequested) -> list[FileRef]:
    return [FileRef.model_validate(file) for file in request.files]


def _inputs_with_query(request: ChatRequested) -> dict[str, Any]:
    """Workflow and completion apps take the question as their `query` input."""
    inputs = dict(request.inputs)
    inputs.setdefault("query", request.query)
    return inputs


def open_stream(
    dify: DifyClient, app: DifyApp, request: ChatRequested, dify_conversation_id: str | None
) -> DifyStream:
    mode = request.dify.mode
    if mode == "workflow":
        body = WorkflowRunRequest(
            user=request.dify_user, inputs=_inputs_with_query(request), files=_files(request)
        )
        return dify.stream_workflow(app, body)
    if mode == "completion":
        completion = CompletionRequest(
            user=request.dify_user,
            inputs=_inputs_with_query(request),
            query=request.query,
            files=_files(request),
        )
        return dify.stream_completion(app, completion)
    chat = ChatRequest(
        query=request.query,
        user=request.dify_user,
        inputs=request.inputs,
        conversation_id=dify_conversation_id,
        files=_files(request),
        auto_generate_name=False,
    )
    return dify.stream_chat(app, chat)


async def stop_task(dify: DifyClient, app: DifyApp, mode: str, task_id: str, user: str) -> None:
    if mode == "workflow":
        await dify.stop_workflow(app, task_id, user)
    elif mode == "completion":
        await dify.stop_completion(app, task_id, user)
    else:
        await dify.stop_chat(app, task_id, user)


async def stored_message(
    dify: DifyClient, app: DifyApp, conversation_id: str, message_id: str, user: str
) -> Message | None:
    """The message as Dify stored it (None when Dify cannot say): the newest of its
    conversation, which is this one (one generation per conversation at a time)."""
    try:
        async with asyncio.timeout(AFTER_ANSWER_TIMEOUT):
            page = await dify.list_messages(app, conversation_id, user, limit=1)
    except (DifyError, TimeoutError) as exc:
        logger.warning("Dify's stored message unavailable: %s", type(exc).__name__)
        return None
    return next((message for message in page.data if message.id == message_id), None)


async def follow_up_questions(
    dify: DifyClient, app: DifyApp, message_id: str, user: str
) -> list[str]:
    """`GET /messages/{id}/suggested`; no questions when Dify cannot give them."""
    try:
        async with asyncio.timeout(AFTER_ANSWER_TIMEOUT):
            return await dify.suggested_questions(app, message_id, user)
    except (DifyError, TimeoutError) as exc:
        logger.warning("suggested questions unavailable: %s", type(exc).__name__)
        return []
