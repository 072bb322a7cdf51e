"""The caller's own account: `/api/auth/me`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from rechat_auth.dependencies import RuntimeDep, UnitOfWorkDep
from rechat_auth.sessions.cookies import RefreshCookie
from rechat_auth.sessions.service import SessionService
from rechat_auth.users.schemas import AdminContact, PasswordChange, User, UserUpdate
from rechat_auth.users.service import UserService
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser, CurrentPrincipal

router = APIRouter(prefix="/api/auth/me", tags=["me"])


@router.get("", response_model=User, responses=error_responses(401, 403))
async def read_me(principal: CurrentPrincipal, work: UnitOfWorkDep, runtime: RuntimeDep) -> User:
    """The signed-in account (pending accounts too, so the app can say they wait)."""
    return User.model_validate(await UserService(work, runtime).current(principal))


@router.get("/admin", response_model=AdminContact, responses=error_responses(401, 403, 404))
async def read_admin_contact(
    principal: CurrentPrincipal, work: UnitOfWorkDep, runtime: RuntimeDep
) -> AdminContact:
    """The admin to ask for access (pending accounts too: their waiting screen names them)."""
    admin = await UserService(work, runtime).admin_contact(principal)
    return AdminContact.model_validate(admin)


@router.patch("", response_model=User, responses=error_responses(401, 403))
async def update_me(
    body: UserUpdate, principal: ActiveUser, work: UnitOfWorkDep, runtime: RuntimeDep
) -> User:
    """Change the signed-in account's display name."""
    return User.model_validate(await UserService(work, runtime).rename(principal, body.name))


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(400, 401, 403, 429),
)
async def change_my_password(
    body: PasswordChange,
    principal: ActiveUser,
    work: UnitOfWorkDep,
    runtime: RuntimeDep,
    refresh_token: RefreshCookie = None,
) -> Response:
    """Change the password (the current one is required); other sessions are signed out."""
    keep = await SessionService(work, runtime).family_of(refresh_token, principal.user_id)
    await UserService(work, runtime).change_password(
        principal, body.current_password, body.new_password, keep_family=keep
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
