"""Folders: create, rename, list, file conversations in them, delete with or without them."""

from __future__ import annotations

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id

USER, OTHER = "folder-user", "folder-other"


async def _conversation(ingest, script: ChatScript, user: str = USER) -> str:
    conversation_id = new_id()
    await ingest(list(script.turn(user, conversation_id, "q", "a")))
    return conversation_id


async def _create(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> dict:
    response = await client.post("/api/folders", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_rename_list_and_refuse_bad_or_duplicate_names(
    client: httpx.AsyncClient, keyring: KeyRing
) -> None:
    headers = keyring.headers(USER)
    work = await _create(client, headers, "  Work ")
    assert work["name"] == "Work"
    await _create(client, headers, "Archive 2026")
    duplicate = await client.post("/api/folders", json={"name": "work"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "folder_exists"
    bad_names = ({"name": "Work\x00"}, {"name": "Wo\u202erk"}, {"name": "\u2068Work"})
    for bad in (
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "a", "color": 1},
        *bad_names,
    ):
        response = await client.post("/api/folders", json=bad, headers=headers)
        assert response.status_code == 422, bad
    renamed = await client.patch(
        f"/api/folders/{work['id']}", json={"name": "Projects"}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Projects"
    same_name_new_case = await client.patch(
        f"/api/folders/{work['id']}", json={"name": "projects"}, headers=headers
    )
    assert same_name_new_case.status_code == 200
    listed = (await client.get("/api/folders", headers=headers)).json()
    assert [folder["name"] for folder in listed] == ["Archive 2026", "projects"]
    assert (await client.get("/api/folders", headers=keyring.headers(OTHER))).json() == []


async def test_move_conversations_in_and_out_and_list_by_folder(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    folder = await _create(client, headers, "Trips")
    filed, loose = await _conversation(ingest, script), await _conversation(ingest, script)
    moved = await client.patch(
        f"/api/conversations/{filed}", json={"folder_id": folder["id"]}, headers=headers
    )
    assert moved.status_code == 200
    assert moved.json()["folder_id"] == folder["id"]

    async def ids(query: str) -> list[str]:
        page = (await client.get(f"/api/conversations?{query}", headers=headers)).json()
        return [conversation["id"] for conversation in page["items"]]

    assert await ids(f"folder_id={folder['id']}") == [filed]
    assert await ids("in_folder=false") == [loose]
    assert await ids("in_folder=true") == [filed]
    # a title change leaves the folder alone; null takes the conversation out
    await client.patch(f"/api/conversations/{filed}", json={"title": "Kyoto"}, headers=headers)
    assert await ids(f"folder_id={folder['id']}") == [filed]
    out = await client.patch(
        f"/api/conversations/{filed}", json={"folder_id": None}, headers=headers
    )
    assert out.json()["folder_id"] is None
    assert sorted(await ids("in_folder=false")) == sorted([filed, loose])


async def test_a_folder_of_someone_else_is_not_found(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    theirs = await _create(client, keyring.headers(OTHER), "Theirs")
    mine = await _conversation(ingest, script)
    headers = keyring.headers(USER)
    response = await client.patch(
        f"/api/conversations/{mine}", json={"folder_id": theirs["id"]}, headers=headers
    )
    assert response.status_code == 404
    assert response.json()["error"] == "folder_not_found"
    for method, body in (("PATCH", {"name": "x"}), ("DELETE", None)):
        response = await client.request(
            method, f"/api/folders/{theirs['id']}", json=body, headers=headers
        )
        assert response.status_code == 404, method
    names = await client.get("/api/folders", headers=keyring.headers(OTHER))
    assert [folder["name"] for folder in names.json()] == ["Theirs"]


async def test_delete_keeps_or_deletes_the_conversations(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    keep, drop = await _create(client, headers, "Keep"), await _create(client, headers, "Drop")
    kept, dropped = await _conversation(ingest, script), await _conversation(ingest, script)
    for conversation_id, folder in ((kept, keep), (dropped, drop)):
        await client.patch(
            f"/api/conversations/{conversation_id}",
            json={"folder_id": folder["id"]},
            headers=headers,
        )
    assert (await client.delete(f"/api/folders/{keep['id']}", headers=headers)).status_code == 204
    survivor = (await client.get(f"/api/conversations/{kept}", headers=headers)).json()
    assert survivor["folder_id"] is None
    response = await client.delete(
        f"/api/folders/{drop['id']}?delete_conversations=true", headers=headers
    )
    assert response.status_code == 204
    assert (await client.get(f"/api/conversations/{dropped}", headers=headers)).status_code == 404
    assert (await client.get("/api/folders", headers=headers)).json() == []
