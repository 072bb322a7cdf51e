"""Generation routes: chat-messages, completion-messages, workflows/run and the stop routes."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from rechat_dify_emulator import validation
from rechat_dify_emulator.config import AppConfig
from rechat_dify_emulator.flows_chat import AgentGeneration, ChatGeneration
from rechat_dify_emulator.flows_workflow import WorkflowGeneration
from rechat_dify_emulator.generation import PROVIDER_ERROR_BLOCKING, Generation
from rechat_dify_emulator.http import (
    HTML_PAGES,
    DifyHTTPError,
    argument_error,
    authenticate,
    coded_error,
    invalid,
    json_body,
    json_response,
    require_user,
)
from rechat_dify_emulator.script import Script, parse_script
from rechat_dify_emulator.state import EmulatorState
from rechat_dify_emulator.store import Conversation, StoredMessage, WorkflowRun, new_id, now
from rechat_dify_emulator.streaming import GenerationStream

router = APIRouter()
CHAT_MODES = ("chat", "agent-chat", "advanced-chat")
FLOWS: dict[str, type[Generation]] = {
    "agent-chat": AgentGeneration,
    "advanced-chat": WorkflowGeneration,
    "workflow": WorkflowGeneration,
}


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


@router.post("/v1/chat-messages")
async def chat_messages(request: Request) -> Response:
    """Send a chat message (chat, agent-chat, advanced-chat apps)."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    user = require_user(body.get("user"))
    if app.mode not in CHAT_MODES:
        raise coded_error("not_chat_app")
    profile, model = state.profile, "ChatRequestPayload"
    if "query" not in body or body["query"] is None:
        raise argument_error(profile, "query", "Missing required parameter in the JSON body", model)
    inputs = validation.required_inputs(profile, body, model)
    mode = validation.response_mode(profile, body, model)
    conversation_id = validation.conversation_id(profile, body)
    query = str(body["query"]).replace("\x00", "")
    script = parse_script(state.scripted_query(app, query), state.config.token_delay)
    pre = _pre_stream_fault(script)
    if pre is not None:
        return pre
    # Dify's order: the app's rate limit, then the generator's checks (agent: blocking first)
    validation.check_concurrency(app, state.store, state.config.rate_limit_status)
    if app.mode == "agent-chat" and mode == "blocking":
        raise invalid("Agent Chat App does not support blocking mode")
    if not query:
        raise invalid("query is required")
    conversation = None
    if conversation_id is not None:
        conversation = state.store.conversation(app, user, conversation_id)
        if conversation is None:
            raise DifyHTTPError(404, "not_found", "Conversation Not Exists.")
    files = await validation.resolve_files(app, state, body.get("files"))
    if conversation is not None and profile.inputs_from_conversation:
        form_inputs = conversation.inputs  # 0.15: a later turn's inputs are not even validated
    else:
        form_inputs = validation.validate_inputs(app, inputs)
    if conversation is None:
        conversation = _new_conversation(state, app, user, query, form_inputs)
    message = _new_message(state, app, user, conversation.id, query, form_inputs, files)
    conversation.message_ids.append(message.id)
    generation = _generation(state, app, user, script, query, form_inputs, message)
    generation.conversation = conversation
    generation.auto_name = body.get("auto_generate_name", True) is not False
    if app.mode == "advanced-chat":
        generation.run_record = _new_run(state, app, user, form_inputs)
    return await _respond(state, generation, mode)


@router.post("/v1/completion-messages")
async def completion_messages(request: Request) -> Response:
    """Run a completion (text generator) app."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    user = require_user(body.get("user"))
    if app.mode != "completion":
        raise coded_error("app_unavailable")
    profile, model = state.profile, "CompletionRequestPayload"
    inputs = validation.required_inputs(profile, body, model)
    mode = validation.response_mode(profile, body, model)
    query = str(body.get("query") or inputs.get("query") or "")
    script = parse_script(state.scripted_query(app, query), state.config.token_delay)
    pre = _pre_stream_fault(script)
    if pre is not None:
        return pre
    files = await validation.resolve_files(app, state, body.get("files"))
    form_inputs = validation.validate_inputs(app, inputs)
    validation.check_concurrency(app, state.store, state.config.rate_limit_status)
    message = _new_message(state, app, user, None, query, form_inputs, files)
    generation = _generation(state, app, user, script, query, form_inputs, message)
    return await _respond(state, generation, mode)


@router.post("/v1/workflows/run")
async def workflows_run(request: Request) -> Response:
    """Run a workflow app."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    user = require_user(body.get("user"))
    if app.mode != "workflow":
        raise coded_error("not_workflow_app")
    profile, model = state.profile, "WorkflowRunPayload"
    inputs = validation.required_inputs(profile, body, model)
    mode = validation.response_mode(profile, body, model)
    query = str(inputs.get("query") or next(iter(inputs.values()), "") or "")
    script = parse_script(state.scripted_query(app, query), state.config.token_delay)
    pre = _pre_stream_fault(script)
    if pre is not None:
        return pre
    form_inputs = validation.validate_inputs(app, inputs)
    validation.check_concurrency(app, state.store, state.config.rate_limit_status)
    generation = _generation(state, app, user, script, query, form_inputs, None)
    generation.run_record = _new_run(state, app, user, form_inputs)
    return await _respond(state, generation, mode)


