"""Conversations, messages, app description and the control API of the emulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rechat_shared.testing.emulator import RunningEmulator


@pytest.fixture
async def http(dify_emulator: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {dify_emulator.keys['chat']}"}
    async with httpx.AsyncClient(
        base_url=dify_emulator.base_url, headers=headers, timeout=30
    ) as client:
        yield client


async def _turn(
    http: httpx.AsyncClient, user: str, query: str, conversation_id: str = ""
) -> dict[str, Any]:
    body = {"query": query, "user": user, "inputs": {}, "conversation_id": conversation_id}
    response = await http.post("/chat-messages", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_conversation_is_scoped_to_its_user(http: httpx.AsyncClient) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    first = await _turn(http, user, "first question here")
    second = await _turn(http, user, "second", first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    foreign = await http.post(
        "/chat-messages",
        json={
            "query": "x",
            "user": "intruder",
            "inputs": {},
            "conversation_id": first["conversation_id"],
        },
    )
    assert foreign.status_code == 404
    assert foreign.json() == {
        "code": "not_found",
        "message": "Conversation Not Exists.",
        "status": 404,
    }


async def test_conversation_list_paging_rename_delete(http: httpx.AsyncClient) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    ids = [
        (await _turn(http, user, f"topic number {index}"))["conversation_id"] for index in range(3)
    ]
    page = (await http.get("/conversations", params={"user": user, "limit": 2})).json()
    assert page["has_more"] is True
    assert [item["id"] for item in page["data"]] == ids[::-1][:2]
    rest = (
        await http.get("/conversations", params={"user": user, "limit": 2, "last_id": ids[1]})
    ).json()
    assert [item["id"] for item in rest["data"]] == [ids[0]]
    assert rest["has_more"] is False
    assert page["data"][0]["name"] == "Title: topic number 2"

    renamed = await http.post(f"/conversations/{ids[0]}/name", json={"name": "Mine", "user": user})
    assert renamed.json()["name"] == "Mine"
    generated = await http.post(
        f"/conversations/{ids[0]}/name", json={"auto_generate": True, "user": user}
    )
    assert generated.json()["name"] == "Title: topic number 0"

    deleted = await http.request("DELETE", f"/conversations/{ids[0]}", json={"user": user})
    assert deleted.status_code == 204
    assert deleted.content == b""
    again = await http.request("DELETE", f"/conversations/{ids[0]}", json={"user": user})
    assert again.status_code == 404
    gone = await _post_status(http, user, ids[0])
    assert gone == 404


async def _post_status(http: httpx.AsyncClient, user: str, conversation_id: str) -> int:
    body = {"query": "x", "user": user, "inputs": {}, "conversation_id": conversation_id}
    return (await http.post("/chat-messages", json=body)).status_code


async def test_messages_feedback_and_suggestions(http: httpx.AsyncClient) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    first = await _turn(http, user, "one [[cite]]")
    conversation_id = first["conversation_id"]
    second = await _turn(http, user, "two", conversation_id)
    listing = (
        await http.get("/messages", params={"conversation_id": conversation_id, "user": user})
    ).json()
    assert [item["id"] for item in listing["data"]] == [first["id"], second["id"]]
    assert len(listing["data"][0]["retriever_resources"]) == 2
    older = (
        await http.get(
            "/messages",
            params={"conversation_id": conversation_id, "user": user, "first_id": second["id"]},
        )
    ).json()
    assert [item["id"] for item in older["data"]] == [first["id"]]

    clear_missing = await http.post(
        f"/messages/{first['id']}/feedbacks", json={"rating": None, "user": user}
    )
    assert clear_missing.status_code == 400
    liked = await http.post(
        f"/messages/{first['id']}/feedbacks", json={"rating": "like", "user": user}
    )
    assert liked.json() == {"result": "success"}
    listing = (
        await http.get("/messages", params={"conversation_id": conversation_id, "user": user})
    ).json()
    assert listing["data"][0]["feedback"] == {"rating": "like"}

    suggested = await http.get(f"/messages/{second['id']}/suggested", params={"user": user})
    assert suggested.json() == {
        "result": "success",
        "data": ["What is Dify?", "How do I stop?", "Show me markdown"],
    }


async def test_app_description_routes(http: httpx.AsyncClient) -> None:
    parameters = (await http.get("/parameters")).json()
    assert parameters["opening_statement"]
    assert parameters["file_upload"]["enabled"] is True
    info = (await http.get("/info")).json()
    assert info["mode"] == "chat"
    assert (await http.get("/meta")).json() == {"tool_icons": {}}
    site = await http.get("/site")
    assert site.status_code == 200
    assert site.json()["title"] == info["name"]
    response = await http.get("/parameters")
    assert response.headers["x-version"]
    assert response.headers["access-control-allow-origin"] == "*"


async def test_upload_then_attach_a_file(http: httpx.AsyncClient) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    upload = await http.post(
        "/files/upload", data={"user": user}, files={"file": ("pic.png", b"\x89PNG", "image/png")}
    )
    assert upload.status_code == 201
    file_id = upload.json()["id"]
    files = [{"type": "image", "transfer_method": "local_file", "upload_file_id": file_id}]
    body = {"query": "see", "user": user, "inputs": {}, "files": files}
    answer = (await http.post("/chat-messages", json=body)).json()
    listing = (
        await http.get(
            "/messages", params={"conversation_id": answer["conversation_id"], "user": user}
        )
    ).json()
    [attached] = listing["data"][0]["message_files"]
    assert attached["upload_file_id"] == file_id
    assert attached["id"] != file_id  # a message file has its own id, as in Dify
    preview = await http.get(attached["url"])  # signed, no app key needed
    assert preview.status_code == 200
    assert (preview.content, preview.headers["content-type"]) == (b"\x89PNG", "image/png")
    forged = attached["url"].replace("sign=", "sign=x")
    assert (await http.get(forged)).status_code == 404
    unsigned = attached["url"].split("?")[0]
    assert (await http.get(unsigned)).status_code == 400
    files[0]["upload_file_id"] = str(uuid.uuid4())
    unknown = await http.post("/chat-messages", json=body)
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Invalid upload file"


async def test_control_api_apps_scripts_stats(
    dify_emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    key = f"app-ctl-{uuid.uuid4().hex[:6]}"
    dify_emulator.control("PUT", f"/apps/{key}", json={"key": key, "mode": "chat", "name": "Ctl"})
    headers = {"Authorization": f"Bearer {key}"}
    info = await http.get("/info", headers=headers)
    assert info.json()["name"] == "Ctl"

    dify_emulator.control(
        "POST",
        "/scripts",
        json={"contains": "scripted", "magic": "[[tokens:3]]", "app_key": key, "times": 1},
    )
    body = {"query": "scripted", "user": "ctl", "inputs": {}}
    first = (await http.post("/chat-messages", json=body, headers=headers)).json()
    assert first["answer"] == "t0 t1 t2 "
    second = (await http.post("/chat-messages", json=body, headers=headers)).json()
    assert second["answer"].startswith("Echo: scripted")

    stats = dify_emulator.control("GET", "/stats")
    assert stats["streams_started"] >= 2
    dify_emulator.control("DELETE", f"/apps/{key}")
    assert (await http.get("/info", headers=headers)).status_code == 401
