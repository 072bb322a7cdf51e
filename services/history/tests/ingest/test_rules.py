"""The merge rules of the ingest, one event kind at a time (real MariaDB)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_history.models import Conversation, ErasedUser, Message, MessageFeedback, UsageRecord
from rechat_history.testing import ChatScript, new_id
from rechat_shared.events import UserChanged


async def _message(sessions: async_sessionmaker[AsyncSession], message_id: str) -> Message:
    async with sessions() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


async def _conversation(sessions: async_sessionmaker[AsyncSession], cid: str) -> Conversation:
    async with sessions() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None
        return conversation


async def test_request_stores_question_and_pending_answer(ingest, sessions, script: ChatScript):
    conversation_id = new_id()
    request = script.request("u1", conversation_id, "How do   tides\nwork on Earth?")
    await ingest([request])
    question = await _message(sessions, request.user_message_id)
    answer = await _message(sessions, request.message_id)
    assert (question.role, question.content, question.status) == ("user", request.query, "done")
    assert question.inputs == {"topic": "test"}
    assert (answer.role, answer.status, answer.content) == ("assistant", "pending", "")
    conversation = await _conversation(sessions, conversation_id)
    assert conversation.title == "How do tides work on Earth?"
    assert conversation.title_source == "question"
    assert conversation.preview == "How do tides work on Earth?"


async def test_completion_before_its_request_still_ends_done(ingest, sessions, script):
    conversation_id = new_id()
    request = script.request("u1", conversation_id, "question")
    completed = script.completed(request, "the answer")
    await ingest([completed])
    await ingest([request])
    answer = await _message(sessions, request.message_id)
    assert (answer.status, answer.content) == ("done", "the answer")
    assert answer.created_at == request.occurred_at
    assert answer.citations
    assert answer.thoughts
    assert answer.nodes
    conversation = await _conversation(sessions, conversation_id)
    assert conversation.preview == "the answer"
    assert conversation.dify_conversation_id == completed.dify_conversation_id
    assert conversation.updated_at == completed.occurred_at


async def test_status_never_goes_backwards(ingest, sessions, script):
    request = script.request("u1", new_id(), "question")
    completed = script.completed(request, "full answer")
    failed = script.failed(request, partial="full")
    await ingest([request, completed])
    await ingest([failed])  # a late failure cannot undo a completion
    await ingest([request], dead_lettered=True)  # nor can a dead-lettered copy of the request
    answer = await _message(sessions, request.message_id)
    assert (answer.status, answer.content, answer.error) == ("done", "full answer", None)


async def test_failure_and_dead_lettered_request(ingest, sessions, script):
    request = script.request("u1", new_id(), "question")
    await ingest([request, script.failed(request, partial="half")])
    answer = await _message(sessions, request.message_id)
    assert (answer.status, answer.content) == ("failed", "half")
    assert answer.error == {"code": "dify_error", "message": "Dify answered 500"}
    lost = script.request("u1", new_id(), "nobody answers")
    await ingest([lost], dead_lettered=True)
    answer = await _message(sessions, lost.message_id)
    assert answer.status == "failed"
    assert answer.error is not None
    assert answer.error["code"] == "generation_failed"


async def test_duplicates_change_nothing_and_usage_counts_once(ingest, sessions, script):
    request, completed = script.turn("u1", new_id(), "q", "a")
    await ingest([request, completed, completed])
    await ingest([completed, request])
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 2
        usage = await session.get(UsageRecord, request.message_id)
    assert usage is not None
    assert usage.total_tokens == 30


async def test_titles_placeholder_generated_then_user(ingest, sessions, script, client, keyring):
    conversation_id = new_id()
    titled = script.titled("u1", conversation_id, "Tides explained")
    await ingest([titled])  # the title may come first
    await ingest([script.request("u1", conversation_id, "How do tides work?")])
    assert (await _conversation(sessions, conversation_id)).title == "Tides explained"
    response = await client.patch(
        f"/api/conversations/{conversation_id}",
        json={"title": "Mine"},
        headers=keyring.headers("u1"),
    )
    assert response.status_code == 200
    await ingest([script.titled("u1", conversation_id, "A newer generated title")])
    conversation = await _conversation(sessions, conversation_id)
    assert (conversation.title, conversation.title_source) == ("Mine", "user")
    assert conversation.app_id == "app-1"


async def test_generated_titles_questions_and_previews_are_stored_cleaned(ingest, sessions, script):
    # a title or question nobody typed as a name is cleaned, not refused: bidi controls and
    # lone surrogates dropped, NUL and other control characters made spaces
    generated, asked = new_id(), new_id()
    await ingest([script.request("u1", generated, "q")])
    await ingest(
        [script.titled("u1", generated, "Invoice\u202egpj.exe\x00 \u2066plan\u2069\ud800")]
    )
    conversation = await _conversation(sessions, generated)
    assert (conversation.title, conversation.title_source) == ("Invoicegpj.exe plan", "generated")
    request, completed = script.turn(
        "u1", asked, "Why\x00 is\u202e\tthe sky\x1b blue?", "Bec\u202eause"
    )
    await ingest([request, completed])
    conversation = await _conversation(sessions, asked)
    assert conversation.title == "Why is the sky blue?"
    assert conversation.preview == "Because"
    question = await _message(sessions, request.user_message_id)
    assert question.content == request.query  # the message itself is kept as it was sent


async def test_feedback_before_message_and_latest_rating_wins(ingest, sessions, script):
    request, completed = script.turn("u1", new_id(), "q", "a")
    like, cleared = script.feedback(request, "like"), script.feedback(request, None)
    await ingest([cleared])
    await ingest([like, request, completed])
    async with sessions() as session:
        feedback = await session.get(MessageFeedback, request.message_id)
    assert feedback is not None
    assert feedback.rating is None


async def test_deleted_user_is_erased_and_stays_erased(ingest, sessions, script):
    request, completed = script.turn("gone", new_id(), "q", "a")
    kept = script.turn("kept", new_id(), "q", "a")
    await ingest([request, *kept, script.feedback(request, "like")])
    await ingest([UserChanged(user_id="gone", change="deleted")])
    await ingest([completed])  # a late completion does not bring anything back
    async with sessions() as session:
        for model in (Conversation, Message, MessageFeedback, UsageRecord):
            owners = set(await session.scalars(select(model.user_id)))
            assert "gone" not in owners, model
        assert await session.get(ErasedUser, "gone") is not None
        assert await session.scalar(select(func.count()).select_from(Message)) == 2


async def test_event_for_someone_elses_conversation_is_ignored(ingest, sessions, script):
    conversation_id = new_id()
    await ingest([script.request("owner", conversation_id, "mine")])
    intruder = script.request("intruder", conversation_id, "let me in")
    await ingest([intruder])
    async with sessions() as session:
        assert await session.get(Message, intruder.message_id) is None
