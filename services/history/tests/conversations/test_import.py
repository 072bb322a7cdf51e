"""Import from an Open WebUI or a ReChat export: past turns, no Dify conversation behind them;
files that are not such an export are refused with 400 `import_rejected`, big ones with 413."""

from __future__ import annotations

import json
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from rechat_history.app import create_app
from rechat_history.config import Settings
from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token

USER = "importer-1"
APP = "app-continue"


def open_webui_export() -> list[dict[str, Any]]:
    """Open WebUI 0.12's "Export Chats" file: a list of chats whose history is a tree; the
    shown branch is the one `currentId` ends (the regenerated answer `a2`, not `a1`)."""
    messages = {
        "u1": {"id": "u1", "parentId": None, "childrenIds": ["a1", "a2"], "role": "user",
               "content": "Plan a trip to Kyoto", "timestamp": 1764000000, "models": ["gpt"]},
        "a1": {"id": "a1", "parentId": "u1", "childrenIds": [], "role": "assistant",
               "content": "First try", "timestamp": 1764000005, "model": "gpt"},
        "a2": {"id": "a2", "parentId": "u1", "childrenIds": ["u2"], "role": "assistant",
               "content": "Go in **spring**", "timestamp": 1764000010, "model": "gpt"},
        "u2": {"id": "u2", "parentId": "a2", "childrenIds": ["a3"], "role": "user",
               "content": "And food?", "timestamp": 1764000020},
        "a3": {"id": "a3", "parentId": "u2", "childrenIds": [], "role": "assistant",
               "content": "Try kaiseki", "timestamp": 1764000030, "model": "gpt"},
    }  # fmt: skip
    return [
        {
            "id": "c1",
            "user_id": "someone",
            "title": "Trip planning to Kyoto",
            "chat": {
                "id": "",
                "title": "Trip planning to Kyoto",
                "models": ["gpt"],
                "params": {},
                "history": {"messages": messages, "currentId": "a3"},
                "messages": list(messages.values()),
                "tags": [],
                "timestamp": 1764000000000,
                "files": [],
            },
            "updated_at": 1764000030,
            "created_at": 1764000000,
            "share_id": None,
            "archived": False,
            "pinned": True,
            "meta": {},
            "folder_id": None,
        },
        {  # an older export: only the flat list of messages
            "title": "Recipe ideas",
            "chat": {
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "Dinner?", "timestamp": 1764100000},
                    {"role": "assistant", "content": [{"type": "text", "text": "Pasta"}]},
                ]
            },
            "created_at": 1764100000,
        },
    ]


async def contents(
    client: httpx.AsyncClient, keyring: KeyRing, conversation_id: str
) -> list[tuple[str, str, str]]:
    url = f"/api/conversations/{conversation_id}/messages"
    page = await client.get(url, headers=keyring.headers(USER))
    return [(m["role"], m["content"], m["status"]) for m in page.json()["items"]]


async def post(
    client: httpx.AsyncClient, keyring: KeyRing, body: bytes, app_id: str = APP
) -> httpx.Response:
    return await client.post(
        "/api/conversations/import",
        params={"app_id": app_id},
        content=body,
        headers={**keyring.headers(USER), "Content-Type": "application/json"},
    )


async def test_an_open_webui_export_becomes_past_turns_of_the_chosen_app(
    client: httpx.AsyncClient, keyring: KeyRing, settings: Settings
) -> None:
    answer = await post(client, keyring, json.dumps(open_webui_export()).encode())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["imported"] == 2
    trip, recipes = body["conversations"]
    assert (trip["title"], trip["app_id"], trip["pinned"]) == ("Trip planning to Kyoto", APP, True)
    assert trip["created_at"].startswith("2025-11-24")
    assert await contents(client, keyring, trip["id"]) == [
        ("user", "Plan a trip to Kyoto", "done"),
        ("assistant", "Go in **spring**", "done"),
        ("user", "And food?", "done"),
        ("assistant", "Try kaiseki", "done"),
    ]
    assert await contents(client, keyring, recipes["id"]) == [
        ("user", "Dinner?", "done"),
        ("assistant", "Pasta", "done"),
    ]
    # they are listed with my other chats, and have no Dify conversation: a follow-up starts one
    listed = await client.get("/api/conversations", headers=keyring.headers(USER))
    assert {c["id"] for c in listed.json()["items"]} == {trip["id"], recipes["id"]}
    internal = await client.get(
        f"/internal/conversations/{trip['id']}",
        headers={SERVICE_TOKEN_HEADER: service_token(settings.secret_key, "history")},
    )
    assert internal.json()["dify_conversation_id"] is None
    # another user sees none of it
    other = await client.get("/api/conversations", headers=keyring.headers("someone-else"))
    assert other.json()["items"] == []


async def test_a_rechat_export_round_trips(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    original = new_id()
    await ingest(list(script.turn(USER, original, "什么是量子?", "An answer **in bold**")))
    headers = keyring.headers(USER)
    exported = (await client.get("/api/conversations/export", headers=headers)).content
    one = (await client.get(f"/api/conversations/{original}/export", headers=headers)).content
    for document in (exported, one):
        answer = await post(client, keyring, document)
        assert answer.status_code == 201, answer.text
        (copy,) = answer.json()["conversations"]
        assert copy["id"] != original
        assert await contents(client, keyring, copy["id"]) == await contents(
            client, keyring, original
        )


async def test_files_that_are_no_chat_export_are_refused_clearly(
    client: httpx.AsyncClient, keyring: KeyRing
) -> None:
    too_many = json.dumps([{"chat": {"messages": []}}] * 1001).encode()
    long_message = json.dumps(
        [{"chat": {"messages": [{"role": "user", "content": "x" * 200_001}]}}]
    ).encode()
    for body, says in [
        (b"\x89PNG\r\n\x1a\n binary", "not JSON"),
        (b"{not json", "not JSON"),
        (b'"a string"', "not an Open WebUI or ReChat chat export"),
        (b'{"hello": "world"}', "not an Open WebUI or ReChat chat export"),
        (b"[]", "no chats"),
        (b'[{"chat": {"messages": [{"content": "no role"}]}}]', "role"),
        (b'[{"chat": "text"}]', "chat"),
        (b'{"conversations": [{"conversation": {}, "messages": "x"}]}', "messages"),
        (too_many, "at most 1000 chats"),
        (long_message, "at most 200000 characters"),
    ]:
        answer = await post(client, keyring, body)
        assert answer.status_code == 400, (body[:40], answer.text)
        assert answer.json()["error"] == "import_rejected"
        assert says in answer.json()["detail"], answer.json()
    assert (await post(client, keyring, b"[]", app_id="")).status_code == 422
    listed = await client.get("/api/conversations", headers=keyring.headers(USER))
    assert listed.json()["items"] == []  # nothing half-imported


async def test_a_file_past_the_import_limit_is_413_and_the_limit_is_its_own(
    settings: Settings, keyring: KeyRing
) -> None:
    keyring.redis_url, keyring.redis_prefix = settings.redis_url, settings.redis_prefix
    small = settings.model_copy(update={"max_body_bytes": 1_000, "max_import_bytes": 20_000})
    app = create_app(small, key_source=keyring)
    chat = {"chat": {"messages": [{"role": "user", "content": "x" * 5_000}]}}
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        fits = await post(client, keyring, json.dumps([chat]).encode())
        assert fits.status_code == 201, fits.text  # past the general limit, within its own
        too_big = await post(client, keyring, json.dumps([chat] * 5).encode())
        assert too_big.status_code == 413
        assert too_big.json()["error"] == "payload_too_large"
