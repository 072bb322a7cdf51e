"""Conversation and message routes: list, rename, delete, messages, feedback, suggestions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from rechat_dify_emulator.config import AppConfig
from rechat_dify_emulator.files import listed_file
from rechat_dify_emulator.http import (
    DifyHTTPError,
    argument_error,
    authenticate,
    coded_error,
    invalid,
    json_body,
    json_response,
    require_user,
    server_url,
)
from rechat_dify_emulator.state import EmulatorState
from rechat_dify_emulator.store import Conversation, StoredMessage

router = APIRouter()
CHAT_MODES = ("chat", "agent-chat", "advanced-chat")
SORTS = ("created_at", "-created_at", "updated_at", "-updated_at")
SUGGESTIONS = ["What is Dify?", "How do I stop?", "Show me markdown"]
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _chat_app(request: Request, state: EmulatorState) -> AppConfig:
    app = authenticate(request, state.apps)
    if app.mode not in CHAT_MODES:
        raise coded_error("not_chat_app")
    return app


def _limit(state: EmulatorState, raw: str | None, model: str) -> int:
    try:
        limit = int(raw) if raw is not None else 20
    except ValueError:
        raise argument_error(state.profile, "limit", "invalid literal for int()", model) from None
    if not 1 <= limit <= 100:
        raise argument_error(state.profile, "limit", f"{limit} is out of range", model)
    return limit


def conversation_body(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "name": conversation.name,
        "inputs": conversation.inputs,
        "status": "normal",
        "introduction": conversation.introduction,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


@router.get("/v1/conversations")
async def list_conversations(request: Request) -> Response:
    """List the user's conversations (keyset paging by ``last_id``)."""
    state = _state(request)
    app = _chat_app(request, state)
    params = request.query_params
    limit = _limit(state, params.get("limit"), "ConversationListQuery")
    sort_by = params.get("sort_by", "-updated_at")
    if sort_by not in SORTS:
        raise argument_error(state.profile, "sort_by", f"{sort_by} is not a valid choice", "Q")
    user = params.get("user")
    items = state.store.user_conversations(app, user) if user else []
    key = sort_by.lstrip("-")
    descending = sort_by.startswith("-")
    order = {conversation.id: index for index, conversation in enumerate(items)}
    items.sort(
        key=lambda c: (getattr(c, key), order[c.id]),
        reverse=descending,
    )
    last_id = params.get("last_id")
    if last_id:
        ids = [conversation.id for conversation in items]
        if last_id not in ids:
            raise DifyHTTPError(404, "not_found", "Last Conversation Not Exists.")
        items = items[ids.index(last_id) + 1 :]
    page = items[:limit]
    body = {
        "limit": limit,
        "has_more": len(items) > limit,
        "data": [conversation_body(conversation) for conversation in page],
    }
    return json_response(state.profile, body)


@router.post("/v1/conversations/{conversation_id}/name")
async def rename_conversation(request: Request, conversation_id: str) -> Response:
    """Rename a conversation, or generate its title (``auto_generate``)."""
    state = _state(request)
    app = _chat_app(request, state)
    body = await json_body(request)
    user = str(body.get("user") or "DEFAULT-USER")
    conversation = state.store.conversation(app, user, conversation_id)
    if conversation is None:
        raise DifyHTTPError(404, "not_found", "Conversation Not Exists.")
    if body.get("auto_generate"):
        if not conversation.message_ids:
            raise invalid("")
        conversation.name = "Title: " + " ".join(conversation.first_query.split()[:4])
    else:
        name = body.get("name")
        if name is None and state.profile.rename_without_name_crashes:
            # 0.15 stores the missing name: the database refuses it, nothing changes
            raise DifyHTTPError(500, "unknown", "Internal Server Error")
        if not isinstance(name, str) or (not name.strip() and not state.profile.reqparse_errors):
            raise invalid("Conversation name is required when auto_generate is false")
        conversation.name = name
    return json_response(state.profile, conversation_body(conversation))


