"""Routes for my folders: list, create, rename, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import Response

from rechat_history.folders import service
from rechat_history.folders.schemas import Folder, FolderCreate, FolderUpdate
from rechat_history.models import Folder as FolderRow
from rechat_shared.db import SessionDep
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(
    prefix="/api/folders", tags=["folders"], responses=error_responses(401, 403, 404)
)


async def owned_folder(
    folder_id: Annotated[str, Path(max_length=64)], principal: ActiveUser, session: SessionDep
) -> FolderRow:
    return await service.get_owned(session, principal.user_id, folder_id)


OwnedFolder = Annotated[FolderRow, Depends(owned_folder)]


@router.get("", response_model=list[Folder])
async def list_folders(principal: ActiveUser, session: SessionDep) -> list[Folder]:
    """My folders, by name."""
    return await service.list_mine(session, principal.user_id)


@router.post(
    "",
    response_model=Folder,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
async def create_folder(body: FolderCreate, principal: ActiveUser, session: SessionDep) -> Folder:
    """Create a folder; 409 `folder_exists` when I have one of that name."""
    return await service.create(session, principal.user_id, body)


@router.patch("/{folder_id}", response_model=Folder, responses=error_responses(409))
async def rename_folder(body: FolderUpdate, folder: OwnedFolder, session: SessionDep) -> Folder:
    """Rename one of my folders."""
    return await service.rename(session, folder, body)


@router.delete("/{folder_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_folder(
    folder: OwnedFolder, session: SessionDep, delete_conversations: bool = False
) -> None:
    """Delete one of my folders; its conversations move out (or go too, if asked)."""
    await service.delete(session, folder, with_conversations=delete_conversations)
