"""Which Dify endpoint serves which app mode: opening the stream and stopping it."""

from __future__ import annotations

from typing import Any

from rechat_shared.dify import (
    ChatRequest,
    CompletionRequest,
    DifyApp,
    DifyClient,
    DifyStream,
    FileRef,
    WorkflowRunRequest,
)
from rechat_shared.events import ChatRequested


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
