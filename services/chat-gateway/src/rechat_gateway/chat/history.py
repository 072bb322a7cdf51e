"""The gateway's client of history: who owns a conversation, and an answer's final state."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, SecretStr

from rechat_shared.errors import ServiceUnavailable
from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token


class ConversationInfo(BaseModel):
    """`GET /internal/conversations/{id}` of history."""

    id: str
    user_id: str
    app_id: str
    dify_conversation_id: str | None = None


class HistoryClient:
    def __init__(self, base_url: str, secret: SecretStr, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._token = service_token(secret, "history")
        self._http = http

    async def conversation(self, conversation_id: str) -> ConversationInfo | None:
        """The conversation's owner and Dify id; None when history does not know it."""
        url = f"{self._base}/internal/conversations/{conversation_id}"
        try:
            response = await self._http.get(
                url, headers={SERVICE_TOKEN_HEADER: self._token}, timeout=5.0
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The history service is unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(f"The history service answered {response.status_code}")
        return ConversationInfo.model_validate(response.json())

    def as_caller(self, bearer_token: str) -> CallerHistory:
        """History's public API, read as the caller (their token, their messages only)."""
        return CallerHistory(self._base, bearer_token, self._http)


class CallerHistory:
    """What the gateway reads from history's public API on the caller's behalf."""

    def __init__(self, base_url: str, bearer_token: str, http: httpx.AsyncClient) -> None:
        self._base = base_url
        self._headers = {"Authorization": f"Bearer {bearer_token}"}
        self._http = http

    async def message(self, message_id: str) -> dict[str, Any] | None:
        """A stored message (`GET /api/messages/{id}`), used when an answer's replay log has
        expired; None when history does not have it (or not for this caller)."""
        url = f"{self._base}/api/messages/{message_id}"
        try:
            response = await self._http.get(url, headers=self._headers, timeout=5.0)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The history service is unavailable") from exc
        if response.status_code != 200:
            return None
        found: dict[str, Any] = response.json()
        return found
