"""Request dependencies of the chat domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rechat_gateway.apps.dependencies import AppServiceDep
from rechat_gateway.chat.redis_repository import TurnGate
from rechat_gateway.chat.service import ChatService
from rechat_gateway.clients import ClientsDep
from rechat_shared.errors import PayloadTooLarge, UnprocessableEntity

_bearer = HTTPBearer(auto_error=False)


async def get_chat_service(
    apps: AppServiceDep,
    clients: ClientsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ChatService:
    # the routes also require ActiveUser, which verified this token
    token = credentials.credentials if credentials is not None else ""
    settings = clients.settings
    return ChatService(
        settings=settings,
        apps=apps,
        directory=clients.conversations,
        records=clients.records,
        gate=TurnGate(
            clients.redis,
            clients.keys,
            settings.rate_limit_count,
            settings.rate_limit_window,
            settings.conversation_lock_seconds,
            settings.max_answers_in_flight,
        ),
        bus=clients.bus,
        hub=clients.hub,
        history=clients.history.as_caller(token),
        ticker=clients.keepalive,
    )


ChatServiceDep = Annotated[ChatService, Depends(get_chat_service)]


async def check_body_size(request: Request, clients: ClientsDep) -> None:
    """413 for a request body above the configured limit (as declared by Content-Length)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > clients.settings.max_body_bytes:
        raise PayloadTooLarge(f"The request body exceeds {clients.settings.max_body_bytes} bytes")


async def last_event_id(
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> int | None:
    """The SSE `Last-Event-ID` header as a sequence number (None when absent)."""
    if last_event_id is None or last_event_id.strip() == "":
        return None
    try:
        value = int(last_event_id.strip())
    except ValueError:
        raise UnprocessableEntity("Last-Event-ID must be an event sequence number") from None
    if value < 0:
        raise UnprocessableEntity("Last-Event-ID must not be negative")
    return value


LastEventId = Annotated[int | None, Depends(last_event_id)]
