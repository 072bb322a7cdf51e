"""Routes for my conversations: list/search, get, edit, delete, archive, export."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.responses import Response

from rechat_history.conversations import clone, export, imports, service
from rechat_history.conversations.dependencies import OwnedConversation
from rechat_history.conversations.mirror import MirrorDep, renamed
from rechat_history.conversations.schemas import (
    Conversation,
    ConversationFilters,
    ConversationUpdate,
    DeleteAllConversations,
    ExportFormat,
)
from rechat_history.pagination import MAX_CURSOR_LENGTH, Page
from rechat_history.shares import service as shares
from rechat_history.shares.schemas import Share
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(
    prefix="/api/conversations",
    tags=["conversations"],
    responses=error_responses(400, 401, 403, 404),
)

JSON_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "A JSON file"}
}
EXPORT_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/json": {}, "text/markdown": {}},
        "description": "A JSON or Markdown file",
    }
}


def _attachment(body: str, media_type: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("", response_model=Page[Conversation])
async def list_conversations(
    principal: ActiveUser,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    app_id: Annotated[str | None, Query(max_length=64)] = None,
    pinned: bool | None = None,
    archived: bool | None = None,
    folder_id: Annotated[str | None, Query(max_length=64)] = None,
    in_folder: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[Conversation]:
    """My conversations, most recently active first; `q` searches, `folder_id` filters."""
    filters = ConversationFilters(
        app_id=app_id,
        pinned=pinned,
        archived=archived,
        folder_id=folder_id,
        in_folder=in_folder,
        q=q,
    )
    return await service.list_page(session, principal.user_id, filters, cursor=cursor, limit=limit)


@router.post("/archive-all", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def archive_all(principal: ActiveUser, session: SessionDep) -> None:
    """Archive every one of my conversations."""
    await service.archive_all(session, principal.user_id)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_all(
    body: DeleteAllConversations,
    principal: ActiveUser,
    session: SessionDep,
    mirror: MirrorDep,
    background: BackgroundTasks,
) -> None:
    """Delete every one of my conversations (the body must say `confirm: true`); Dify's too."""
    events = await service.delete_all(session, principal.user_id, mirror, confirm=body.confirm)
    background.add_task(mirror.announce, events)


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An Open WebUI export (a list of chats) or a ReChat export, as it is",
        "content": {"application/json": {"schema": {}}},
    }
}


@router.post(
    "/import",
    response_model=imports.ImportResult,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=IMPORT_BODY,
    responses=error_responses(413),
)
async def import_conversations(
    request: Request,
    principal: ActiveUser,
    session: SessionDep,
    app_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> imports.ImportResult:
    """Import chats from an Open WebUI or ReChat export file as past turns; their follow-ups
    go to `app_id` as a new Dify conversation. 400 `import_rejected` says what is wrong with a
    file that is not one; 413 past HISTORY_MAX_IMPORT_BYTES."""
    chats = imports.parse(await request.body())
    return await imports.store(session, principal.user_id, app_id, chats)


@router.get("/export", response_class=Response, responses=JSON_FILE)
async def export_all(principal: ActiveUser, session: SessionDep) -> Response:
    """All my conversations with their messages as one JSON file."""
    document = await export.all_mine(session, principal.user_id)
    body = json.dumps(document.as_json(), ensure_ascii=False, indent=2)
    return _attachment(body, "application/json", "conversations.json")


@router.get("/{conversation_id}", response_model=Conversation)
async def get_conversation(conversation: OwnedConversation) -> Conversation:
    """One of my conversations."""
    return Conversation.from_row(conversation)


@router.patch("/{conversation_id}", response_model=Conversation)
async def update_conversation(
    changes: ConversationUpdate,
    conversation: OwnedConversation,
    session: SessionDep,
    mirror: MirrorDep,
    background: BackgroundTasks,
) -> Conversation:
    """Rename (Dify's conversation too), pin, archive, move to a folder or mark as unread one of
    my conversations."""
    updated = await service.update(session, conversation, changes)
    if changes.title is not None:
        background.add_task(mirror.announce, [renamed(conversation)])
    return updated


@router.delete(
    "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def delete_conversation(
    conversation: OwnedConversation,
    session: SessionDep,
    mirror: MirrorDep,
    background: BackgroundTasks,
) -> None:
    """Delete one of my conversations and its messages, here and in Dify."""
    events = await service.delete(session, conversation, mirror)
    background.add_task(mirror.announce, events)


@router.get("/{conversation_id}/export", response_class=Response, responses=EXPORT_FILES)
async def export_conversation(
    conversation: OwnedConversation,
    session: SessionDep,
    format: ExportFormat = "json",
) -> Response:
    """One of my conversations as a JSON or Markdown file."""
    document = await export.one(session, conversation)
    if format == "markdown":
        name = export.filename(conversation.id, "md")
        return _attachment(export.markdown(document), "text/markdown; charset=utf-8", name)
    body = json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return _attachment(body, "application/json", export.filename(conversation.id, "json"))


@router.post(
    "/{conversation_id}/clone", response_model=Conversation, status_code=status.HTTP_201_CREATED
)
async def clone_conversation(conversation: OwnedConversation, session: SessionDep) -> Conversation:
    """Copy one of my conversations; the copy continues as a new Dify conversation."""
    return await clone.clone(session, conversation)


@router.post("/{conversation_id}/share", response_model=Share)
async def share_conversation(conversation: OwnedConversation, session: SessionDep) -> Share:
    """Share a read-only snapshot of one of my conversations at a public link."""
    return await shares.share(session, conversation)
