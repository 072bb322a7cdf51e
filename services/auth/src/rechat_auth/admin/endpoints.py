"""Admin routes: `/api/admin/users` and `/api/admin/settings` (admin role required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator

from rechat_auth.admin.schemas import (
    AdminUserCreate,
    AdminUserUpdate,
    AuthSettingsRead,
    AuthSettingsUpdate,
    PasswordReset,
    UserPage,
)
from rechat_auth.admin.service import AdminService
from rechat_auth.dependencies import RuntimeDep, UnitOfWorkDep
from rechat_auth.users.repository import UserSort
from rechat_auth.users.schemas import User, utf8_text
from rechat_shared.errors import error_responses
from rechat_shared.security import AdminUser

router = APIRouter(prefix="/api/admin", tags=["admin"])

UserId = Annotated[str, Path(max_length=64)]
SearchText = AfterValidator(utf8_text)


@router.get("/users", response_model=UserPage, responses=error_responses(401, 403))
async def list_users(
    _: AdminUser,
    work: UnitOfWorkDep,
    runtime: RuntimeDep,
    q: Annotated[
        str | None, Query(max_length=320, description="email or name contains"), SearchText
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    sort: UserSort = "-created_at",
) -> UserPage:
    """Users matching `q` (email or name), one page, in the given order."""
    users, total = await AdminService(work, runtime).list_users(
        q or None, limit=limit, offset=offset, sort=sort
    )
    return UserPage(items=[User.model_validate(user) for user in users], total=total)


@router.post(
    "/users",
    response_model=User,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 409),
)
async def create_user(
    body: AdminUserCreate, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> User:
    """Add a user with a password and role of the admin's choosing; 409 `email_taken`."""
    return User.model_validate(await AdminService(work, runtime).create_user(body))


@router.patch(
    "/users/{user_id}", response_model=User, responses=error_responses(401, 403, 404, 409)
)
async def update_user(
    user_id: UserId, body: AdminUserUpdate, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> User:
    """Change a user's name, email, role or activity; role and activity revoke tokens at once."""
    return User.model_validate(await AdminService(work, runtime).update_user(user_id, body))


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(401, 403, 404, 409),
)
async def delete_user(
    user_id: UserId, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Response:
    """Delete a user; their tokens stop working at once."""
    await AdminService(work, runtime).delete_user(user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(401, 403, 404),
)
async def reset_password(
    user_id: UserId, body: PasswordReset, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Response:
    """Set a user's password; all their sessions end."""
    await AdminService(work, runtime).set_password(user_id, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/sign-out",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(401, 403, 404),
)
async def sign_out_user(
    user_id: UserId, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Response:
    """Sign a user out on every device: their sessions and access tokens end at once."""
    await AdminService(work, runtime).sign_out_everywhere(user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/settings", response_model=AuthSettingsRead, responses=error_responses(401, 403))
async def read_settings(_: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep) -> AuthSettingsRead:
    """Sign-up settings: open or closed, and the role new accounts get."""
    settings = await AdminService(work, runtime).settings()
    return AuthSettingsRead.model_validate(settings, from_attributes=True)


@router.patch("/settings", response_model=AuthSettingsRead, responses=error_responses(401, 403))
async def update_settings(
    body: AuthSettingsUpdate, _: AdminUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> AuthSettingsRead:
    """Open or close sign-up, or change the role new accounts get."""
    settings = await AdminService(work, runtime).update_settings(body)
    return AuthSettingsRead.model_validate(settings, from_attributes=True)
