"""Route of file uploads (stored by Dify, referenced by id in a message)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, UploadFile, status
from fastapi.responses import Response

from rechat_gateway.apps.dependencies import AppServiceDep
from rechat_gateway.chat.schemas import ID_PATTERN
from rechat_gateway.clients import ClientsDep
from rechat_gateway.files import service
from rechat_gateway.files.schemas import UploadedFile
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(
    prefix="/api/files", tags=["files"], responses=error_responses(401, 403, 404, 413, 502)
)


@router.post("", response_model=UploadedFile, status_code=status.HTTP_201_CREATED)
async def upload_file(
    principal: ActiveUser,
    file: UploadFile,
    app_id: Annotated[str, Form(min_length=1, max_length=36)],
    apps: AppServiceDep,
    clients: ClientsDep,
) -> UploadedFile:
    """Upload a file to the app's Dify; use the returned id in a message's `files`."""
    limit = clients.settings.max_upload_bytes
    content = await file.read(limit + 1)
    return await service.upload(
        apps,
        principal,
        app_id,
        file.filename or "file",
        content,
        file.content_type or "application/octet-stream",
        limit,
    )


IMAGE: dict[int | str, dict[str, object]] = {
    200: {"content": {"image/*": {}}, "description": "The image, as Dify stored it"}
}


@router.get("/{file_id}/preview", response_class=Response, responses=IMAGE)
async def preview_file(
    principal: ActiveUser,
    file_id: Annotated[str, Path(pattern=ID_PATTERN)],
    conversation_id: Annotated[str, Query(pattern=ID_PATTERN)],
    apps: AppServiceDep,
    clients: ClientsDep,
) -> Response:
    """An image I attached in one of my conversations (thumbnails of my messages)."""
    content, kind = await service.preview(
        apps,
        clients.conversations,
        principal,
        conversation_id,
        file_id,
        clients.settings.max_upload_bytes,
    )
    headers = {
        "Cache-Control": "private, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }
    return Response(content, media_type=kind, headers=headers)
