"""Listing my conversations: keyset pages stable under inserts, filters, and search in titles
and messages (FULLTEXT on MariaDB for words, LIKE for Chinese and short fragments)."""

from __future__ import annotations

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id

USER = "lister-1"


async def _all_pages(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/conversations", params=query, headers=headers)).json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_pages_return_every_conversation_once_while_new_ones_arrive(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    existing = []
    for index in range(45):
        conversation_id = new_id()
        existing.append(conversation_id)
        await ingest(list(script.turn(USER, conversation_id, f"question {index}", "answer")))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/conversations", params=params, headers=headers)).json()
        seen.extend(item["id"] for item in page["items"])
        await ingest(list(script.turn(USER, new_id(), "a newer chat", "answer")))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(existing) <= set(seen)
    assert seen[: len(existing)] == list(reversed(existing))  # newest activity first


async def test_invalid_cursor_is_a_400(client: httpx.AsyncClient, keyring: KeyRing) -> None:
    for cursor in ("nonsense", "bm9uc2Vuc2U", "MjAyNi0xMS0yNHx4"):
        response = await client.get(
            "/api/conversations", params={"cursor": cursor}, headers=keyring.headers(USER)
        )
        assert response.status_code == 400, cursor
        assert response.json()["error"] == "invalid_cursor"


async def test_filters_pinned_archived_and_app(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    ids = [new_id() for _ in range(3)]
    await ingest([*script.turn(USER, ids[0], "q", "a"), *script.turn(USER, ids[1], "q", "a")])
    await ingest([script.request(USER, ids[2], "other app", app_id="app-2")])
    await client.patch(f"/api/conversations/{ids[0]}", json={"pinned": True}, headers=headers)
    await client.patch(f"/api/conversations/{ids[1]}", json={"archived": True}, headers=headers)
    pinned = await _all_pages(client, headers, pinned="true")
    assert [c["id"] for c in pinned] == [ids[0]]
    archived = await _all_pages(client, headers, archived="true")
    assert [c["id"] for c in archived] == [ids[1]]
    live = await _all_pages(client, headers, archived="false")
    assert {c["id"] for c in live} == {ids[0], ids[2]}
    assert [c["id"] for c in await _all_pages(client, headers, app_id="app-2")] == [ids[2]]
    await client.post("/api/conversations/archive-all", headers=headers)
    assert await _all_pages(client, headers, archived="false") == []


async def test_search_finds_titles_and_answers_including_chinese(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    titled, answered, chinese, chinese_title = (new_id() for _ in range(4))
    await ingest(list(script.turn(USER, titled, "tell me something", "sure")))
    await ingest([script.titled(USER, titled, "Quantum entanglement basics")])
    await ingest(list(script.turn(USER, answered, "plants?", "Photosynthesis converts light")))
    await ingest(list(script.turn(USER, chinese, "天气如何", "今天天气很好\uff0c我们去公园散步吧")))
    await ingest(list(script.turn(USER, chinese_title, "如何学习中文", "多听多说")))
    await ingest(list(script.turn("someone-else", new_id(), "photosynthesis too", "公园")))

    async def found(q: str) -> set[str]:
        return {c["id"] for c in await _all_pages(client, headers, q=q)}

    assert await found("quantum") == {titled}  # title, FULLTEXT on MariaDB
    assert await found("photosynthesis") == {answered}  # answer text, FULLTEXT
    assert await found("photosynth") == {answered}  # prefix
    assert await found("公园散步") == {chinese}  # Chinese inside an answer
    assert await found("学习") == {chinese_title}  # Chinese in the (placeholder) title
    assert await found("ph") == {answered}  # a fragment too short for FULLTEXT
    assert await found("100%") == set()  # LIKE wildcards are literal
    assert await found("nothing like this") == set()
