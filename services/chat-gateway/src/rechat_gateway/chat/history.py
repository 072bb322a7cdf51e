"""The gateway's client of history: who owns a conversation, and an answer's final state."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, SecretStr

from rechat_shared.errors import ServiceUnavailable
from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token

MAX_MESSAGE_PAGES = 50


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

    async def message(
        self, authorization: str, conversation_id: str, message_id: str
    ) -> dict[str, Any] | None:
        """A stored message, read as the caller from history's public API (used when an
        answer's replay log has expired)."""
        url = f"{self._base}/api/conversations/{conversation_id}/messages"
        cursor: str | None = None
        for _ in range(MAX_MESSAGE_PAGES):
            params: dict[str, Any] = {"limit": 100}
            if cursor:
                params["cursor"] = cursor
            try:
                response = await self._http.get(
                    url, params=params, headers={"Authorization": authorization}, timeout=5.0
                )
            except httpx.HTTPError as exc:
                raise ServiceUnavailable("The history service is unavailable") from exc
            if response.status_code != 200:
                return None
            page = response.json()
            for item in page.get("items", []):
                if item.get("id") == message_id:
                    found: dict[str, Any] = item
                    return found
            cursor = page.get("next_cursor")
            if not cursor:
                return None
        return None