@router.post("/v1/chat-messages/{task_id}/stop")
async def stop_chat(request: Request, task_id: str) -> Response:
    """Stop a chat generation (always ``success``)."""
    return await _stop(request, task_id, CHAT_MODES, "not_chat_app", check_user=True)


@router.post("/v1/completion-messages/{task_id}/stop")
async def stop_completion(request: Request, task_id: str) -> Response:
    """Stop a completion (always ``success``)."""
    return await _stop(request, task_id, ("completion",), "app_unavailable", check_user=True)


@router.post("/v1/workflows/tasks/{task_id}/stop")
async def stop_workflow(request: Request, task_id: str) -> Response:
    """Stop a workflow run (the user is not checked against the run's owner)."""
    return await _stop(request, task_id, ("workflow",), "not_workflow_app", check_user=False)


async def _stop(
    request: Request, task_id: str, modes: tuple[str, ...], wrong_mode: str, *, check_user: bool
) -> Response:
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    user = require_user(body.get("user"))
    if app.mode not in modes:
        raise coded_error(wrong_mode)
    state.store.stop_task(task_id, app, user if check_user else None)
    return json_response(state.profile, {"result": "success"})


def _pre_stream_fault(script: Script) -> Response | None:
    """``[[error:CODE]]`` and ``[[html:STATUS]]``: fail before any stream starts."""
    if script.html_status is not None:
        page = HTML_PAGES.get(script.html_status, f"<html><body>{script.html_status}</body></html>")
        return HTMLResponse(page, status_code=script.html_status)
    if script.error_code is not None:
        raise coded_error(script.error_code)
    return None


def _new_conversation(
    state: EmulatorState, app: AppConfig, user: str, query: str, inputs: dict[str, Any]
) -> Conversation:
    initial = state.profile.conversation_initial_name
    name = initial or (query[:20] + "…" if len(query) > 20 else query)
    created = now()
    conversation = Conversation(
        id=new_id(),
        app_key=app.key,
        user=user,
        name=name,
        inputs=inputs,
        introduction=app.opening_statement or "",
        created_at=created,
        updated_at=created,
        first_query=query,
    )
    state.store.end_user(app.key, user)
    state.store.conversations[conversation.id] = conversation
    return conversation


def _new_message(
    state: EmulatorState,
    app: AppConfig,
    user: str,
    conversation_id: str | None,
    query: str,
    inputs: dict[str, Any],
    files: list[dict[str, Any]],
) -> StoredMessage:
    message = StoredMessage(
        id=new_id(),
        app_key=app.key,
        user=user,
        conversation_id=conversation_id,
        query=query,
        inputs=inputs,
        created_at=now(),
        files=files,
    )
    state.store.messages[message.id] = message
    return message


def _new_run(
    state: EmulatorState, app: AppConfig, user: str, inputs: dict[str, Any]
) -> WorkflowRun:
    run = WorkflowRun(
        id=new_id(),
        app_key=app.key,
        workflow_id=state.store.workflow_id(app.key),
        user=user,
        inputs=inputs,
        created_at=now(),
    )
    state.store.workflow_runs[run.id] = run
    return run


def _generation(
    state: EmulatorState,
    app: AppConfig,
    user: str,
    script: Script,
    query: str,
    inputs: dict[str, Any],
    message: StoredMessage | None,
) -> Generation:
    flow = FLOWS.get(app.mode, ChatGeneration)
    return flow(
        app=app,
        config=state.config,
        profile=state.profile,
        store=state.store,
        stats=state.stats,
        clock=state.clock,
        task=state.store.start_task(app, user),
        user=user,
        script=script,
        query=query,
        inputs=inputs,
        message=message,
    )


async def _respond(state: EmulatorState, generation: Generation, mode: str) -> Response:
    if mode == "streaming":
        # frees the task slot even when the client left before the body started
        return GenerationStream(generation, partial(state.store.finish_task, generation.task))
    await generation.run()
    return _blocking_answer(state, generation)


def _blocking_answer(state: EmulatorState, generation: Generation) -> Response:
    profile = state.profile
    if generation.app.mode == "workflow":
        run = generation.run_record
        assert run is not None
        data = {
            "id": run.id,
            "workflow_id": run.workflow_id,
            "status": run.status,
            "outputs": run.outputs,
            "error": run.error,
            "elapsed_time": run.elapsed_time,
            "total_tokens": run.total_tokens,
            "total_steps": run.total_steps,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
        }
        body = {"task_id": generation.task.id, "workflow_run_id": run.id, "data": data}
        return json_response(profile, body, generation=True)
    if generation.outcome in ("failed", "incomplete"):
        raise DifyHTTPError(
            400,
            "completion_request_error",
            PROVIDER_ERROR_BLOCKING
            if generation.script.midstream_error
            else generation.error_message or "Completion request failed.",
        )
    message = generation.message
    assert message is not None
    usage = generation._usage()
    metadata: dict[str, Any]
    if profile.full_metadata:
        metadata = {"annotation_reply": None, "retriever_resources": message.retriever_resources}
        metadata["usage"] = usage
    else:
        metadata = {"usage": usage}
    answer: dict[str, Any] = {
        "event": "message",
        "task_id": generation.task.id,
        "id": message.id,
        "message_id": message.id,
    }
    if generation.app.mode != "completion":
        answer["conversation_id"] = message.conversation_id
    answer.update(
        mode=generation.app.mode,
        answer=generation.answer,
        metadata=metadata,
        created_at=message.created_at,
    )
    return json_response(profile, answer, generation=True)
