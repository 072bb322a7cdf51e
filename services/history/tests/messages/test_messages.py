"""A conversation's messages: oldest first, page by page, pending answers included."""

from __future__ import annotations

import httpx

from rechat_history.testing import ChatScript, KeyRing, new_id

USER = "reader-1"


async def test_messages_oldest_first_in_pages_with_pending_answer(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    expected: list[str] = []
    for index in range(5):
        request, completed = script.turn(USER, conversation_id, f"q{index}", f"a{index}")
        await ingest([completed, request])  # answers first: order must come from the times
        expected += [f"q{index}", f"a{index}"]
    pending = script.request(USER, conversation_id, "still thinking")
    await ingest([pending])
    await ingest([script.feedback(pending, "like")])
    url = f"/api/conversations/{conversation_id}/messages"
    contents, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, params=params, headers=headers)).json()
        contents += [(m["role"], m["content"], m["status"]) for m in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 4
    assert [content for _, content, _ in contents[:-2]] == expected
    assert contents[-2:] == [("user", "still thinking", "done"), ("assistant", "", "pending")]
    answer = (await client.get(f"/api/messages/{pending.message_id}", headers=headers)).json()
    assert answer["id"] == pending.message_id
    assert answer["status"] == "pending"
    assert answer["feedback"] == {"rating": "like", "content": None}


async def test_a_finished_answer_carries_everything(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    request, completed = script.turn(USER, new_id(), "q", "a")
    await ingest([request, completed])
    answer = (
        await client.get(f"/api/messages/{request.message_id}", headers=keyring.headers(USER))
    ).json()
    assert answer["usage"]["total_tokens"] == 30
    assert answer["citations"][0]["document_name"] == "handbook.pdf"
    assert answer["thoughts"][0]["thought"] == "thinking"
    assert answer["nodes"][0]["node_id"] == "llm"
    assert answer["suggested_questions"] == ["And then?"]
    assert answer["timings"]["finished_at"] is not None
    assert answer["error"] is None


async def test_a_user_edits_a_question_and_an_answer_and_the_edit_stays(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    headers = keyring.headers(USER)
    conversation_id = new_id()
    request, completed = script.turn(USER, conversation_id, "the question", "the answer")
    await ingest([request, completed])
    question = await client.patch(
        f"/api/messages/{request.user_message_id}",
        json={"content": "a better question"},
        headers=headers,
    )
    assert question.status_code == 200, question.text
    answer = await client.patch(
        f"/api/messages/{request.message_id}", json={"content": "my own answer"}, headers=headers
    )
    assert answer.json()["content"] == "my own answer"
    await ingest([completed])  # a redelivered completion does not undo the edit
    page = (
        await client.get(f"/api/conversations/{conversation_id}/messages", headers=headers)
    ).json()
    assert [m["content"] for m in page["items"]] == ["a better question", "my own answer"]


async def test_an_edit_is_refused_while_generating_or_for_someone_else(
    client: httpx.AsyncClient, keyring: KeyRing, ingest, script: ChatScript
) -> None:
    pending = script.request(USER, new_id(), "still thinking")
    await ingest([pending])
    url = f"/api/messages/{pending.message_id}"
    busy = await client.patch(url, json={"content": "x"}, headers=keyring.headers(USER))
    assert (busy.status_code, busy.json()["error"]) == (409, "message_generating")
    other = await client.patch(
        f"/api/messages/{pending.user_message_id}",
        json={"content": "x"},
        headers=keyring.headers("someone-else"),
    )
    assert (other.status_code, other.json()["error"]) == (404, "message_not_found")
    empty = await client.patch(
        f"/api/messages/{pending.user_message_id}",
        json={"content": ""},
        headers=keyring.headers(USER),
    )
    assert empty.status_code == 422
