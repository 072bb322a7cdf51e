"""Admin routes for groups: `/api/admin/groups` (admin role required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from rechat_auth.dependencies import RuntimeDep, UnitOfWorkDep
from rechat_auth.groups.schemas import Group, GroupCreate, GroupUpdate
from rechat_auth.groups.service import GroupService
from rechat_shared.errors import error_responses
from rechat_shared.security import AdminUser

router = APIRouter(prefix="/api/admin/groups", tags=["admin"], responses=error_responses(401, 403))

GroupId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=list[Group])
async def list_groups(_: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep) -> list[Group]:
    """Every group with its members, by name."""
    return await GroupService(work, runtime).all()


@router.post(
    "",
    response_model=Group,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(404, 409),
)
async def create_group(
    body: GroupCreate, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Group:
    """Create a group, optionally with members; 409 `group_exists` for a taken name."""
    return await GroupService(work, runtime).create(body)


@router.patch("/{group_id}", response_model=Group, responses=error_responses(404, 409))
async def update_group(
    group_id: GroupId, body: GroupUpdate, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Group:
    """Rename a group, describe it, or replace its members."""
    return await GroupService(work, runtime).update(group_id, body)


@router.delete(
    "/{group_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(404),
)
async def delete_group(
    group_id: GroupId, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Response:
    """Delete a group; its members lose what it opened to them at once."""
    await GroupService(work, runtime).delete(group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
