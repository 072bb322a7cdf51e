"""Service authentication: the caller presents the token derived for audience `history`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from rechat_shared.security import SERVICE_TOKEN_HEADER, check_service_token

AUDIENCE = "history"


async def require_service(
    request: Request,
    token: Annotated[str | None, Header(alias=SERVICE_TOKEN_HEADER)] = None,
) -> None:
    check_service_token(request.app.state.settings.secret_key, AUDIENCE, token)


ServiceCaller = Depends(require_service)