@router.delete("/v1/conversations/{conversation_id}")
async def delete_conversation(request: Request, conversation_id: str) -> Response:
    """Delete a conversation (200 ``success`` in 0.15, 204 today)."""
    state = _state(request)
    app = _chat_app(request, state)
    body = await json_body(request)
    user = str(body.get("user") or "DEFAULT-USER")
    conversation = state.store.conversation(app, user, conversation_id)
    if conversation is None:
        if state.profile.name == "0.15" or state.config.delete_unknown_status == 404:
            raise DifyHTTPError(404, "not_found", "Conversation Not Exists.")
        return Response(status_code=204)
    del state.store.conversations[conversation_id]
    if state.profile.delete_status == 204:
        return Response(status_code=204)
    return json_response(state.profile, {"result": "success"})


def message_body(state: EmulatorState, message: StoredMessage, base: str) -> dict[str, Any]:
    feedback = {"rating": message.feedback["rating"]} if message.feedback else None
    files = [listed_file(state.profile.name, base, row) for row in message.files]
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "parent_message_id": NIL_UUID,
        "inputs": message.inputs,
        "query": message.query,
        "answer": message.answer,
        "message_files": files,
        "feedback": feedback,
        "retriever_resources": message.retriever_resources,
        "created_at": message.created_at,
        "agent_thoughts": message.agent_thoughts,
        "status": message.status,
        "error": message.error,
    }


@router.get("/v1/messages")
async def list_messages(request: Request) -> Response:
    """Messages of a conversation: the newest page, oldest first inside it."""
    state = _state(request)
    app = _chat_app(request, state)
    params = request.query_params
    conversation_id = params.get("conversation_id")
    if conversation_id is None:
        raise argument_error(
            state.profile,
            "conversation_id",
            "Missing required parameter in the query string",
            "MessageListQuery",
        )
    limit = _limit(state, params.get("limit"), "MessageListQuery")
    if not conversation_id:
        return json_response(state.profile, {"limit": limit, "has_more": False, "data": []})
    user = params.get("user") or "DEFAULT-USER"
    conversation = state.store.conversation(app, user, conversation_id)
    if conversation is None:
        raise DifyHTTPError(404, "not_found", "Conversation Not Exists.")
    ids = list(conversation.message_ids)
    first_id = params.get("first_id")
    if first_id:
        if first_id not in ids:
            raise DifyHTTPError(404, "not_found", "First Message Not Exists.")
        ids = ids[: ids.index(first_id)]
    page = ids[-limit:]
    server = server_url(request)
    body = {
        "limit": limit,
        "has_more": len(ids) > limit,
        "data": [message_body(state, state.store.messages[mid], server) for mid in page],
    }
    return json_response(state.profile, body)


@router.post("/v1/messages/{message_id}/feedbacks")
async def message_feedback(request: Request, message_id: str) -> Response:
    """Like, dislike or clear (``null``) the rating of a message."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    user = require_user(body.get("user"))
    rating = body.get("rating")
    if rating not in (None, "like", "dislike"):
        raise argument_error(state.profile, "rating", f"{rating} is not a valid choice", "Q")
    message = state.store.message(app, user, message_id)
    if message is None:
        raise DifyHTTPError(404, "not_found", "Message Not Exists.")
    if rating is None:
        if message.feedback is None:
            raise invalid("rating cannot be None when feedback not exists")
        message.feedback = None
    else:
        message.feedback = {"rating": rating, "content": body.get("content")}
    return json_response(state.profile, {"result": "success"})


@router.get("/v1/messages/{message_id}/suggested")
async def suggested_questions(request: Request, message_id: str) -> Response:
    """Three suggested follow-up questions."""
    state = _state(request)
    app = _chat_app(request, state)
    user = require_user(request.query_params.get("user"))
    message = state.store.message(app, user, message_id)
    if message is None:
        raise DifyHTTPError(404, "not_found", "Message Not Exists.")
    if not app.suggested_questions_after_answer:
        raise DifyHTTPError(400, "bad_request", "Suggested Questions Is Disabled.")
    return json_response(state.profile, {"result": "success", "data": SUGGESTIONS})
