"""Clone (a copy that continues as a new Dify conversation) and the unread mark."""

from __future__ import annotations

import httpx

from rechat_history.config import Settings
from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token

USER = "clone-user"


async def test_clone_copies_the_turns_and_continues_without_the_dify_id(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript, settings: Settings
) -> None:
    headers = keyring.headers(USER)
    original = new_id()
    await ingest(list(script.turn(USER, original, "Plan a trip", "Go to Kyoto")))
    await client.patch(f"/api/conversations/{original}", json={"title": "Trip"}, headers=headers)
    response = await client.post(f"/api/conversations/{original}/clone", headers=headers)
    assert response.status_code == 201
    copy = response.json()
    assert copy["id"] != original
    assert copy["title"] == "Clone of Trip"

    async def contents(conversation_id: str) -> list[tuple[str, str]]:
        url = f"/api/conversations/{conversation_id}/messages"
        page = (await client.get(url, headers=headers)).json()
        return [(m["role"], m["content"]) for m in page["items"]]

    assert await contents(copy["id"]) == await contents(original)
    copied_ids = {
        m["id"]
        for m in (
            await client.get(f"/api/conversations/{copy['id']}/messages", headers=headers)
        ).json()["items"]
    }
    original_ids = {
        m["id"]
        for m in (
            await client.get(f"/api/conversations/{original}/messages", headers=headers)
        ).json()["items"]
    }
    assert not copied_ids & original_ids

    # the gateway learns the copy has no Dify conversation yet: its next turn starts one
    internal = await client.get(
        f"/internal/conversations/{copy['id']}",
        headers={SERVICE_TOKEN_HEADER: service_token(settings.secret_key, "history")},
    )
    assert internal.status_code == 200
    assert internal.json()["dify_conversation_id"] is None
    # and the next turn lands in the copy only
    await ingest(list(script.turn(USER, copy["id"], "And Osaka?", "Also nice")))
    assert (await contents(copy["id"]))[-1] == ("assistant", "Also nice")
    assert len(await contents(original)) == 2
    renamed = (await client.get(f"/api/conversations/{copy['id']}", headers=headers)).json()
    assert renamed["title"] == "Clone of Trip"  # a generated title does not replace it


async def test_mark_as_unread_and_read(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    await ingest(list(script.turn(USER, conversation_id, "q", "a")))
    url = f"/api/conversations/{conversation_id}"
    assert (await client.get(url, headers=headers)).json()["unread"] is False
    assert (await client.patch(url, json={"unread": True}, headers=headers)).json()["unread"]
    await ingest(list(script.turn(USER, conversation_id, "q2", "a2")))
    assert (await client.get(url, headers=headers)).json()["unread"] is True
    assert not (await client.patch(url, json={"unread": False}, headers=headers)).json()["unread"]
