"""Requests the gateway refuses before anything is published: who, which app, how big."""

from __future__ import annotations

from typing import Any

import pytest

from rechat_shared.errors import MessageNotFound
from rechat_shared.testing.emulator import RunningEmulator

from ..conftest import Gateway


async def _app_id(gateway: Gateway, emulator: RunningEmulator, **extra: Any) -> str:
    body = {
        "name": "Helper",
        "base_url": emulator.base_url,
        "api_key": emulator.keys["chat"],
        **extra,
    }
    response = await gateway.client.post(
        "/api/admin/apps", json=body, headers=gateway.mint(role="admin")
    )
    app_id: str = response.json()["id"]
    return app_id


async def test_pending_and_anonymous_callers_are_refused(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    app_id = await _app_id(gateway, dify_emulator)
    body = {"app_id": app_id, "query": "hi"}
    anonymous = await gateway.client.post("/api/chat/messages", json=body)
    assert anonymous.status_code == 401
    pending = await gateway.client.post(
        "/api/chat/messages", json=body, headers=gateway.mint(role="pending")
    )
    assert pending.status_code == 403
    assert pending.json()["error"] == "account_pending"


async def test_hidden_or_unknown_apps_do_not_exist_for_the_caller(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    hidden = await _app_id(gateway, dify_emulator, visible_to_roles=["admin"])
    for app_id in (hidden, "no-such-app"):
        response = await gateway.client.post(
            "/api/chat/messages", json={"app_id": app_id, "query": "hi"}, headers=gateway.mint()
        )
        assert response.status_code == 404
        assert response.json()["error"] == "app_not_found"


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"query": ""}, 422),
        ({"query": "x" * 32_001}, 422),
        ({"inputs": {"topic": "x" * 300}}, 413),
        ({"files": [{"upload_file_id": "f"}] * 3}, 422),
        ({"files": [{"transfer_method": "remote_url"}]}, 422),
        *(
            ({"files": [{"transfer_method": "remote_url", "url": url}]}, 422)
            for url in (
                "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata endpoint
                "http://127.0.0.1:6379/",
                "http://[::1]/x.png",
                "http://10.0.0.5/internal.pdf",
                "http://localhost/x.png",
                "http://printer.local/x.png",
                "https://user:pass@example.com/x.png",
                "file:///etc/passwd",
                "gopher://example.com/",
            )
        ),
        ({"unknown": 1}, 422),
    ],
)
async def test_oversized_or_malformed_requests_are_refused(
    gateway: Gateway, dify_emulator: RunningEmulator, overrides: dict[str, Any], status: int
) -> None:
    app_id = await _app_id(gateway, dify_emulator)
    body = {"app_id": app_id, "query": "hi", **overrides}
    response = await gateway.client.post("/api/chat/messages", json=body, headers=gateway.mint())
    assert response.status_code == status, response.text


async def test_foreign_messages_and_conversations_are_not_found(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    user = gateway.mint()
    for method, path in [
        ("GET", "/api/chat/messages/nope/stream"),
        ("POST", "/api/chat/messages/nope/stop"),
        ("POST", "/api/chat/messages/nope/regenerate"),
    ]:
        response = await gateway.client.request(method, path, headers=user)
        assert response.status_code == 404
        assert response.json()["error"] == MessageNotFound.code
    rated = await gateway.client.post(
        "/api/chat/messages/nope/feedback", json={"rating": "like"}, headers=user
    )
    assert rated.status_code == 404
    bad_id = await gateway.client.get(
        "/api/chat/messages/nope/stream", headers={**user, "Last-Event-ID": "x"}
    )
    assert bad_id.status_code == 422
