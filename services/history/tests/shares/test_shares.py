"""Shared links: a public read-only snapshot, nothing of later turns or private fields,
revocable, listed for the owner only, gone with the conversation."""

from __future__ import annotations

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id

OWNER, OTHER = "share-owner", "share-other"


async def test_the_link_shows_exactly_the_snapshot(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(OWNER)
    conversation_id = new_id()
    await ingest(list(script.turn(OWNER, conversation_id, "What is Kyoto known for?", "Temples.")))
    shared = await client.post(f"/api/conversations/{conversation_id}/share", headers=headers)
    assert shared.status_code == 200
    share_id = shared.json()["id"]
    assert len(share_id) >= 20  # 128 random bits, not an id that can be guessed

    await ingest(list(script.turn(OWNER, conversation_id, "later question", "later answer")))
    public = await client.get(f"/api/shares/{share_id}")  # no token: whoever has the link
    assert public.status_code == 200
    body = public.json()
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "What is Kyoto known for?"),
        ("assistant", "Temples."),
    ]
    private = {"inputs", "files", "usage", "feedback", "id", "conversation_id", "timings"}
    assert not private & set(body["messages"][0])
    assert "user_id" not in body
    assert "conversation_id" not in body

    again = await client.post(f"/api/conversations/{conversation_id}/share", headers=headers)
    assert again.json()["id"] == share_id  # sharing again updates the snapshot, same link
    updated = (await client.get(f"/api/shares/{share_id}")).json()
    assert [m["content"] for m in updated["messages"]][-1] == "later answer"


async def test_revoke_list_and_other_users(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers, other = keyring.headers(OWNER), keyring.headers(OTHER)
    conversation_id = new_id()
    await ingest(list(script.turn(OWNER, conversation_id, "q", "a")))
    share_id = (
        await client.post(f"/api/conversations/{conversation_id}/share", headers=headers)
    ).json()["id"]
    mine = (await client.get("/api/shares", headers=headers)).json()
    assert [(s["id"], s["conversation_id"]) for s in mine] == [(share_id, conversation_id)]
    assert (await client.get("/api/shares", headers=other)).json() == []
    assert (await client.get("/api/shares")).status_code == 401
    stranger = await client.post(f"/api/conversations/{conversation_id}/share", headers=other)
    assert stranger.status_code == 404
    assert (await client.delete(f"/api/shares/{share_id}", headers=other)).status_code == 404
    assert (await client.get(f"/api/shares/{share_id}")).status_code == 200
    assert (await client.delete(f"/api/shares/{share_id}", headers=headers)).status_code == 204
    gone = await client.get(f"/api/shares/{share_id}")
    assert gone.status_code == 404
    assert gone.json()["error"] == "share_not_found"


async def test_deleting_the_conversation_ends_the_link(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(OWNER)
    conversation_id = new_id()
    await ingest(list(script.turn(OWNER, conversation_id, "q", "a")))
    share_id = (
        await client.post(f"/api/conversations/{conversation_id}/share", headers=headers)
    ).json()["id"]
    assert (
        await client.delete(f"/api/conversations/{conversation_id}", headers=headers)
    ).status_code == 204
    assert (await client.get(f"/api/shares/{share_id}")).status_code == 404
    assert (await client.get("/api/shares", headers=headers)).json() == []
