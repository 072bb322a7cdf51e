"""Every client endpoint against the emulator process, under both profiles where they differ."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from rechat_shared.dify import (
    ChatRequest,
    CompletionRequest,
    DifyClient,
    DifyNotFoundError,
    FileRef,
    MessageEndEvent,
    MessageEvent,
    TextChunkEvent,
    WorkflowFinishedEvent,
    WorkflowRunRequest,
)
from rechat_shared.testing.emulator import RunningEmulator


@pytest.fixture
async def dify() -> AsyncIterator[DifyClient]:
    async with DifyClient() as client:
        yield client


@pytest.fixture(params=["dify_emulator", "dify_emulator_015"])
def emulator(request: pytest.FixtureRequest) -> RunningEmulator:
    running: RunningEmulator = request.getfixturevalue(request.param)
    return running


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_conversation_lifecycle(dify: DifyClient, emulator: RunningEmulator) -> None:
    app, user = emulator.app("chat"), _user()
    first = await dify.chat(app, ChatRequest(query="first turn", user=user, inputs={"lang": "fr"}))
    assert first.conversation_id
    stream = dify.stream_chat(
        app, ChatRequest(query="second turn", user=user, conversation_id=first.conversation_id)
    )
    async with stream:
        events = [event async for event in stream]
    assert isinstance(events[-1], MessageEndEvent)
    assert stream.conversation_id == first.conversation_id

    page = await dify.list_conversations(app, user)
    assert [item.id for item in page.data] == [first.conversation_id]
    assert page.data[0].inputs["lang"] == "fr"
    messages = await dify.list_messages(app, first.conversation_id, user)
    assert [message.query for message in messages.data] == ["first turn", "second turn"]

    renamed = await dify.rename_conversation(app, first.conversation_id, user, name="Named")
    assert renamed.name == "Named"
    titled = await dify.rename_conversation(app, first.conversation_id, user, auto_generate=True)
    assert titled.name == "Title: first turn"

    await dify.send_feedback(app, first.id, user, "like", content="great")
    await dify.send_feedback(app, first.id, user, None)
    assert len(await dify.suggested_questions(app, first.id, user)) == 3

    await dify.delete_conversation(app, first.conversation_id, user)
    with pytest.raises(DifyNotFoundError):
        await dify.delete_conversation(app, first.conversation_id, user)
    with pytest.raises(DifyNotFoundError):
        await dify.list_messages(app, first.conversation_id, user)


async def test_app_description_and_key_test(dify: DifyClient, emulator: RunningEmulator) -> None:
    app = emulator.app("chat")
    parameters = await dify.get_parameters(app)
    assert parameters.opening_statement
    assert parameters.user_input_form
    info = await dify.get_info(app)
    assert info.name
    assert (await dify.get_meta(app)).tool_icons == {}
    check = await dify.check_app(app)
    assert check.ok
    assert check.info == info
    assert check.parameters is not None


async def test_site_only_on_current_servers(
    dify: DifyClient, dify_emulator: RunningEmulator, dify_emulator_015: RunningEmulator
) -> None:
    site = await dify.get_site(dify_emulator.app("chat"))
    assert site.title
    with pytest.raises(DifyNotFoundError):
        await dify.get_site(dify_emulator_015.app("chat"))


async def test_upload_and_attach(dify: DifyClient, emulator: RunningEmulator) -> None:
    app, user = emulator.app("chat"), _user()
    uploaded = await dify.upload_file(app, user, "pic.png", b"\x89PNG\r\n", "image/png")
    assert uploaded.size == 6
    request = ChatRequest(
        query="look", user=user, files=[FileRef(type="image", upload_file_id=uploaded.id)]
    )
    answer = await dify.chat(app, request)
    messages = await dify.list_messages(app, answer.conversation_id or "", user)
    # a message file has its own id; its signed preview URL names the upload (as in Dify)
    [attached] = messages.data[0].message_files
    assert attached.id != uploaded.id
    assert f"/files/{uploaded.id}/file-preview?" in (attached.url or "")


async def test_completion_and_workflow(dify: DifyClient, emulator: RunningEmulator) -> None:
    completion, user = emulator.app("completion"), _user()
    blocking = await dify.complete(completion, CompletionRequest(inputs={"query": "Hi"}, user=user))
    assert blocking.answer.startswith("Echo: Hi")
    stream = dify.stream_completion(
        completion, CompletionRequest(inputs={"query": "Yo"}, user=user)
    )
    async with stream:
        text = "".join([e.answer async for e in stream if isinstance(e, MessageEvent)])
    assert text.startswith("Echo: Yo")

    workflow = emulator.app("workflow")
    result = await dify.run_workflow(
        workflow, WorkflowRunRequest(inputs={"query": "Go"}, user=user)
    )
    assert result.data.status == "succeeded"
    assert result.workflow_run_id
    stream = dify.stream_workflow(workflow, WorkflowRunRequest(inputs={"query": "Go"}, user=user))
    async with stream:
        events = [event async for event in stream]
    assert isinstance(events[-1], WorkflowFinishedEvent)
    assert any(isinstance(event, TextChunkEvent) for event in events)
    assert stream.workflow_run_id
    run = await dify.get_workflow_run(workflow, stream.workflow_run_id)
    assert run.status == "succeeded"


async def test_stop_endpoints_always_succeed(dify: DifyClient, emulator: RunningEmulator) -> None:
    unknown = str(uuid.uuid4())
    await dify.stop_chat(emulator.app("chat"), unknown, "u")
    await dify.stop_completion(emulator.app("completion"), unknown, "u")
    await dify.stop_workflow(emulator.app("workflow"), unknown, "u")
