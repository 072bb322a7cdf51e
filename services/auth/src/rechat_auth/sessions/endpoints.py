"""Sign-in routes: config, register, login, refresh, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from rechat_auth.admin.repository import AuthSettingsRepository
from rechat_auth.dependencies import RuntimeDep, UnitOfWorkDep
from rechat_auth.sessions.cookies import RefreshCookie, clear_refresh_cookie, set_refresh_cookie
from rechat_auth.sessions.schemas import AuthConfig, LoginRequest, Session
from rechat_auth.sessions.service import IssuedSession, SessionService
from rechat_auth.users.repository import UserRepository
from rechat_auth.users.schemas import UserCreate
from rechat_auth.users.service import UserService
from rechat_shared.errors import EmailTaken, error_responses

router = APIRouter(prefix="/api/auth", tags=["sessions"])


def _answer(request: Request, response: Response, issued: IssuedSession) -> Session:
    set_refresh_cookie(request, response, issued.refresh_token, issued.refresh_max_age)
    response.headers["Cache-Control"] = "no-store"
    return issued.session


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/config", response_model=AuthConfig, responses=error_responses())
async def config(work: UnitOfWorkDep, runtime: RuntimeDep) -> AuthConfig:
    """Whether sign-up is open, whether any account exists yet, where images may come from."""
    settings = await AuthSettingsRepository(work.session).get()
    has_users = await UserRepository(work.session).exists()
    return AuthConfig(
        signup_open=settings.signup_open or not has_users,
        has_users=has_users,
        image_hosts=runtime.settings.image_host_list,
    )


@router.post(
    "/register",
    response_model=Session,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 429),
)
async def register(
    body: UserCreate, request: Request, response: Response, work: UnitOfWorkDep, runtime: RuntimeDep
) -> Session:
    """Create an account (the first one becomes admin) and sign it in; an existing one signs in."""
    # An address that already has an account is answered as a sign-in with the given password
    # (the session, or login's one 401 for a wrong one, throttled like a login), never with a
    # "taken" that tells anyone which addresses have accounts.
    sessions = SessionService(work, runtime)
    try:
        user = await UserService(work, runtime).register(body)
    except EmailTaken:
        issued = await sessions.login(body.email, body.password, _client_ip(request))
    else:
        issued = await sessions.open(user)
    return _answer(request, response, issued)


@router.post("/login", response_model=Session, responses=error_responses(401, 403, 429))
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    work: UnitOfWorkDep,
    runtime: RuntimeDep,
) -> Session:
    """Exchange email and password for an access token and a refresh cookie."""
    service = SessionService(work, runtime)
    issued = await service.login(body.email, body.password, _client_ip(request))
    return _answer(request, response, issued)


@router.post("/refresh", response_model=Session, responses=error_responses(401, 403))
async def refresh(
    request: Request,
    response: Response,
    work: UnitOfWorkDep,
    runtime: RuntimeDep,
    refresh_token: RefreshCookie = None,
) -> Session:
    """Rotate the refresh cookie and issue a fresh access token."""
    issued = await SessionService(work, runtime).refresh(refresh_token)
    return _answer(request, response, issued)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    responses=error_responses(),
)
async def logout(
    request: Request, work: UnitOfWorkDep, runtime: RuntimeDep, refresh_token: RefreshCookie = None
) -> Response:
    """End this session: revoke its refresh-token family and clear the cookie."""
    await SessionService(work, runtime).logout(refresh_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(request, response)
    return response
