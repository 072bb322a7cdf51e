"""Editing, deleting and exporting my conversations."""

from __future__ import annotations

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id

USER = "editor-1"


async def test_rename_pin_archive_and_validation(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    await ingest(list(script.turn(USER, conversation_id, "q", "a")))
    url = f"/api/conversations/{conversation_id}"
    response = await client.patch(
        url, json={"title": "  Trip plans ", "pinned": True, "archived": True}, headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["pinned"], body["archived"]) == ("Trip plans", True, True)
    for bad in ({"title": "   "}, {"title": "x" * 300}, {"color": "red"}, {"pinned": "maybe"}):
        response = await client.patch(url, json=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["error"] == "validation_error"


async def test_titles_with_control_or_bidi_characters_are_refused(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    await ingest(list(script.turn(USER, conversation_id, "q", "a")))
    url = f"/api/conversations/{conversation_id}"
    for title in ("Trip\x00plans", "Trip \u202esnalp", "\u2066Trip", "Trip\nplans", "a\x7f"):
        response = await client.patch(url, json={"title": title}, headers=headers)
        assert response.status_code == 422, repr(title)
        assert response.json()["error"] == "validation_error"
    unchanged = (await client.get(url, headers=headers)).json()
    assert unchanged["title"] == "q"


async def test_delete_one_and_all_and_late_events_do_not_revive(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    first, second = new_id(), new_id()
    request = script.request(USER, first, "q")
    await ingest([request, *script.turn(USER, second, "q", "a")])
    assert (await client.delete(f"/api/conversations/{first}", headers=headers)).status_code == 204
    await ingest([script.completed(request, "too late")])
    assert (await client.get(f"/api/conversations/{first}", headers=headers)).status_code == 404
    refused = await client.request(
        "DELETE", "/api/conversations", json={"confirm": False}, headers=headers
    )
    assert refused.status_code == 400
    done = await client.request(
        "DELETE", "/api/conversations", json={"confirm": True}, headers=headers
    )
    assert done.status_code == 204
    assert (await client.get("/api/conversations", headers=headers)).json()["items"] == []


async def test_export_json_and_markdown(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    await ingest(list(script.turn(USER, conversation_id, "什么是量子?", "An answer **in bold**")))
    url = f"/api/conversations/{conversation_id}/export"
    as_json = await client.get(url, headers=headers)
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["content-disposition"]
    document = as_json.json()
    assert document["conversation"]["id"] == conversation_id
    assert [m["content"] for m in document["messages"]] == ["什么是量子?", "An answer **in bold**"]
    markdown = await client.get(url, params={"format": "markdown"}, headers=headers)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "# 什么是量子?" in markdown.text
    assert "An answer **in bold**" in markdown.text
    assert (await client.get(url, params={"format": "pdf"}, headers=headers)).status_code == 422
    everything = (await client.get("/api/conversations/export", headers=headers)).json()
    assert [c["conversation"]["id"] for c in everything["conversations"]] == [conversation_id]
