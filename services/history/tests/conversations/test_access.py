"""The access matrix: every route refuses another user's ids with 404, admin routes refuse
non-admins with 403, and nothing answers without a valid token."""

from __future__ import annotations

import httpx
import pytest

from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.errors import ConversationNotFound, MessageNotFound

OWNER, INTRUDER = "owner-1", "intruder-1"


@pytest.fixture
async def owned(ingest, script: ChatScript) -> dict[str, str]:
    conversation_id = new_id()
    request, completed = script.turn(OWNER, conversation_id, "secret question", "secret answer")
    await ingest([request, completed])
    return {"conversation": conversation_id, "message": request.message_id}


def _routes(ids: dict[str, str]) -> list[tuple[str, str, dict[str, object] | None]]:
    conversation = f"/api/conversations/{ids['conversation']}"
    return [
        ("GET", conversation, None),
        ("GET", f"{conversation}/messages", None),
        ("GET", f"{conversation}/export?format=json", None),
        ("GET", f"{conversation}/export?format=markdown", None),
        ("GET", f"/api/messages/{ids['message']}", None),
        ("PATCH", conversation, {"title": "hijacked", "pinned": True}),
        ("POST", f"{conversation}/clone", None),
        ("POST", f"{conversation}/share", None),
        ("DELETE", conversation, None),
    ]


async def test_another_users_ids_are_not_found(
    client: httpx.AsyncClient, keyring: KeyRing, owned: dict[str, str]
) -> None:
    intruder, owner = keyring.headers(INTRUDER), keyring.headers(OWNER)
    for method, url, body in _routes(owned):
        response = await client.request(method, url, json=body, headers=intruder)
        assert response.status_code == 404, (method, url, response.text)
        expected = MessageNotFound if "/api/messages/" in url else ConversationNotFound
        assert response.json()["error"] == expected.code, (method, url)
    for method, url, body in _routes(owned):  # the owner gets each of them
        response = await client.request(method, url, json=body, headers=owner)
        assert response.status_code in (200, 201, 204), (method, url, response.text)


async def test_collection_routes_only_touch_my_data(
    client: httpx.AsyncClient, keyring: KeyRing, owned: dict[str, str]
) -> None:
    intruder, owner = keyring.headers(INTRUDER), keyring.headers(OWNER)
    assert (await client.get("/api/conversations", headers=intruder)).json()["items"] == []
    assert (await client.get("/api/me/usage", headers=intruder)).json()["items"] == []
    exported = await client.get("/api/conversations/export", headers=intruder)
    assert exported.json()["conversations"] == []
    assert (
        await client.post("/api/conversations/archive-all", headers=intruder)
    ).status_code == 204
    response = await client.request(
        "DELETE", "/api/conversations", json={"confirm": True}, headers=intruder
    )
    assert response.status_code == 204
    mine = (await client.get("/api/conversations", headers=owner)).json()["items"]
    assert [(c["id"], c["archived"]) for c in mine] == [(owned["conversation"], False)]
    assert len((await client.get("/api/me/usage", headers=owner)).json()["items"]) == 1


async def test_admin_routes_refuse_non_admins(
    client: httpx.AsyncClient, keyring: KeyRing, owned: dict[str, str]
) -> None:
    for role in ("user", "pending"):
        response = await client.get("/api/admin/usage", headers=keyring.headers(OWNER, role))
        assert response.status_code == 403
    response = await client.get("/api/admin/usage", headers=keyring.headers("admin-1", "admin"))
    assert response.status_code == 200
    assert [row["user_id"] for row in response.json()["items"]] == [OWNER]


async def test_no_valid_token_no_answer(
    client: httpx.AsyncClient, keyring: KeyRing, owned: dict[str, str]
) -> None:
    other = KeyRing()  # a key auth never published
    for method, url, body in [*_routes(owned), ("GET", "/api/conversations", None)]:
        for headers in ({}, other.headers(OWNER), {"Authorization": "Bearer nonsense"}):
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (method, url)
    pending = keyring.headers(OWNER, "pending")
    assert (await client.get("/api/conversations", headers=pending)).status_code == 403


async def test_internal_route_needs_the_service_token(
    client: httpx.AsyncClient, owned: dict[str, str], settings
) -> None:
    from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token

    url = f"/internal/conversations/{owned['conversation']}"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={SERVICE_TOKEN_HEADER: "guess"})).status_code == 401
    token = {SERVICE_TOKEN_HEADER: service_token(settings.secret_key, "history")}
    response = await client.get(url, headers=token)
    assert response.status_code == 200
    assert response.json() == {
        "id": owned["conversation"],
        "user_id": OWNER,
        "app_id": "app-1",
        "dify_conversation_id": f"dify-{owned['conversation'][:8]}",
    }
    missing = await client.get(f"/internal/conversations/{new_id()}", headers=token)
    assert missing.status_code == 404
