"""Folder logic: create, rename, delete (with or without its conversations)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rechat_history.conversations import repository as conversations
from rechat_history.folders import repository
from rechat_history.folders.schemas import Folder, FolderCreate, FolderUpdate
from rechat_history.models import Folder as FolderRow
from rechat_history.shares import repository as shares
from rechat_shared.db import utcnow
from rechat_shared.errors import FolderExists, FolderNotFound, TooManyFolders

MAX_FOLDERS = 200


async def get_owned(session: AsyncSession, user_id: str, folder_id: str) -> FolderRow:
    folder = await repository.owned(session, user_id, folder_id)
    if folder is None:
        raise FolderNotFound()
    return folder


async def list_mine(session: AsyncSession, user_id: str) -> list[Folder]:
    return [Folder.from_row(row) for row in await repository.all_owned(session, user_id)]


async def create(session: AsyncSession, user_id: str, body: FolderCreate) -> Folder:
    await _check_name_free(session, user_id, body.name)
    if len(await repository.all_owned(session, user_id)) >= MAX_FOLDERS:
        raise TooManyFolders(f"At most {MAX_FOLDERS} folders")
    now = utcnow()
    folder = FolderRow(
        id=str(uuid.uuid4()), user_id=user_id, name=body.name, created_at=now, updated_at=now
    )
    session.add(folder)
    await session.flush()
    return Folder.from_row(folder)


async def rename(session: AsyncSession, folder: FolderRow, body: FolderUpdate) -> Folder:
    if body.name.lower() != folder.name.lower():
        await _check_name_free(session, folder.user_id, body.name)
    folder.name = body.name
    folder.updated_at = utcnow()
    await session.flush()
    return Folder.from_row(folder)


async def delete(session: AsyncSession, folder: FolderRow, *, with_conversations: bool) -> None:
    """Delete the folder; its conversations go back to the list, or are deleted too."""
    if with_conversations:
        ids = await repository.conversation_ids(session, folder.user_id, folder.id)
        await shares.delete_of_conversations(session, ids)
        await conversations.delete_messages(session, ids)
        await conversations.tombstone(session, ids, utcnow())
    await repository.empty(session, folder.user_id, folder.id)
    await session.delete(folder)
    await session.flush()


async def _check_name_free(session: AsyncSession, user_id: str, name: str) -> None:
    if await repository.named(session, user_id, name) is not None:
        raise FolderExists()
